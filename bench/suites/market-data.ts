// market-data: what the L2 depth stream and queries cost the engine (issue: market data out).
// - `market-data:depth` is the ring engine with its default depth stream (top 20 levels per side,
//   each journal batch's net change, to book.ndjson), `market-data:no-depth` the same run with --no-depth;
//   `vs_no_depth` is the share of throughput the stream keeps (goal >= 0.9).
// - `market-data:polled` is the depth run while a client asks GET /book/SYMBOL 100 times a second
//   on the engine's port (symbols in turn): its query latency p50/p99 under full load, and
//   `vs_unpolled`, its throughput against the depth run's (goal >= 0.97).
// It also carries what a query costs in CPU (`query_cpu_us`, client and server, measured on an idle
// engine) and the share of the machine's CPU time 100 of them a second take (`polling_cpu_share`).
// Both ratios also come paired (`*_paired`: the median of the ratios of runs in the same round),
// which a drift of the machine's speed between rounds does not move.
// Every line by the method of every line (bench/method.ts); the engines pregenerate their orders.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import type { BenchGroup, BenchLine } from '../types.js';
import { percentile, round } from '../stats.js';
import { measureGroup, median, methodFields, pairedRatio } from '../method.js';

type Item = 'depth' | 'no-depth' | 'polled';
interface Run {
  ordersPerSecond: number;
  depthUpdates: number;
  /** Query latencies (us) of the polled run. */
  queries: number[];
  failedQueries: number;
}

const POLLS_PER_SECOND = 100;
const SYMBOLS = ['SYM0001', 'SYM0002', 'SYM0003', 'SYM0004', 'SYM0005', 'SYM0006', 'SYM0007', 'SYM0008'];

function get(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: keepAlive, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function engineRun(dataDir: string, orders: number, item: Item): Promise<Run> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const config = benchRunConfig(dataDir, ['--orders', String(orders), '--pregenerate'], { depth: item !== 'no-depth' });
  const queries: number[] = [];
  let failedQueries = 0;
  let timer: NodeJS.Timeout | null = null;
  if (item === 'polled') config.metricsPort = await freePort();
  const engine = new Engine(config, {
    log: () => undefined,
    onMetricsPort: (port) => {
      let n = 0;
      // 100 a second, each timed from the request to the last byte of the answer.
      timer = setInterval(() => {
        const started = performance.now();
        get(port, `/book/${SYMBOLS[n++ % SYMBOLS.length]}?levels=20`).then(
          (status) => (status === 200 ? queries.push((performance.now() - started) * 1000) : failedQueries++),
          () => failedQueries++,
        );
      }, 1000 / POLLS_PER_SECOND);
    },
  });
  try {
    const summary = await engine.run();
    return { ordersPerSecond: summary.ordersPerSecond, depthUpdates: summary.depthUpdates, queries, failedQueries };
  } finally {
    if (timer) clearInterval(timer);
  }
}

const QUERY_COST_QUERIES = 3000;

/**
 * The CPU one GET /book costs, client and server both (they share this process): an engine idling
 * at 1,000 orders/s answers QUERY_COST_QUERIES queries back to back; the process's CPU over them,
 * less its idle CPU over as long (measured just before, for a second), per query. The wall-clock
 * ratio of the polled run is within this machine's run-to-run spread; this is what polling takes.
 */
async function queryCpuUs(dataDir: string): Promise<number> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const config = benchRunConfig(dataDir, ['--orders', '0', '--rate', '1000'], { depth: true });
  config.metricsPort = await freePort();
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const engine = new Engine(config, { log: () => undefined, onMetricsPort: (p) => listening(p) });
  const running = engine.run();
  try {
    const p = await Promise.race([port, running.then(() => Promise.reject(new Error('the idle engine ended before it listened')))]);
    const query = (i: number) => get(p, `/book/${SYMBOLS[i % SYMBOLS.length]}?levels=20`);
    for (let i = 0; i < 200; i++) await query(i); // warm-up
    const cpu = (): number => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
    const idleCpu = cpu();
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a measurement window, not a wait for an event
    const idlePerMs = (cpu() - idleCpu) / (performance.now() - idleStart);
    const busyCpu = cpu();
    const busyStart = performance.now();
    for (let i = 0; i < QUERY_COST_QUERIES; i++) {
      const status = await query(i);
      if (status !== 200) throw new Error(`GET /book answered ${status}`);
    }
    const used = cpu() - busyCpu - idlePerMs * (performance.now() - busyStart);
    return used / QUERY_COST_QUERIES;
  } finally {
    engine.stop('bench: query cost measured');
    await running;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = http.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export const groups: BenchGroup[] = [
  {
    group: 'market-data',
    async *run(ctx) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-market-'));
      // 2M orders: a run of 1M lasts under half a second here, and its spread hid the 10% this group is about.
      const orders = ctx.quick ? 300_000 : 2_000_000;
      try {
        ctx.log(`market-data: ring engine with the depth stream, without, and with ${POLLS_PER_SECOND} book queries/s (${orders} orders)`);
        const items: Item[] = ['depth', 'no-depth', 'polled'];
        const { load, results } = await measureGroup<Item, Run>(
          ctx,
          items,
          (item) => engineRun(path.join(root, item), orders, item),
          (r) => r.ordersPerSecond,
        );
        const [depth, noDepth, polled] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
        const queryCpu = await queryCpuUs(path.join(root, 'query-cost'));
        const latencies = polled.all.flatMap((r) => r.queries).sort((a, b) => a - b);
        const line = (bench: string, m: typeof depth, extra: Partial<BenchLine>): BenchLine => ({
          bench,
          ops_per_s: m.value,
          p50_us: null,
          p99_us: null,
          orders,
          source: 'pregenerated',
          ...extra,
          ...methodFields(m.values, load),
        });
        yield line('market-data:depth', depth, {
          depth_levels: 20,
          depth_lines_per_order: round(depth.median.depthUpdates / orders, 3),
          vs_no_depth: round(depth.value / noDepth.value),
          vs_no_depth_paired: pairedRatio(depth.values, noDepth.values),
        });
        yield line('market-data:no-depth', noDepth, {});
        yield line('market-data:polled', polled, {
          p50_us: latencies.length ? round(percentile(latencies, 50)!) : null,
          p99_us: latencies.length ? round(percentile(latencies, 99)!) : null,
          queries: latencies.length,
          failed_queries: polled.all.reduce((n, r) => n + r.failedQueries, 0),
          polls_per_s: POLLS_PER_SECOND,
          vs_unpolled: round(polled.value / depth.value),
          vs_unpolled_paired: pairedRatio(polled.values, depth.values),
          median_queries_per_run: median(polled.all.map((r) => r.queries.length)),
          query_cpu_us: round(queryCpu),
          polling_cpu_share: round((POLLS_PER_SECOND * queryCpu) / (os.cpus().length * 1e6), 4),
        });
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
