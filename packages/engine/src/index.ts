export { Engine, runEngine, type EngineSummary, type EngineHooks, type RecoveryInfo } from './engine.js';
export { parseCommandLine, UsageError, USAGE, type RunConfig, type SourceConfig, type Command } from './config.js';
export { EngineMetrics } from './metrics.js';
export { Stat, readStats } from './stats.js';
export { recoverOutputFile, type OutputPosition } from './output-file.js';
export { replayDataDir, runInspect, runReplay, type ReplaySummary } from './replay.js';
export { checkOrWriteMeta, readMeta } from './datadir.js';
export { TRADES_FILE, REPORTS_FILE } from './output-file.js';
// For the channel baseline engine in bench/channel, which reuses the ring engine's pieces.
export { OutputStaging } from './staging.js';
export { nowMs, slotSourcePosition, reportsTopic, tradesTopic } from './shared.js';
export { packOutputs, unpackOutputs, PackedRecordError, PACK_MAX } from './kafka-format.js';
