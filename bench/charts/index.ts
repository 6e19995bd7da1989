// The benchmark charts: which exist, and writing them as SVG files beside RESULTS.md
// (`RESULTS-<name>.svg`) with the markdown that embeds them. A chart whose lines are not in the
// run is skipped, and an SVG it left from an earlier run is removed, so RESULTS.md never shows a
// picture of figures it does not list.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchLine } from '../types.js';
import { kafkaCpuSpec } from './kafka-cpu.js';
import { latencySpec } from './latency.js';
import { renderSvg } from './render.js';
import { throughputSpec } from './throughput.js';
import { walSpec } from './wal.js';

export interface Chart {
  /** File name part: `RESULTS-<name>.svg`. */
  name: string;
  /** Alt text in RESULTS.md. */
  title: string;
  /** The vega-lite spec for these lines, or null when they have none of the chart's figures. */
  spec(lines: readonly BenchLine[]): TopLevelSpec | null;
}

export const CHARTS: readonly Chart[] = [
  { name: 'throughput', title: 'Throughput of each bench group against its baselines (ops/s, log scale)', spec: throughputSpec },
  { name: 'latency', title: 'Latency percentiles per line (us, log scale)', spec: latencySpec },
  { name: 'wal', title: 'WAL records/s against batch size per backend', spec: walSpec },
  { name: 'engine-kafka-cpu', title: 'engine-kafka CPU per order, engine and broker', spec: kafkaCpuSpec },
];

export interface RenderedChart {
  name: string;
  title: string;
  file: string;
  svg: string;
}

export function chartFile(name: string): string {
  return `RESULTS-${name}.svg`;
}

/** Each chart these lines have figures for, rendered. */
export async function renderCharts(lines: readonly BenchLine[], charts: readonly Chart[] = CHARTS): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const chart of charts) {
    const spec = chart.spec(lines);
    if (spec) out.push({ name: chart.name, title: chart.title, file: chartFile(chart.name), svg: await renderSvg(spec) });
  }
  return out;
}

/** Writes the charts into `dir` (removing those with no figures now); returns what was written. */
export async function writeCharts(lines: readonly BenchLine[], dir: string): Promise<RenderedChart[]> {
  const rendered = await renderCharts(lines);
  for (const chart of CHARTS) {
    const done = rendered.find((r) => r.name === chart.name);
    if (done) await writeFile(path.join(dir, done.file), done.svg);
    else await rm(path.join(dir, chartFile(chart.name)), { force: true });
  }
  return rendered;
}

/** The RESULTS.md section embedding the charts (relative links), or '' for none. */
export function chartsMarkdown(charts: readonly RenderedChart[]): string {
  if (charts.length === 0) return '';
  const images = charts.map((c) => `![${c.title}](${c.file})`).join('\n\n');
  return `## Charts\n\nDrawn from the table above by \`bench/charts/\` (vega-lite, rendered to SVG in Node).\n\n${images}\n`;
}
