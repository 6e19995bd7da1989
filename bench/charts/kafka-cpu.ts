// Chart: CPU per order of each engine-kafka line, split by where it is spent (the engine process,
// all its threads; the Kafka broker sharing the 2 cores), stacked, with the total at the end.
// Reads the `engine-kafka*` lines' `<stage>_cpu_us_per_order` fields (`engine_cpu_us_per_order`,
// `broker_cpu_us_per_order`; any other stage a line adds becomes its own segment). Their sum,
// `cpu_total_us_per_order`, is not a stage and is not read. Lines without a stage are left out.
import type { TopLevelSpec } from 'vega-lite';
import type { BenchLine } from '../types.js';
import { distinct, numberField } from './fields.js';

export interface CpuPoint {
  bench: string;
  stage: string;
  us_per_order: number;
}

const STAGE = /^(.+)_cpu_us_per_order$/;

export function kafkaCpuPoints(lines: readonly BenchLine[]): CpuPoint[] {
  const points: CpuPoint[] = [];
  for (const line of lines) {
    if (!line.bench.startsWith('engine-kafka')) continue;
    for (const key of Object.keys(line)) {
      const stage = STAGE.exec(key)?.[1];
      const value = numberField(line, key);
      if (stage === undefined || value === null || value < 0) continue;
      points.push({ bench: line.bench, stage, us_per_order: value });
    }
  }
  return points;
}

/** The vega-lite spec, or null when no engine-kafka line records CPU per order. */
export function kafkaCpuSpec(lines: readonly BenchLine[]): TopLevelSpec | null {
  const points = kafkaCpuPoints(lines);
  if (points.length === 0) return null;
  const y = { field: 'bench', type: 'nominal', sort: distinct(points.map((p) => p.bench)), title: null, axis: { labelLimit: 0 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      anchor: 'start',
      text: 'engine-kafka: CPU per order, engine and broker',
      subtitle: 'us of CPU (user + system) per order, stacked; the broker shares the 2 cores',
    },
    data: { values: points },
    width: 420,
    layer: [
      {
        mark: 'bar',
        encoding: {
          y,
          x: { field: 'us_per_order', type: 'quantitative', stack: 'zero', title: 'CPU us per order' },
          color: { field: 'stage', type: 'nominal', title: 'stage', sort: distinct(points.map((p) => p.stage)), legend: { orient: 'bottom' } },
          order: { field: 'stage', sort: 'ascending' },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: {
          y,
          x: { field: 'us_per_order', type: 'quantitative', aggregate: 'sum' },
          text: { field: 'us_per_order', type: 'quantitative', aggregate: 'sum', format: '.3~g' },
        },
      },
    ],
  };
}
