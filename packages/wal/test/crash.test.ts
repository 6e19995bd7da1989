import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openWal, readFrames } from '@ringmatch/wal';
import { backendsUnderTest, recordMatches, rng, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const RUNS = Number(process.env.RINGMATCH_WAL_CRASH_RUNS ?? 50);
const SEGMENT = 256 * 1024;

interface RunResult {
  reportedDurable: number;
  recovered: number;
}

/**
 * Starts the child, kills it with SIGKILL `delayMs` after it printed `after` ('R ': its recovery is
 * done, 'D ': its first durable batch), returns the highest durable sequence it printed.
 */
function runChild(dir: string, backend: string, seed: number, delayMs: number, after: 'R ' | 'D '): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, backend, String(SEGMENT), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | null = null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (killTimer === null && out.includes(after)) killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      if (signal !== 'SIGKILL') return reject(new Error(`child ended with code ${code} signal ${signal}: ${err}`));
      let max = -1;
      for (const line of out.split('\n')) {
        // Only complete lines count: a line cut by the kill was not fully reported.
        const m = /^D (\d+)$/.exec(line);
        if (m) max = Math.max(max, Number(m[1]));
      }
      resolve(max);
    });
  });
}

describe.each(await backendsUnderTest())('SIGKILL crash test on the %s backend', (backend) => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it(`${RUNS} kills at random moments: every sequence reported durable is recovered, no gaps, no duplicates`, { timeout: 180_000 }, async () => {
    const t = tempDir(`crash-${backend}`);
    cleanups.push(t.cleanup);
    const r = rng(backend === 'fs' ? 7 : 11);
    let verifiedUpTo = 0;
    let highestReported = 0;
    const results: RunResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      const delay = Math.floor(r() * 40);
      // Half the kills are timed from the child's start (some land in its recovery or first batch), half from its first durable batch.
      const reported = await runChild(t.dir, backend, run + 1, delay, run % 2 === 0 ? 'R ' : 'D ');
      highestReported = Math.max(highestReported, reported);
      const wal = await openWal(t.dir, { backend, segmentSize: SEGMENT });
      try {
        const last = wal.recovery.lastSequence;
        results.push({ reportedDurable: reported, recovered: last });
        expect(last, `run ${run}: reported ${reported} durable, recovered ${last}`).toBeGreaterThanOrEqual(highestReported);
        // Contiguity from the first record, and content of everything new since the last check.
        let expected = 1;
        for (const frame of readFrames(t.dir, 1)) {
          expect(frame.firstSequence).toBe(expected);
          for (let i = 0; i < frame.count; i++) {
            const seq = frame.firstSequence + i;
            if (seq > verifiedUpTo) expect(recordMatches(frame.data.subarray(i * 64, (i + 1) * 64), seq), `record ${seq}`).toBe(true);
          }
          expected += frame.count;
        }
        expect(expected - 1).toBe(last);
        verifiedUpTo = last;
        // What was recovered (even beyond what the child saw reported) is now durable: later runs must keep it.
        highestReported = Math.max(highestReported, last);
      } finally {
        await wal.close();
      }
    }
    // The runs did real work: many batches were reported durable and killed mid-stream.
    expect(results.filter((x) => x.reportedDurable > 0).length).toBeGreaterThanOrEqual(RUNS / 2);
    expect(highestReported).toBeGreaterThan(1000);
  });
});
