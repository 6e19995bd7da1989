// The one measurement method of every bench line (docs/ARCHITECTURE.md §7: every line uses the
// same repeats, statistic and warm-up): a warm-up round (every line of the group once, not
// counted), then RUNS interleaved rounds (RUNS_QUICK with --quick); a line reports the median of
// its runs, every run's figure ascending in `runs` (min first, max last), the method in `method`,
// and the 1-minute load average at the group's start in `load_avg_1m`. A group whose runs would
// take too long makes each run smaller, never fewer.
import os from 'node:os';
import type { BenchContext } from './types.js';
import { medianBy, round, runsText } from './stats.js';

export const RUNS = 5;
export const RUNS_QUICK = 3;

/** Measured rounds for this run (the warm-up round comes on top). */
export function runsFor(ctx: BenchContext): number {
  return ctx.quick ? RUNS_QUICK : RUNS;
}

/**
 * Interleaved rounds: one warm-up round (every item once, not counted), then `runs` rounds of every
 * item once; round r starts at item r mod k and odd rounds run backwards, so no line always runs
 * first or right after the same other line (a rotation alone kept every line's predecessor: the
 * first item always ran right after the last, whatever that one left behind).
 * Returns each item's measured values, in run order.
 */
export async function measureRounds<T, R>(items: readonly T[], runs: number, once: (item: T) => Promise<R>): Promise<R[][]> {
  const values = items.map((): R[] => []);
  const n = items.length;
  for (let round = 0; round <= runs; round++) {
    for (let k = 0; k < n; k++) {
      const at = round % 2 === 0 ? (round + k) % n : (((round - k) % n) + n) % n;
      const v = await once(items[at]!);
      if (round > 0) values[at]!.push(v);
    }
  }
  return values;
}

/** The median of numbers (the upper one of an even count); NaN for none. */
export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : medianBy(values, (v) => v);
}

/** One line's runs: the median run (by `figure`) and every run's figure. */
export interface Measured<R> {
  /** The run whose figure is the median: its other figures go into the line. */
  median: R;
  /** The median figure. */
  value: number;
  values: number[];
  all: R[];
}

export function summarize<R>(all: readonly R[], figure: (r: R) => number): Measured<R> {
  const m = medianBy(all, figure);
  return { median: m, value: figure(m), values: all.map(figure), all: [...all] };
}

/**
 * The median of the per-round ratios a[r] / b[r] of two items' runs (in run order, as measured):
 * both ran in the same interleaved round, minutes apart at most, so a drift of the machine's
 * speed between rounds cancels out of each ratio. A finer A/B figure than the ratio of the two
 * medians when the spread between rounds is wider than the effect measured.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  const ratios = a.map((value, r) => value / b[r]!).filter((ratio) => Number.isFinite(ratio));
  return round(median(ratios), 3);
}

/** The load average now, rounded: taken once at a group's start. */
export function loadNow(): number {
  return round(os.loadavg()[0]!, 2);
}

/** Describes the method, as each line carries it. */
export function methodText(runs: number): string {
  return `warm-up + median of ${runs}`;
}

/** The fields every line carries about how it was measured. */
export function methodFields(values: readonly number[], load: number): { runs: string; method: string; load_avg_1m: number } {
  return { runs: runsText(values), method: methodText(values.length), load_avg_1m: load };
}

/**
 * The method for a group: `items` measured in interleaved rounds after a warm-up round, each
 * summarised by `figure` (a rate: ops per second). The load average is taken before the warm-up.
 * `runs` is RUNS (RUNS_QUICK) unless a group measures an effect smaller than the machine's spread
 * between runs: then it runs more rounds, and its lines' `method` says how many.
 */
export async function measureGroup<T, R>(
  ctx: BenchContext,
  items: readonly T[],
  once: (item: T) => Promise<R>,
  figure: (r: R) => number,
  runs = runsFor(ctx),
): Promise<{ load: number; results: Measured<R>[] }> {
  const load = loadNow();
  const all = await measureRounds(items, runs, once);
  return { load, results: all.map((rs) => summarize(rs, figure)) };
}
