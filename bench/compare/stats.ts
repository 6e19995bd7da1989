// The arithmetic of `--compare`: which way a figure is better (from its unit, read off the field
// name), medians, and the per-pair ratios oriented so that > 1 always means the tree is better.
// Pure: no git, no processes.
import type { BenchLine } from '../types.js';

export type Better = 'higher' | 'lower';

/**
 * Whether a larger value of this field is better, from the unit in its name: a rate (`ops_per_s`,
 * `mb_per_s`, `cas_per_s`) is better higher; a time (`p50_us`, `p99_us`, `total_s`, `ns_per_op`,
 * `engine_cpu_us_per_order`) is better lower. null when the name carries neither (`rss_mb`,
 * `vs_raw`, `batch`): such a field cannot be compared without saying which way is better.
 */
export function betterWhen(field: string): Better | null {
  if (/(^|_)per_s($|_)/.test(field)) return 'higher';
  if (/(^|_)(ns|us|ms|s|seconds)($|_)/.test(field)) return 'lower';
  return null;
}

/** The median (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** tree against REF, > 1 when the tree is better: tree/REF for a rate, REF/tree for a time. null unless both are > 0. */
export function orientedRatio(ref: number | null, tree: number | null, better: Better): number | null {
  if (ref === null || tree === null || !(ref > 0) || !(tree > 0)) return null;
  return better === 'higher' ? tree / ref : ref / tree;
}

/** One side's figures of one line and metric, one per run (null where that run did not give it). */
export interface SideFigures {
  values: (number | null)[];
  median: number | null;
}

export interface CompareRow {
  bench: string;
  metric: string;
  better: Better;
  ref: SideFigures;
  tree: SideFigures;
  /** Pair i: REF's run i against the tree's run i. */
  pair_ratios: (number | null)[];
  median_ratio: number | null;
}

/** Each run's lines, by bench name (the first line of a name in a run). */
export type Run = readonly BenchLine[];

function figure(run: Run | undefined, bench: string, metric: string): number | null {
  const value = run?.find((l) => l.bench === bench)?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function side(values: (number | null)[]): SideFigures {
  return { values, median: median(values.filter((v): v is number => v !== null)) };
}

/**
 * The rows of a comparison: for every line either side reported (the tree's order first) and
 * every metric that line has on at least one side, each side's values and median, each pair's
 * oriented ratio and the median of those ratios. `refRuns[i]` and `treeRuns[i]` are pair i.
 */
export function compareRuns(refRuns: readonly Run[], treeRuns: readonly Run[], metrics: readonly string[]): CompareRow[] {
  const pairs = Math.min(refRuns.length, treeRuns.length);
  const names: string[] = [];
  for (const run of [...treeRuns, ...refRuns]) for (const line of run) if (!names.includes(line.bench)) names.push(line.bench);
  const rows: CompareRow[] = [];
  for (const bench of names) {
    for (const metric of metrics) {
      const better = betterWhen(metric);
      if (better === null) throw new Error(`cannot tell whether a higher ${metric} is better (not a rate *_per_s or a time *_us/_ms/_ns/_s)`);
      const ref = Array.from({ length: pairs }, (_, i) => figure(refRuns[i], bench, metric));
      const tree = Array.from({ length: pairs }, (_, i) => figure(treeRuns[i], bench, metric));
      if (ref.every((v) => v === null) && tree.every((v) => v === null)) continue;
      const ratios = ref.map((r, i) => orientedRatio(r, tree[i]!, better));
      rows.push({
        bench,
        metric,
        better,
        ref: side(ref),
        tree: side(tree),
        pair_ratios: ratios,
        median_ratio: median(ratios.filter((v): v is number => v !== null)),
      });
    }
  }
  return rows;
}

/**
 * What differs between the sides besides the figures: a text field with another value on the
 * other side (`wal_backend native` against `fs`: the REF tree without the native module), a line
 * only one side has, a run's error. One sentence each.
 */
export function differences(refRuns: readonly Run[], treeRuns: readonly Run[]): string[] {
  const notes: string[] = [];
  const first = (runs: readonly Run[], bench: string) => runs.map((r) => r.find((l) => l.bench === bench)).find((l) => l !== undefined);
  const names: string[] = [];
  for (const run of [...treeRuns, ...refRuns]) for (const line of run) if (!names.includes(line.bench)) names.push(line.bench);
  for (const bench of names) {
    const ref = first(refRuns, bench);
    const tree = first(treeRuns, bench);
    if (!ref || !tree) {
      notes.push(`${bench}: only the ${ref ? 'REF' : 'tree'} side reports this line`);
      continue;
    }
    for (const key of new Set([...Object.keys(ref), ...Object.keys(tree)])) {
      if (key === 'bench' || key === 'error') continue;
      const a = ref[key];
      const b = tree[key];
      if ((typeof a === 'string' || typeof b === 'string') && a !== b)
        notes.push(`${bench}: ${key} ${JSON.stringify(b)} in the tree, ${JSON.stringify(a)} in REF`);
    }
  }
  for (const [label, runs] of [
    ['REF', refRuns],
    ['tree', treeRuns],
  ] as const) {
    runs.forEach((run, i) => {
      for (const line of run) if (typeof line.error === 'string') notes.push(`${label} run ${i + 1}: ${line.bench} failed: ${line.error}`);
    });
  }
  return notes;
}
