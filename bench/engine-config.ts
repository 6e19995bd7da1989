// The run configuration every engine bench starts from: a fresh data dir, no progress lines, no
// periodic snapshots (the final one still happens), plus the bench's own flags.
import { parseCommandLine, type RunConfig } from '@ringmatch/engine';

export function benchRunConfig(dataDir: string, args: string[]): RunConfig {
  const parsed = parseCommandLine(['run', '--data-dir', dataDir, '--fresh', '--progress-ms', '0', '--snapshot-every', '0', ...args]);
  if (parsed.command !== 'run') throw new Error('unreachable');
  return parsed.config;
}
