// market-data: what the L2 depth stream and queries cost the engine (issue: market data out).
// - `market-data:depth` is the engine with its default depth stream (top 20 levels per side, each
//   journal batch's net change, to book.ndjson), `market-data:no-depth` the same run with
//   --no-depth; `vs_no_depth` is the share of throughput the stream keeps (goal >= 0.9).
// - `market-data:polled` is the depth run while a client asks GET /book/SYMBOL 100 times a second
//   on the engine's port (symbols in turn): its query latency p50/p99 under full load, and
//   `vs_unpolled`, its throughput against `market-data:unpolled`, the same run with the port open
//   and nobody asking (goal >= 0.97); `unpolled`'s `vs_depth` is what the open port itself costs.
// Each run is a `ringmatch run` process (the CLI, as an operator starts it), and the client is this
// bench process, as a real client is another process. The polled line also carries what a query
// costs the engine in CPU (`query_cpu_us`, measured on an idle engine process) and the share of the
// machine's CPU time 100 of them a second take (`polling_cpu_share`). Both ratios also come paired
// (`*_paired`: the median of the ratios of runs in the same round), which a drift of the machine's
// speed between rounds does not move. Every line by the method of every line (bench/method.ts), as
// two pairs (depth / no-depth, unpolled / polled) whose rounds alternate the order; the depth pair
// runs 12 rounds, not 5, as its effect is smaller than the spread between runs. The engines
// pregenerate their orders. `vs_unpolled_windows` measures the polled goal a third way: windows
// of 1.5 s inside one long run, unpolled, polled, unpolled, decoy, ... (12 polled, 12 decoy), each
// against the unpolled windows either side (`windows`, `decoy_windows`: each ratio); a decoy
// window polls an HTTP server process that is not the engine, so `vs_decoy_windows` is the
// engine's part, apart from what the client itself costs the two shared cores. The client is
// bench/lean-http-client.ts, whose own CPU per request is small.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchGroup, BenchLine } from '../types.js';
import { percentile, round } from '../stats.js';
import { LeanHttpPool } from '../lean-http-client.js';
import { startDecoy } from '../decoy-process.js';
import { freePort } from '@ringmatch/test-kit';
import { measureGroup, median, methodFields, pairedRatio, runsFor } from '../method.js';

type Item = 'depth' | 'no-depth' | 'unpolled' | 'polled';
interface Run {
  ordersPerSecond: number;
  depthUpdates: number;
  /** Query latencies (us) of the polled run. */
  queries: number[];
  failedQueries: number;
}

const CLI = fileURLToPath(new URL('../../../packages/engine/dist/cli.js', import.meta.url));
const POLLS_PER_SECOND = 100;
const SYMBOLS = ['SYM0001', 'SYM0002', 'SYM0003', 'SYM0004', 'SYM0005', 'SYM0006', 'SYM0007', 'SYM0008'];
/** Longest an engine process may run before the bench kills it and fails. */
const PROCESS_TIMEOUT_MS = 180_000;

/** A `ringmatch run` process; `onListening` once its HTTP port listens. Resolves with its stdout when it exits 0. */
function engineProcess(args: string[], onListening?: (child: ChildProcess, port: number) => void): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let listening = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const port = /metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (port && !listening) {
        listening = true;
        onListening?.(child, Number(port[1]));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (code === 0) resolve(stdout);
      else reject(new Error(`ringmatch run ${args.join(' ')} ended with ${code ?? signal}: ${stderr.slice(-1500)}`));
    });
  });
  return { child, done };
}

async function engineRun(dataDir: string, orders: number, item: Item): Promise<Run> {
  const args = ['--data-dir', dataDir, '--fresh', '--progress-ms', '0', '--snapshot-every', '0', '--orders', String(orders), '--pregenerate'];
  if (item === 'no-depth') args.push('--no-depth');
  if (item === 'polled' || item === 'unpolled') args.push('--metrics-port', String(await freePort()));
  const queries: number[] = [];
  let failedQueries = 0;
  /** When a request could not connect or lost its connection: the engine closes its port as it stops. */
  const connectionErrors: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  let pool: LeanHttpPool | null = null;
  const stopPolling = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
    pool?.close();
  };
  const { done } = engineProcess(args, (_child, port) => {
    if (item !== 'polled') return;
    let n = 0;
    const client = new LeanHttpPool(port);
    pool = client;
    // 100 a second, each timed from the request to the last byte of the answer.
    timer = setInterval(() => {
      const started = performance.now();
      client.get(`/book/${SYMBOLS[n++ % SYMBOLS.length]}?levels=20`).then(
        (answer) => (answer.status === 200 ? queries.push((performance.now() - started) * 1000) : failedQueries++),
        () => connectionErrors.push(performance.now()),
      );
    }, 1000 / POLLS_PER_SECOND);
  });
  try {
    const stdout = await done;
    // Connection errors in the engine's last 250 ms are its port closing as it stops; any other is a failure.
    const exitedAt = performance.now();
    failedQueries += connectionErrors.filter((at) => at < exitedAt - 250).length;
    const summary = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{"type":"summary"')) ?? '{}') as {
      ordersPerSecond?: number;
      depthUpdates?: number;
    };
    if (typeof summary.ordersPerSecond !== 'number') throw new Error(`no summary line from ringmatch run: ${stdout.slice(-500)}`);
    return { ordersPerSecond: summary.ordersPerSecond, depthUpdates: summary.depthUpdates ?? 0, queries, failedQueries };
  } finally {
    stopPolling();
  }
}

/** Measured rounds of the depth / no-depth pair (each round both, the order alternating). */
const DEPTH_PAIR_ROUNDS = 12;
/** Polled and decoy windows of one long run (each between two unpolled ones): how many of each, and how long each window is. */
const WINDOW_PAIRS = 12;
const WINDOW_MS = 1500;
/** Progress lines this soon after a window starts still describe the window before. */
const WINDOW_SETTLE_MS = 400;

type WindowKind = 'unpolled' | 'polled' | 'decoy';

/**
 * Polling switched on and off inside one run, so that each polled window is compared with the
 * unpolled windows either side of it, seconds apart, and a drift of the machine's speed between runs
 * (which the bench's runs show, 1M-3M orders/s within minutes) cannot hide a small effect. The run
 * is an unbounded embedded engine with the depth stream and its port open; its rate is the mean of
 * its progress lines' `orders/s` (every 250 ms) within a window. The windows go unpolled, polled,
 * unpolled, decoy, ...: in a decoy window the same client polls the decoy server instead, which
 * costs the machine the same HTTP exchanges without the engine in them. Returns, for the polled and
 * the decoy windows, each window's rate over the mean of its unpolled neighbours'.
 */
async function pollingWindows(dataDir: string): Promise<{ polled: number[]; decoy: number[] }> {
  const rates: { at: number; rate: number }[] = [];
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const args = ['--data-dir', dataDir, '--fresh', '--progress-ms', '250', '--snapshot-every', '0', '--orders', '0', '--metrics-port', String(await freePort())];
  const { child, done } = engineProcess(args, (_child, p) => listening(p));
  done.catch(() => undefined); // a failure shows as the port never listening, below
  let buffered = '';
  child.stderr!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const rate = /orders\/s=(\d+) matched=/.exec(buffered.slice(0, newline));
      if (rate) rates.push({ at: performance.now(), rate: Number(rate[1]) });
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
  let timer: NodeJS.Timeout | null = null;
  const pools: LeanHttpPool[] = [];
  let decoy: ChildProcess | null = null;
  try {
    const p = await Promise.race([port, done.then(() => Promise.reject(new Error('the engine ended before it listened')))]);
    const engine = new LeanHttpPool(p);
    pools.push(engine);
    const window = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, WINDOW_MS)); // a measurement window
    await window(); // start-up and warm-up, not counted
    // The decoy answers as many bytes as the engine's /book does once its books have filled.
    const sample = await engine.get(`/book/${SYMBOLS[0]}?levels=20`);
    const started = startDecoy(sample.body.length);
    decoy = started.child;
    const decoyPool = new LeanHttpPool(await started.port);
    pools.push(decoyPool);
    const windows: { start: number; end: number; kind: WindowKind }[] = [];
    let n = 0;
    for (let w = 0; w < 4 * WINDOW_PAIRS + 1; w++) {
      const kind: WindowKind = w % 2 === 0 ? 'unpolled' : w % 4 === 1 ? 'polled' : 'decoy';
      const target = kind === 'polled' ? engine : decoyPool;
      if (kind !== 'unpolled')
        timer = setInterval(() => {
          target.get(`/book/${SYMBOLS[n++ % SYMBOLS.length]}?levels=20`).catch(() => undefined);
        }, 1000 / POLLS_PER_SECOND);
      const start = performance.now();
      await window();
      if (timer) clearInterval(timer);
      timer = null;
      windows.push({ start, end: performance.now(), kind });
    }
    const meanRate = (w: { start: number; end: number }): number => {
      const inside = rates.filter((r) => r.at >= w.start + WINDOW_SETTLE_MS && r.at <= w.end).map((r) => r.rate);
      return inside.reduce((sum, r) => sum + r, 0) / inside.length;
    };
    const ratios = { polled: [] as number[], decoy: [] as number[] };
    for (let w = 1; w < windows.length - 1; w += 2)
      ratios[windows[w]!.kind === 'polled' ? 'polled' : 'decoy'].push(meanRate(windows[w]!) / ((meanRate(windows[w - 1]!) + meanRate(windows[w + 1]!)) / 2));
    return ratios;
  } finally {
    if (timer) clearInterval(timer);
    for (const pool of pools) pool.close();
    decoy?.kill('SIGTERM');
    child.kill('SIGTERM');
    await done.catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const QUERY_COST_QUERIES = 3000;

/** CPU time (us) of process `pid` so far, all its threads (Linux /proc). */
function processCpuUs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in clock ticks of 1/100 s
}

/**
 * The CPU one GET /book costs the engine process: an engine idling at 1,000 orders/s answers
 * QUERY_COST_QUERIES queries back to back; its CPU over them, less its idle CPU over as long
 * (measured just before, for two seconds), per query. Null where /proc is not there to read.
 */
async function queryCpuUs(dataDir: string): Promise<number | null> {
  if (!fs.existsSync('/proc/self/stat')) return null;
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const args = ['--data-dir', dataDir, '--fresh', '--progress-ms', '0', '--orders', '0', '--rate', '1000', '--metrics-port', String(await freePort())];
  const { child, done } = engineProcess(args, (_child, p) => listening(p));
  done.catch(() => undefined); // a failure shows as the port never listening, below
  let client: LeanHttpPool | null = null;
  try {
    const p = await Promise.race([port, done.then(() => Promise.reject(new Error('the idle engine ended before it listened')))]);
    const pool = new LeanHttpPool(p);
    client = pool;
    const query = async (i: number): Promise<number> => (await pool.get(`/book/${SYMBOLS[i % SYMBOLS.length]}?levels=20`)).status;
    for (let i = 0; i < 200; i++) await query(i); // warm-up
    const pid = child.pid!;
    const idleCpu = processCpuUs(pid);
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2000)); // a measurement window, not a wait for an event
    const idlePerMs = (processCpuUs(pid) - idleCpu) / (performance.now() - idleStart);
    const busyCpu = processCpuUs(pid);
    const busyStart = performance.now();
    for (let i = 0; i < QUERY_COST_QUERIES; i++) {
      const status = await query(i);
      if (status !== 200) throw new Error(`GET /book answered ${status}`);
    }
    return (processCpuUs(pid) - busyCpu - idlePerMs * (performance.now() - busyStart)) / QUERY_COST_QUERIES;
  } finally {
    client?.close();
    child.kill('SIGTERM');
    await done.catch(() => undefined);
  }
}

export const groups: BenchGroup[] = [
  {
    group: 'market-data',
    async *run(ctx) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-market-'));
      // 2M orders: a run of 1M lasts under half a second here, and its spread hid the 10% this group is about.
      const orders = ctx.quick ? 300_000 : 2_000_000;
      try {
        ctx.log(
          `market-data: ringmatch run processes with the depth stream, without, and with ${POLLS_PER_SECOND} book queries/s from this process (${orders} orders)`,
        );
        // Two pairs, each measured in rounds that alternate its order (ABBA...), so the paired
        // ratios compare runs seconds apart. The depth pair runs more rounds than the method's
        // five: its effect (a few percent) is smaller than the machine's spread between runs.
        const depthPair = await measureGroup<Item, Run>(
          ctx,
          ['depth', 'no-depth'],
          (item) => engineRun(path.join(root, item), orders, item),
          (r) => r.ordersPerSecond,
          ctx.quick ? runsFor(ctx) : DEPTH_PAIR_ROUNDS,
        );
        const pollPair = await measureGroup<Item, Run>(
          ctx,
          ['unpolled', 'polled'],
          (item) => engineRun(path.join(root, item), orders, item),
          (r) => r.ordersPerSecond,
        );
        const [depth, noDepth] = depthPair.results as [(typeof depthPair.results)[0], (typeof depthPair.results)[0]];
        const [unpolled, polled] = pollPair.results as [(typeof pollPair.results)[0], (typeof pollPair.results)[0]];
        const queryCpu = await queryCpuUs(path.join(root, 'query-cost'));
        const windows = await pollingWindows(path.join(root, 'windows'));
        const latencies = polled.all.flatMap((r) => r.queries).sort((a, b) => a - b);
        const line = (bench: string, m: typeof depth, extra: Partial<BenchLine>, load = depthPair.load): BenchLine => ({
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
        yield line(
          'market-data:unpolled',
          unpolled,
          { what: 'the depth run with its HTTP port open, not asked anything', vs_depth: round(unpolled.value / depth.value) },
          pollPair.load,
        );
        yield line(
          'market-data:polled',
          polled,
          {
            p50_us: latencies.length ? round(percentile(latencies, 50)!) : null,
            p99_us: latencies.length ? round(percentile(latencies, 99)!) : null,
            queries: latencies.length,
            failed_queries: polled.all.reduce((n, r) => n + r.failedQueries, 0),
            polls_per_s: POLLS_PER_SECOND,
            vs_unpolled: round(polled.value / unpolled.value),
            vs_unpolled_paired: pairedRatio(polled.values, unpolled.values),
            median_queries_per_run: median(polled.all.map((r) => r.queries.length)),
            vs_unpolled_windows: round(median(windows.polled), 3),
            vs_decoy_windows: round(median(windows.polled) / median(windows.decoy), 3),
            decoy_vs_unpolled_windows: round(median(windows.decoy), 3),
            windows: windows.polled.map((r) => round(r, 3)).join('/'),
            decoy_windows: windows.decoy.map((r) => round(r, 3)).join('/'),
            query_cpu_us: queryCpu === null ? null : round(queryCpu),
            polling_cpu_share: queryCpu === null ? null : round((POLLS_PER_SECOND * queryCpu) / (os.cpus().length * 1e6), 4),
          },
          pollPair.load,
        );
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
