// One bench run of one side of `--compare`: `node bench/dist/run.js --only X --json --no-write
// [--quick]` in that side's tree, bounded by a timeout; its JSON lines are the run.
import path from 'node:path';
import type { BenchLine } from '../types.js';
import { runBounded, tail } from './exec.js';

export interface SideRun {
  label: 'REF' | 'tree';
  dir: string;
}

export function benchArgs(options: { only: string | null; quick: boolean }): string[] {
  return [
    path.join('bench', 'dist', 'run.js'),
    ...(options.only ? ['--only', options.only] : []),
    '--json',
    '--no-write',
    ...(options.quick ? ['--quick'] : []),
  ];
}

/** The JSON lines a run printed (non-JSON stdout is ignored). */
export function parseLines(stdout: string): BenchLine[] {
  const lines: BenchLine[] = [];
  for (const text of stdout.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const line = JSON.parse(text) as BenchLine;
      if (typeof line.bench === 'string') lines.push(line);
    } catch {
      // a partial line from a killed run
    }
  }
  return lines;
}

/** Runs the side's benches once; fails on a timeout or on a run that gave no line at all. */
export async function runSide(
  side: SideRun,
  options: { only: string | null; quick: boolean; timeoutS: number; log: (m: string) => void },
  label: string,
): Promise<BenchLine[]> {
  const started = Date.now();
  const done = await runBounded(process.execPath, benchArgs(options), {
    cwd: side.dir,
    timeoutMs: options.timeoutS * 1000,
    onStderr: (text) => {
      for (const l of text.split('\n')) if (l.trim()) options.log(`${label}: ${l}`);
    },
  });
  if (done.timedOut) throw new Error(`${label} timed out after ${options.timeoutS} s (--timeout)`);
  const lines = parseLines(done.stdout);
  if (lines.length === 0) throw new Error(`${label} gave no bench line (exit ${done.code}): ${tail(done.stderr, 4)}`);
  options.log(`${label}: ${lines.length} lines in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return lines;
}
