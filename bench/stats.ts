/** Percentile (0..100) of unsorted samples; sorts a copy. Returns null for no samples. */
export function percentile(samples: ArrayLike<number>, p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50/p99 in microseconds from nanosecond samples. */
export function latencySummaryUs(samplesNs: ArrayLike<number>): { p50_us: number | null; p99_us: number | null } {
  const p50 = percentile(samplesNs, 50);
  const p99 = percentile(samplesNs, 99);
  return { p50_us: p50 === null ? null : round(p50 / 1000), p99_us: p99 === null ? null : round(p99 / 1000) };
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

export function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

/** The item whose `key` is the median (the upper one of an even count), for a median-of-N line. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;
}

/** The figures of every run of a line, ascending, as "a/b/c" (its `runs` field). */
export function runsText(values: readonly number[]): string {
  return values
    .map((v) => Math.round(v))
    .sort((a, b) => a - b)
    .join('/');
}
