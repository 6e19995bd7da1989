// Chart: WAL durable records/s against group-commit batch size, one curve per backend (native,
// fs, bare and the bare variants such as bare-prealloc), both axes log-scale.
// Reads the `wal-*` lines' `batch` (records per write+fdatasync), `backend` and `ops_per_s`; a
// baseline whose name after `:` starts with its backend (`wal-fs-b1024:bare-prealloc`) is a curve of
// its own. The same backend at the same batch size measured in two groups (`bare` beside fs and
// beside native) gives two points; the curve goes through their median.
import type { TopLevelSpec } from 'vega-lite';
import type { BenchLine } from '../types.js';
import { distinct, positiveField, variantOf } from './fields.js';

export interface WalPoint {
  bench: string;
  backend: string;
  batch: number;
  ops_per_s: number;
}

export function walPoints(lines: readonly BenchLine[]): WalPoint[] {
  const points: WalPoint[] = [];
  for (const line of lines) {
    if (!line.bench.startsWith('wal-')) continue;
    const batch = positiveField(line, 'batch');
    const ops = positiveField(line, 'ops_per_s');
    if (batch === null || ops === null || typeof line.backend !== 'string') continue;
    const variant = variantOf(line);
    const backend = variant?.startsWith(line.backend) ? variant : line.backend;
    points.push({ bench: line.bench, backend, batch, ops_per_s: ops });
  }
  return points;
}

/** The vega-lite spec, or null when no wal line has a batch size, a backend and a throughput. */
export function walSpec(lines: readonly BenchLine[]): TopLevelSpec | null {
  const points = walPoints(lines);
  if (points.length === 0) return null;
  const batches = distinct(points.map((p) => p.batch)).sort((a, b) => a - b);
  const x = {
    field: 'batch',
    type: 'quantitative',
    scale: { type: 'log', base: 2 },
    axis: { values: batches, format: 'd' },
    title: 'batch size (records per write + fdatasync)',
  } as const;
  const y = { field: 'ops_per_s', type: 'quantitative', scale: { type: 'log' }, axis: { format: '~s' }, title: 'durable records/s (log scale)' } as const;
  const color = { field: 'backend', type: 'nominal', title: 'backend' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      anchor: 'start',
      text: 'WAL records/s against batch size, per backend',
      subtitle: 'wal-* lines: points are lines, curves their median per batch size',
    },
    data: { values: points },
    width: 420,
    height: 260,
    layer: [
      { mark: { type: 'line' }, encoding: { x, y: { ...y, aggregate: 'median' }, color } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { x, y, color, tooltip: [{ field: 'bench' }, { field: 'ops_per_s', format: '.3~s' }] } },
    ],
  };
}
