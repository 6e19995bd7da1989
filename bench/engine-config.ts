// The run configuration every engine bench starts from: a fresh data dir, no progress lines, no
// periodic snapshots (the final one still happens), no depth stream unless asked for (the
// baselines the engine lines are compared with publish no market data; market-data measures
// what it costs), plus the bench's own flags.
import { parseCommandLine, type RunConfig } from '@ringmatch/engine';

export function benchRunConfig(dataDir: string, args: string[], options: { depth?: boolean } = {}): RunConfig {
  const depth = options.depth ? [] : ['--no-depth'];
  const parsed = parseCommandLine(['run', '--data-dir', dataDir, '--fresh', '--progress-ms', '0', '--snapshot-every', '0', ...depth, ...args]);
  if (parsed.command !== 'run') throw new Error('unreachable');
  return parsed.config;
}
