// The engine's control path, under every wait strategy, with real workers: the drain at the end of
// the input, snapshots at exact sequences (a mark in the command ring), a handler that fails, and
// the halt that follows it, and a stop asked for by a signal.
import { describe, expect, it } from 'vitest';
import { replayedTrades as replayed, runCli, startCli, summaryOf, tempDirs, tradeBodies as trades, waitExit, waitForMatched } from './helpers.js';

const dir = tempDirs();
const STRATEGIES = ['block', 'yield', 'spin'] as const;

async function snapshotSequences(dataDir: string): Promise<number[]> {
  const r = await runCli(['inspect', '--data-dir', dataDir, '--what', 'snapshots', '--json']);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { sequence: number }).sequence);
}

describe.each(STRATEGIES)('control path, --wait-strategy %s', (strategy) => {
  const RUN = ['run', '--progress-ms', '0', '--ring-size', '1024', '--wait-strategy', strategy];

  it('drains at the end of the input and snapshots exactly at every multiple of --snapshot-every, then at the end', async () => {
    const d = dir();
    // 250 ms between snapshots: a snapshot whose outputs are not yet durable when the next one
    // comes is superseded (by design), and a loaded CI box took over 125 ms at --rate 40000.
    const r = await runCli([...RUN, '--data-dir', d, '--orders', '20500', '--snapshot-every', '5000', '--rate', '20000'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s).toMatchObject({ orders: 20500, lastSequence: 20500, durable: 20500, invariantViolations: 0 });
    // 5000, 10000, 15000, 20000 and the final one at 20500; the two newest are kept.
    expect(s.snapshots).toBe(5);
    expect(await snapshotSequences(d)).toEqual([20500, 20000]);
    expect(trades(d).length).toBe(s.trades);
    expect(trades(d)).toEqual(replayed(d));
  }, 90_000);

  it('a stop (SIGTERM) ends the input, drains, and snapshots at the last sequence published', async () => {
    const d = dir();
    const child = startCli([
      'run',
      '--progress-ms',
      '100',
      '--ring-size',
      '1024',
      '--wait-strategy',
      strategy,
      '--data-dir',
      d,
      '--orders',
      '0',
      '--rate',
      '20000',
    ]);
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    await waitForMatched(child, 2000, 30_000);
    child.kill('SIGTERM');
    const { code } = await waitExit(child, 30_000);
    expect(code).toBe(0);
    const s = summaryOf(stdout);
    expect(s.durable).toBe(s.lastSequence);
    expect((await snapshotSequences(d))[0]).toBe(s.lastSequence);
    expect(trades(d)).toEqual(replayed(d));
  }, 60_000);

  it.each(['journaler', 'matcher', 'sink'])(
    'a failing %s handler halts every stage: exit 1 with its error, promptly',
    async (stage) => {
      const d = dir();
      const started = performance.now();
      const r = await runCli([...RUN, '--data-dir', d, '--orders', '50000'], 30_000, { RINGMATCH_TEST_FAIL_AT: `${stage}:20000` });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`FATAL worker ${stage} failed: Error: injected failure in the ${stage}'s handler at sequence 20000`);
      expect(r.stdout).not.toContain('"type":"summary"');
      // Halted, not drained: nothing waits out a timeout.
      expect(performance.now() - started).toBeLessThan(15_000);
      // What the WAL holds is exactly what was durable; a restart finishes the run.
      const again = await runCli([...RUN, '--data-dir', d, '--orders', '50000'], 60_000);
      expect(again.code, again.stderr).toBe(0);
      expect(summaryOf(again.stdout)).toMatchObject({ lastSequence: 50000, durable: 50000 });
      expect(trades(d)).toEqual(replayed(d));
    },
    90_000,
  );
});
