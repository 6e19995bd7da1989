export { Engine, runEngine, type EngineSummary, type EngineHooks, type RecoveryInfo } from './engine.js';
export { parseCommandLine, UsageError, USAGE, type RunConfig, type SourceConfig, type Command } from './config.js';
export { EngineMetrics } from './metrics.js';
export { Stat, readStats } from './stats.js';
export { recoverOutputFile, type OutputPosition } from './output-file.js';
export { replayDataDir, runInspect, runReplay, type ReplaySummary } from './replay.js';
export { checkOrWriteMeta, readMeta } from './datadir.js';
export { TRADES_FILE, REPORTS_FILE } from './output-file.js';
export { runChannelEngine, type ChannelRunOptions, type ChannelRunResult } from './channel/run.js';
