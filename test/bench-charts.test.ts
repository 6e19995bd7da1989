// The bench charts (bench/charts/): each chart rendered from a few bench lines is an SVG document
// that shows what it should (line names, values, axis titles, a log axis where it says so), and a
// run without a chart's lines gives no chart rather than an error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartFile, chartsMarkdown, renderCharts, writeCharts } from '../bench/charts/index.js';
import { kafkaCpuSpec } from '../bench/charts/kafka-cpu.js';
import { latencySpec, percentileField } from '../bench/charts/latency.js';
import { renderSvg } from '../bench/charts/render.js';
import { logDomain, throughputSpec } from '../bench/charts/throughput.js';
import { walPoints, walSpec } from '../bench/charts/wal.js';
import type { BenchLine } from '../bench/types.js';

const line = (bench: string, ops: number | null, extra: Record<string, unknown> = {}): BenchLine => ({
  bench,
  ops_per_s: ops,
  p50_us: null,
  p99_us: null,
  ...extra,
});

const LINES: BenchLine[] = [
  line('ring-1p1c', 116_000_000, { p50_us: 17.2, p99_us: 61.3, p50_us_busy_spin: 0.293, p99_us_busy_spin: 31.4 }),
  line('ring-1p1c:port-per-event', 525_000, { p50_us: 45.7, p99_us: 810 }),
  line('ring-1p1c:ringbuf.js', 38_600_000),
  line('engine-embedded', 1_710_000, { p50_us: 827, p99_us: 4420, p999_us: 9100, max_us: 12000, latency_at_orders_per_s: 50000 }),
  line('engine-embedded:channel', 856_000, { p50_us: 1635, p99_us: 6668, latency_at_orders_per_s: 50000 }),
  line('engine-kafka', 87_300, { p50_us: 6000, p99_us: 41000, engine_cpu_us_per_order: 16.3, broker_cpu_us_per_order: 5.38, cpu_total_us_per_order: 21.7 }),
  line('engine-kafka:binary', 208_000, { engine_cpu_us_per_order: 7.12, broker_cpu_us_per_order: 1.53 }),
  line('wal-fs-b64', 245_622, { batch: 64, backend: 'fs' }),
  line('wal-fs-b64:bare', 272_154, { batch: 64, backend: 'bare' }),
  line('wal-native-b1024', 3_168_676, { batch: 1024, backend: 'native' }),
  line('wal-native-b1024:fs', 3_214_207, { batch: 1024, backend: 'fs' }),
  line('wal-native-b1024:bare-prealloc', 3_502_318, { batch: 1024, backend: 'bare' }),
  line('wal-native-b8192', 4_291_141, { batch: 8192, backend: 'native' }),
  line('book-peer', null, { error: 'java not found' }),
];

/** Every text element's content, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&'),
  );
}

/** An SVG document whose tags nest: each closing tag closes the last open one. */
function expectSvgDocument(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const open: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3]) continue; // self-closing
    if (m[1]) expect(open.pop()).toBe(m[2]);
    else open.push(m[2]!);
  }
  expect(open).toEqual([]);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('bench charts', () => {
  it('throughput: one bar per line, grouped by bench group, on a log axis of whole decades', async () => {
    const spec = throughputSpec(LINES)!;
    const svg = await renderSvg(spec);
    expectSvgDocument(svg);
    const t = texts(svg);
    for (const name of ['ring-1p1c', 'ring-1p1c:port-per-event', 'ring-1p1c:ringbuf.js', 'engine-kafka:binary', 'wal-native-b1024:bare-prealloc'])
      expect(t).toContain(name);
    expect(t).not.toContain('book-peer'); // no throughput: not drawn
    expect(t).toContain('ops/s (log scale)');
    expect(t).toContain('116M'); // the bar's value
    // A log axis: ticks at successive powers of ten, none between (a linear axis would have 20M, 40M...).
    expect(t).toEqual(expect.arrayContaining(['100k', '1M', '10M', '100M']));
    expect(t).not.toContain('50M');
    expect(JSON.stringify(spec)).toContain('"type":"log"');
    // One row per group, in the order of the run.
    expect(JSON.stringify(spec)).toContain('"sort":["ring-1p1c","engine-embedded","engine-kafka","wal-fs-b64","wal-native-b1024","wal-native-b8192"]');
  });

  it('throughput: the log domain starts a decade below the smallest value', () => {
    expect(logDomain([100, 2e6]).decades).toEqual([10, 100, 1000, 1e4, 1e5, 1e6, 1e7]);
    expect(logDomain([134940, 5e6]).min).toBe(1e5);
  });

  it('latency: percentile curves per line, the ring engine against the channel engine at one paced rate', async () => {
    const svg = await renderSvg(latencySpec(LINES)!);
    expectSvgDocument(svg);
    const t = texts(svg);
    expect(t).toContain('engine-embedded (paced 50000/s)');
    expect(t).toContain('engine-embedded:channel (paced 50000/s)');
    expect(t).toContain('ring-1p1c busy_spin');
    expect(t).toContain('ring-1p1c:port-per-event');
    expect(t).toEqual(expect.arrayContaining(['p50', 'p99', 'p99.9', 'max', 'latency (us)', '4,420', '6,670', '9,100', '12,000']));
    // Percentiles in order along the axis, whatever order the fields came in.
    const axis = t.filter((s) => /^p\d|^max$/.test(s));
    expect(axis.indexOf('p99.9')).toBeGreaterThan(axis.indexOf('p99'));
    expect(axis.indexOf('max')).toBeGreaterThan(axis.indexOf('p99.9'));
  });

  it('latency: reads pNN_us, p999_us, max_us and qualified fields, nothing else', () => {
    expect(percentileField('p50_us')).toEqual({ rank: 50, percentile: 'p50', qualifier: null });
    expect(percentileField('p999_us')).toEqual({ rank: 99.9, percentile: 'p99.9', qualifier: null });
    expect(percentileField('ring_p99_us')).toEqual({ rank: 99, percentile: 'p99', qualifier: 'ring' });
    expect(percentileField('p99_us_busy_spin')).toEqual({ rank: 99, percentile: 'p99', qualifier: 'busy_spin' });
    expect(percentileField('max_us')).toEqual({ rank: 100, percentile: 'max', qualifier: null });
    expect(percentileField('timer_overhead_us')).toBeNull();
    expect(percentileField('ops_per_s')).toBeNull();
  });

  it('wal: records/s against batch size, one curve per backend', async () => {
    expect(walPoints(LINES).map((p) => p.backend)).toEqual(['fs', 'bare', 'native', 'fs', 'bare-prealloc', 'native']);
    const svg = await renderSvg(walSpec(LINES)!);
    expectSvgDocument(svg);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['native', 'fs', 'bare', 'bare-prealloc', '64', '1024', '8192']));
    expect(t).toContain('batch size (records per write + fdatasync)');
    expect(t).toContain('durable records/s (log scale)');
  });

  it('engine-kafka: CPU per order stacked by stage, with the total', async () => {
    const svg = await renderSvg(kafkaCpuSpec(LINES)!);
    expectSvgDocument(svg);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['engine-kafka', 'engine-kafka:binary', 'engine', 'broker', 'CPU us per order']));
    expect(t).toContain('21.7'); // 16.3 + 5.38
    expect(t).toContain('8.65'); // 7.12 + 1.53
    expect(t).not.toContain('total'); // cpu_total_us_per_order is the sum, not a stage
  });

  it('a run without a chart’s lines gives no chart, not an error', async () => {
    const only = [line('harness', 1.9e8, { checksum: 1 }), line('book-peer', null, { skipped: 'no java' })];
    expect(latencySpec(only)).toBeNull();
    expect(walSpec(only)).toBeNull();
    expect(kafkaCpuSpec(only)).toBeNull();
    expect((await renderCharts(only)).map((c) => c.name)).toEqual(['throughput']);
    expect(await renderCharts([])).toEqual([]);
    expect(chartsMarkdown([])).toBe('');
  });

  it('writes the charts beside RESULTS.md, embeds them by relative link, and removes a chart that has no lines now', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-charts-'));
    dirs.push(dir);
    const all = await writeCharts(LINES, dir);
    expect(all.map((c) => c.file)).toEqual(['RESULTS-throughput.svg', 'RESULTS-latency.svg', 'RESULTS-wal.svg', 'RESULTS-engine-kafka-cpu.svg']);
    for (const c of all) expect(fs.readFileSync(path.join(dir, c.file), 'utf8').startsWith('<svg')).toBe(true);
    const md = chartsMarkdown(all);
    expect(md).toContain('](RESULTS-wal.svg)');
    expect(md).toContain('![Throughput');

    const some = await writeCharts(
      LINES.filter((l) => !l.bench.startsWith('wal-')),
      dir,
    );
    expect(some.map((c) => c.name)).not.toContain('wal');
    expect(fs.existsSync(path.join(dir, chartFile('wal')))).toBe(false);
    expect(fs.existsSync(path.join(dir, chartFile('throughput')))).toBe(true);
  });
});
