// Runs of one book taken in turns: several fresh instances walk the same command stream side by
// side, each processing the next TURN_COMMANDS commands in its turn, and each instance's time is
// the sum of its turns. A run that goes from start to end before the next one starts lands whole
// in whatever the host's other tenants do in those few hundred ms: on this VM a fixed 4 MiB
// pointer chase swings up to 3x from one moment to the next, while chases that fit the core's
// private L2 or always miss to DRAM move far less, so work whose hot data lives in the shared
// last-level cache, as a book's does, swings with it. Taken in turns, a slow spell of the
// host lands on every run alike, and what remains between runs is the book's own variation: its
// JIT, its GC, its allocations. bench/compare/book-ab.ts walks two builds' books the same way.

/**
 * Commands per turn for book-peer's five books: 10-20 ms of work, short against the host's slow
 * spells, long against what a turn costs a book in cache misses (while four other books ran, its
 * hot data left the caches). With 20,000, in a full bench run, the native book's median in turns
 * was 1.3x its median one run after another and exchange-core's 0.96x: the penalty falls on the
 * book that keeps more of its data in cache. With 100,000 they were 1.04x and 1.03x in a group
 * run, and the native book's five runs stayed within 3.3% of their median.
 */
export const TURN_COMMANDS = 100_000;

/**
 * Times `runs` instances over commands [0, total) in turns of `turn` commands. `step(run, from,
 * to)` makes instance `run` process commands [from, to). The order of the instances changes every
 * turn (turn t starts at instance t mod runs; odd turns go backwards), so no instance always goes
 * first or always follows the same other one, whose data it finds in the caches. `now` is the
 * clock in nanoseconds (the process's monotonic clock; a test passes its own).
 * Returns each instance's nanoseconds per command.
 */
export function timeInTurns(
  runs: number,
  total: number,
  turn: number,
  step: (run: number, from: number, to: number) => void,
  now: () => bigint = process.hrtime.bigint,
): number[] {
  const ns = new Array<number>(runs).fill(0);
  for (let from = 0, t = 0; from < total; from += turn, t++) {
    const to = Math.min(from + turn, total);
    for (let k = 0; k < runs; k++) {
      const run = t % 2 === 0 ? (t + k) % runs : (((t - k) % runs) + runs) % runs;
      const start = now();
      step(run, from, to);
      ns[run]! += Number(now() - start);
    }
  }
  return ns.map((x) => x / Math.max(1, total));
}
