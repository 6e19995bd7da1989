// engine-embedded: orders/s end to end (generator -> durable WAL -> books -> trades file) of the
// ring engine against the channel baseline (same stages, postMessage + piscina), in the same run.
// Throughput comes from an unthrottled run; p50/p99 order-to-report latency from a second run at a
// fixed rate below both engines' capacity (latency at saturation only measures the queue). Both
// engines pregenerate the seeded order flow before the clock starts (the generator keeps a shadow
// book to make realistic cancels, which costs as much as matching): the figure is the engine's.
// `engine-embedded:matcher` is the limit: the same pregenerated stream through the books on one
// thread, trades encoded as the file sink encodes them into memory (no ring, WAL or file); the ring
// line's `vs_matcher` is its share of that rate. The paced run's WAL write+fdatasync p50/p99 sit
// beside its order-to-report latency (`latency_vs_fsync_*`: how many fsyncs an order waits).
// Every line by the method of every line (bench/method.ts): the five runs (two paced) interleaved
// after a warm-up round, each line the median of its runs; 1M orders a run (3M, one run, before
// the method) and 100k paced orders (200k).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine, resolveJsonWriter } from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import { runBareMatcher } from '../bare-matcher.js';
import { sameBytesAsFile } from '../trade-lines.js';
import { runChannelEngine } from '../channel/run.js';
import type { BenchGroup, BenchLine } from '../types.js';
import { round, rssMb, runsText } from '../stats.js';
import { measureGroup, median, methodFields, type Measured } from '../method.js';

function runConfig(dataDir: string, orders: number, rate: number) {
  return benchRunConfig(dataDir, ['--orders', String(orders), '--rate', String(rate), '--pregenerate']);
}

async function ringRun(dataDir: string, orders: number, rate: number) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const engine = new Engine(runConfig(dataDir, orders, rate), { log: () => undefined });
  return engine.run();
}

/** a / b, rounded; null when either is missing or b is 0. */
function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : round(a / b);
}

/**
 * The ring run's order stream through the books on one worker thread (engine-embedded:matcher);
 * fails unless it makes the ring run's trades, byte for byte.
 */
async function matcherRun(ringDir: string, orders: number, ring: { trades: number; tradesFile: string }) {
  const bare = await runBareMatcher(runConfig(ringDir, orders, 0));
  if (bare.trades !== ring.trades) throw new Error(`engine-embedded:matcher made ${bare.trades} trades, the ring engine ${ring.trades}`);
  if (!sameBytesAsFile(bare.chunks, ring.tradesFile)) {
    throw new Error(`engine-embedded:matcher: its ${bare.tradesBytes} bytes of trades differ from the ring engine's ${ring.tradesFile}`);
  }
  const { chunks: _chunks, ...figures } = bare; // the buffers go; only the figures stay
  return figures;
}

type Item = 'ring' | 'matcher' | 'channel' | 'ring-lat' | 'channel-lat';
type RingRun = Awaited<ReturnType<typeof ringRun>>;
type ChannelRun = Awaited<ReturnType<typeof runChannelEngine>>;
type MatcherRun = Awaited<ReturnType<typeof matcherRun>>;
/** One run of an item; `figure` is its median key: orders/s, or the paced runs' p50. */
type Run = { ring?: RingRun; channel?: ChannelRun & { sameTrades: boolean }; matcher?: MatcherRun; figure: number };

/** The median of a figure of runs (null if any run lacks it). */
function medianOf<R>(runs: readonly R[], figure: (r: R) => number | null): number | null {
  const values = runs.map(figure);
  return values.some((v) => v === null) ? null : median(values as number[]);
}

export const groups: BenchGroup[] = [
  {
    group: 'engine-embedded',
    async *run(ctx) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-engine-'));
      const orders = ctx.quick ? 300_000 : 1_000_000;
      const latencyRate = 50_000;
      const latencyOrders = ctx.quick ? 50_000 : 100_000;
      const ringDir = path.join(root, 'ring');
      // The channel writes its trades with the ring engine's JSON writer (--json-writer auto).
      const jsonWriter = (await resolveJsonWriter('auto')).writer;
      const channelOptions = { orders, seed: 1, symbols: 8, accounts: 1000, backend: 'auto' as const, pregenerate: true, jsonWriter };
      let lastRing: RingRun | null = null;
      try {
        ctx.log(
          `engine-embedded: ring engine, bare matcher, channel baseline (${orders} orders), and both paced at ${latencyRate}/s (${latencyOrders} orders)`,
        );
        const items: Item[] = ['ring', 'matcher', 'channel', 'ring-lat', 'channel-lat'];
        const { load, results } = await measureGroup<Item, Run>(
          ctx,
          items,
          async (item) => {
            if (item === 'ring') {
              lastRing = await ringRun(ringDir, orders, 0);
              return { ring: lastRing, figure: lastRing.ordersPerSecond };
            }
            // the ring's trades (the first round runs the ring first): the stream is the same every run
            if (item === 'matcher') {
              const matcher = await matcherRun(ringDir, orders, lastRing!);
              return { matcher, figure: matcher.ordersPerSecond };
            }
            if (item === 'ring-lat') {
              const ring = await ringRun(path.join(root, 'ring-lat'), latencyOrders, latencyRate);
              return { ring, figure: ring.latencyP50Us ?? Number.NaN };
            }
            const paced = item === 'channel-lat';
            const channel = await runChannelEngine(
              paced
                ? { ...channelOptions, orders: latencyOrders, rate: latencyRate, dataDir: path.join(root, 'channel-lat') }
                : { ...channelOptions, dataDir: path.join(root, 'channel') },
            );
            const sameTrades = paced || fs.readFileSync(path.join(ringDir, 'trades.ndjson')).equals(fs.readFileSync(channel.tradesFile));
            return { channel: { ...channel, sameTrades }, figure: paced ? (channel.latencyP50Us ?? Number.NaN) : channel.ordersPerSecond };
          },
          (r) => r.figure,
        );
        const [ringRuns, matcherRuns, channelRuns, ringLatRuns, channelLatRuns] = results as [
          Measured<Run>,
          Measured<Run>,
          Measured<Run>,
          Measured<Run>,
          Measured<Run>,
        ];
        const ring = ringRuns.median.ring!;
        const matcher = matcherRuns.median.matcher!;
        const channel = channelRuns.median.channel!;
        const lat = (runs: Measured<Run>, f: (r: RingRun | ChannelRun) => number | null): number | null => medianOf(runs.all, (r) => f((r.ring ?? r.channel)!));
        const ringP50 = lat(ringLatRuns, (r) => r.latencyP50Us);
        const ringP99 = lat(ringLatRuns, (r) => r.latencyP99Us);
        const syncP50 = medianOf(ringLatRuns.all, (r) => r.ring!.walSyncP50Us);
        const syncP99 = medianOf(ringLatRuns.all, (r) => r.ring!.walSyncP99Us);
        const p99Runs = (runs: Measured<Run>): string => runsText(runs.all.map((r) => (r.ring ?? r.channel)!.latencyP99Us ?? Number.NaN));
        const line: BenchLine = {
          bench: 'engine-embedded',
          ops_per_s: ring.ordersPerSecond,
          p50_us: ringP50,
          p99_us: ringP99,
          p99_us_runs: p99Runs(ringLatRuns),
          latency_at_orders_per_s: latencyRate,
          latency_orders: latencyOrders,
          saturated_p99_us: lat(ringRuns, (r) => r.latencyP99Us),
          orders,
          source: 'pregenerated',
          trades: ring.trades,
          wal_backend: ring.walBackend,
          wal_avg_batch: ring.walAvgBatch,
          // WAL write + fdatasync per group commit in the paced runs (the latency runs), and in the
          // unthrottled ones, where batches are large.
          wal_sync_p50_us: syncP50,
          wal_sync_p99_us: syncP99,
          saturated_wal_sync_p99_us: medianOf(ringRuns.all, (r) => r.ring!.walSyncP99Us),
          latency_vs_fsync_p50: ratio(ringP50, syncP50),
          latency_vs_fsync_p99: ratio(ringP99, syncP99),
          vs_channel: round(ringRuns.value / channelRuns.value),
          vs_matcher: round(ringRuns.value / matcherRuns.value),
          rss_mb: rssMb(),
          ...methodFields(ringRuns.values, load),
        };
        yield line;
        yield {
          bench: 'engine-embedded:matcher',
          ops_per_s: matcher.ordersPerSecond,
          p50_us: null,
          p99_us: null,
          orders,
          source: 'pregenerated',
          threads: 1,
          book: matcher.book,
          trades: matcher.trades,
          trades_bytes: matcher.tradesBytes,
          same_trades_as_ring: true, // checked in every run: the group fails otherwise
          ...methodFields(matcherRuns.values, load),
        };
        yield {
          bench: 'engine-embedded:channel',
          ops_per_s: channel.ordersPerSecond,
          p50_us: lat(channelLatRuns, (r) => r.latencyP50Us),
          p99_us: lat(channelLatRuns, (r) => r.latencyP99Us),
          p99_us_runs: p99Runs(channelLatRuns),
          latency_at_orders_per_s: latencyRate,
          latency_orders: latencyOrders,
          saturated_p99_us: lat(channelRuns, (r) => r.latencyP99Us),
          orders,
          trades: channel.trades,
          wal_avg_batch: channel.walAvgBatch,
          same_trades_as_ring: channelRuns.all.every((r) => r.channel!.sameTrades),
          ...methodFields(channelRuns.values, load),
        };
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
