// Chart: latency percentile curves, one panel per bench group, one curve per line (and per kind of
// latency a line reports), percentile on x, latency on a log-scale y: the ring engine against the
// channel engine at the same paced rate in `engine-embedded`, in-process against the channel and
// the Kafka end to end (`e2e`) in `engine-kafka`, the ring hop against postMessage in `ring-*`.
// Reads every field named `p<N>_us` or `max_us`, optionally with a qualifier before or after it
// (`p50_us`, `p99_us`, `e2e_p50_us`, `saturated_p99_us`, `p50_us_busy_spin`, a future `p999_us`
// = p99.9): a qualifier makes its own curve (`engine-kafka e2e`). `latency_at_orders_per_s`
// (the paced rate of the p50/p99 run) goes into the curve's name. Lines with no such figure are
// left out.
import type { TopLevelSpec } from 'vega-lite';
import type { BenchLine } from '../types.js';
import { distinct, groupOf, numberField, positiveField } from './fields.js';

export interface LatencyPoint {
  group: string;
  series: string;
  percentile: string;
  /** Where the percentile sorts: 50, 99, 99.9, ...; max is 100. */
  rank: number;
  latency_us: number;
}

const FIELD = /^(?:(.+)_)?(?:p(\d+)|(max))_us(?:_(.+))?$/;

/** A percentile field's rank and label, and its qualifier; null for any other field. */
export function percentileField(key: string): { rank: number; percentile: string; qualifier: string | null } | null {
  const m = FIELD.exec(key);
  if (!m) return null;
  const qualifier = [m[1], m[4]].filter(Boolean).join(' ') || null;
  if (m[3]) return { rank: 100, percentile: 'max', qualifier };
  // p50 -> 50, p99 -> 99, p999 -> 99.9, p9999 -> 99.99: the digits after "99" are decimals.
  const digits = m[2]!;
  const rank = digits.length <= 2 ? Number(digits) : Number(`${digits.slice(0, 2)}.${digits.slice(2)}`);
  return { rank, percentile: `p${rank}`, qualifier };
}

export function latencyPoints(lines: readonly BenchLine[]): LatencyPoint[] {
  const points: LatencyPoint[] = [];
  for (const line of lines) {
    const paced = numberField(line, 'latency_at_orders_per_s');
    for (const key of Object.keys(line)) {
      const field = percentileField(key);
      const value = field && positiveField(line, key);
      if (!field || value === null) continue;
      const name = field.qualifier ? `${line.bench} ${field.qualifier}` : line.bench;
      const series = paced !== null && !field.qualifier ? `${name} (paced ${paced}/s)` : name;
      points.push({ group: groupOf(line), series, percentile: field.percentile, rank: field.rank, latency_us: value });
    }
  }
  return points;
}

/** The vega-lite spec, or null when no line carries a percentile. */
export function latencySpec(lines: readonly BenchLine[]): TopLevelSpec | null {
  const points = latencyPoints(lines);
  if (points.length === 0) return null;
  const percentiles = distinct([...points].sort((a, b) => a.rank - b.rank).map((p) => p.percentile));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { anchor: 'start', text: 'Latency percentiles per line', subtitle: 'one panel per bench group; latency in us, log scale' },
    data: { values: points },
    facet: { field: 'group', type: 'nominal', title: null, sort: distinct(points.map((p) => p.group)), header: { labelFontWeight: 'bold' } },
    columns: 3,
    spec: {
      width: 200,
      height: 150,
      encoding: {
        x: { field: 'percentile', type: 'ordinal', sort: percentiles, title: 'percentile', axis: { labelAngle: 0 } },
        y: { field: 'latency_us', type: 'quantitative', scale: { type: 'log' }, axis: { format: ',~r' }, title: 'latency (us)' },
        color: { field: 'series', type: 'nominal', title: 'line', legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 } },
      },
      layer: [
        { mark: { type: 'line', point: true } },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -4, fontSize: 9 },
          encoding: { text: { field: 'latency_us', type: 'quantitative', format: ',.3~r' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent', color: 'independent' } },
  };
}
