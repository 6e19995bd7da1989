// `ringmatch book` against the depth stream: two independent paths to the same book. The live run
// publishes book.ndjson as it matches; the query rebuilds the books offline from a snapshot and the
// WAL. At any sequence the stream publishes at (a journal batch end), applying its lines up to it
// gives exactly what the query prints.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFrames } from '@ringmatch/wal';
import { type DepthLevel as Level, type DepthLine as Line, depthStreamBookAt as streamBookAt, readLines, runCli, summaryOf, tempDirs } from './helpers.js';

const dir = tempDirs();

describe('ringmatch book', () => {
  let d: string;
  let lines: Line[];
  /** The older of the two snapshots the run kept (which one depends on timing; the newer is at its end, 30000). */
  let older: number;
  /** The journal's batch ends, ascending: the WAL frames' last sequences. */
  let batchEnds: number[];
  beforeAll(async () => {
    d = dir();
    // Batches of at most 1000 records: a batch end always falls between the snapshots (an
    // unbounded last batch could reach from before 25555 to 30000, the final snapshot).
    const args = ['--orders', '30000', '--snapshot-every', '10000', '--depth-snapshot-every', '7000', '--max-batch', '1000'];
    const r = await runCli(['run', '--progress-ms', '0', '--data-dir', d, ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout).bookFile).toBe(path.join(d, 'book.ndjson'));
    lines = readLines(path.join(d, 'book.ndjson')).map((l) => JSON.parse(l) as Line);
    const listed = await runCli(['inspect', '--data-dir', d, '--what', 'snapshots', '--json']);
    const kept = listed.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { sequence: number }).sequence)
      .sort((a, b) => a - b);
    expect(kept.at(-1)).toBe(30000);
    older = kept[0]!;
    expect([10000, 20000]).toContain(older);
    batchEnds = [...readFrames(path.join(d, 'wal'))].map((frame) => frame.firstSequence + frame.count - 1);
    expect(batchEnds.length).toBeGreaterThan(10);
  }, 60_000);

  it.each([
    // Offsets from the older kept snapshot, moved to the next batch end (before it: the last batch end
    // before it, where the WAL is replayed from its start); the end is exactly at the final snapshot.
    ['before the kept snapshots (from the WAL start)', -1, 'none'],
    ['just after a snapshot', 1, 'older'],
    ['between snapshots', 5555, 'older'],
    ['at the end (no --at), exactly at a snapshot', null, 'end'],
  ] as const)(
    '%s: equals the depth stream applied up to that sequence',
    async (_what, offset, base) => {
      const at = offset === null ? null : offset < 0 ? batchEnds.filter((end) => end < older).at(-1)! : batchEnds.find((end) => end >= older + offset)!;
      if (base === 'none') expect(at).toBeGreaterThan(1000);
      const snapshot = base === 'none' ? null : base === 'older' ? older : 30000;
      for (const symbol of ['SYM0001', 'SYM0006']) {
        const r = await runCli(['book', '--data-dir', d, '--symbol', symbol, '--json', ...(at === null ? [] : ['--at', String(at)])]);
        expect(r.code, r.stderr).toBe(0);
        const book = JSON.parse(r.stdout) as { seq: number; snapshot: number | null; bids: Level[]; asks: Level[] };
        const seq = at ?? 30000;
        expect(book.seq).toBe(seq);
        expect(book.snapshot).toBe(snapshot);
        expect(book.bids.length + book.asks.length).toBeGreaterThan(10);
        expect({ bids: book.bids, asks: book.asks }).toEqual(streamBookAt(lines, symbol, seq));
      }
    },
    60_000,
  );

  it('prints a ladder: asks above, bids below, with --levels', async () => {
    const r = await runCli(['book', '--data-dir', d, '--symbol', 'SYM0002', '--levels', '3']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^SYM0002 at sequence 30000 \(snapshot 30000 \+ WAL\), top 3 levels$/);
    const sides = rows.slice(2).map((row) => row.trim().split(/\s+/)[0]);
    expect(sides).toEqual(['ask', 'ask', 'ask', 'bid', 'bid', 'bid']);
    const prices = rows.slice(2).map((row) => Number(row.trim().split(/\s+/)[1]));
    expect([...prices].sort((a, b) => b - a)).toEqual(prices); // highest ask on top, best bid below the best ask
  });

  it.each([
    [['--symbol', 'NOPE'], /--symbol "NOPE" is not in the data dir's symbol table/],
    [['--symbol', 'SYM0001', '--at', '30001'], /--at 30001: the WAL of .* ends at sequence 30000/],
    [[], /book needs --symbol S/],
    [['--symbol', 'SYM0001', '--levels', '0'], /--levels must be between 1 and 100000, got 0/],
  ])('a mistake is a usage error, exit 2: %j', async (args, message) => {
    const r = await runCli(['book', '--data-dir', d, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
