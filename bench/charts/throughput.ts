// Chart: each bench group's throughput against its same-run baselines, one horizontal bar per line,
// one row per group, log-scale axis (the lines span 1e4 to 2e8 ops/s).
// Reads: `bench` (group = name before `:`, baseline lines have a `:<baseline>` suffix) and
// `ops_per_s` (lines without a positive ops_per_s, e.g. failed or skipped ones, are left out).
import type { TopLevelSpec } from 'vega-lite';
import type { BenchLine } from '../types.js';
import { distinct, groupOf, positiveField, variantOf } from './fields.js';

export interface ThroughputPoint {
  group: string;
  line: string;
  role: 'bench' | 'baseline';
  ops_per_s: number;
}

export function throughputPoints(lines: readonly BenchLine[]): ThroughputPoint[] {
  const points: ThroughputPoint[] = [];
  for (const line of lines) {
    const ops = positiveField(line, 'ops_per_s');
    if (ops === null) continue;
    points.push({ group: groupOf(line), line: line.bench, role: variantOf(line) === null ? 'bench' : 'baseline', ops_per_s: ops });
  }
  return points;
}

/** The vega-lite spec, or null when no line has a throughput. */
export function throughputSpec(lines: readonly BenchLine[]): TopLevelSpec | null {
  const points = throughputPoints(lines);
  if (points.length === 0) return null;
  const { min, decades } = logDomain(points.map((p) => p.ops_per_s));
  const y = { field: 'line', type: 'nominal', title: null, sort: null, axis: { labelLimit: 0 } } as const;
  // stack: null, or vega-lite stacks the bars from 0, which a log scale cannot place.
  const x = {
    field: 'ops_per_s',
    type: 'quantitative',
    stack: null,
    scale: { type: 'log', domainMin: min, domainMax: decades[decades.length - 1] },
    axis: { values: decades, format: '~s' },
    title: 'ops/s (log scale)',
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      anchor: 'start',
      text: 'Throughput per bench group against its same-run baselines',
      subtitle: 'ops_per_s of each line; compare bars within a group',
    },
    data: { values: points },
    facet: {
      row: {
        field: 'group',
        type: 'nominal',
        title: null,
        sort: distinct(points.map((p) => p.group)),
        // The y labels name each line, its group included: the cells only separate the groups.
        header: { labels: false },
      },
    },
    spec: {
      width: 520,
      encoding: { y, x },
      layer: [
        {
          mark: 'bar',
          encoding: { color: { field: 'role', type: 'nominal', title: null, scale: { domain: ['bench', 'baseline'], range: ['#1f77b4', '#bbbbbb'] } } },
        },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'ops_per_s', type: 'quantitative', format: '.3~s' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/**
 * The powers of ten around the values: `min` a decade below the smallest (a bar at the domain's
 * minimum would have no length), the last one a decade-ish above the largest (room for the text).
 */
export function logDomain(values: readonly number[]): { min: number; decades: number[] } {
  const low = Math.floor(Math.log10(Math.min(...values) * 0.999));
  const high = Math.ceil(Math.log10(Math.max(...values) * 3));
  const decades: number[] = [];
  for (let e = low; e <= high; e++) decades.push(10 ** e);
  return { min: decades[0]!, decades };
}
