/**
 * One line of the benchmark contract (docs/ARCHITECTURE.md §7). `null` where a figure does not apply.
 * p50_us/p99_us are in-process latencies (timed inside this machine's processes, one clock); a
 * latency measured end to end through Kafka from record timestamps goes in e2e_p50_us/e2e_p99_us
 * instead, never in p50_us/p99_us. Every line also says how it was measured (bench/method.ts):
 * `method`, `runs` (every run's figure, ascending) and `load_avg_1m`.
 */
export interface BenchLine {
  bench: string;
  ops_per_s: number | null;
  p50_us: number | null;
  p99_us: number | null;
  e2e_p50_us?: number | null;
  e2e_p99_us?: number | null;
  [extra: string]: unknown;
}

export interface BenchContext {
  /** Keep each bench to a few seconds. */
  quick: boolean;
  /** Prefix filter from `--only` (already applied to groups; suites may use it for sub-lines). */
  only: string | null;
  /** Progress and diagnostics go here (stderr), never to stdout. */
  log(message: string): void;
}

/**
 * A group of lines measured together: the bench and its baselines, in the same run, so ratios
 * compare like with like on a noisy 2-core machine. `group` is the bench name (e.g. `ring-1p1c`);
 * its lines are `group` and `group:<baseline>`.
 */
export interface BenchGroup {
  group: string;
  run(ctx: BenchContext): AsyncIterable<BenchLine>;
}
