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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import { runBareMatcher } from '../bare-matcher.js';
import { sameBytesAsFile } from '../trade-lines.js';
import { runChannelEngine } from '../channel/run.js';
import type { BenchGroup, BenchLine } from '../types.js';
import { round, rssMb } from '../stats.js';

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

export const groups: BenchGroup[] = [
  {
    group: 'engine-embedded',
    async *run(ctx) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-engine-'));
      const orders = ctx.quick ? 300_000 : 3_000_000;
      const latencyRate = 50_000;
      const latencyOrders = ctx.quick ? 50_000 : 200_000;
      try {
        ctx.log(`engine-embedded: ring engine, ${orders} orders`);
        const ring = await ringRun(path.join(root, 'ring'), orders, 0);
        ctx.log(`engine-embedded: bare matcher (one thread, no WAL), ${orders} orders`);
        const matcher = await matcherRun(path.join(root, 'ring'), orders, ring);
        const ringLatency = await ringRun(path.join(root, 'ring-lat'), latencyOrders, latencyRate);
        ctx.log(`engine-embedded: channel baseline, ${orders} orders`);
        const channelOptions = { orders, seed: 1, symbols: 8, accounts: 1000, backend: 'auto' as const, pregenerate: true };
        const channel = await runChannelEngine({ ...channelOptions, dataDir: path.join(root, 'channel') });
        const channelLatency = await runChannelEngine({ ...channelOptions, orders: latencyOrders, rate: latencyRate, dataDir: path.join(root, 'channel-lat') });
        const line: BenchLine = {
          bench: 'engine-embedded',
          ops_per_s: ring.ordersPerSecond,
          p50_us: ringLatency.latencyP50Us,
          p99_us: ringLatency.latencyP99Us,
          latency_at_orders_per_s: latencyRate,
          saturated_p99_us: ring.latencyP99Us,
          orders,
          source: 'pregenerated',
          trades: ring.trades,
          wal_backend: ring.walBackend,
          wal_avg_batch: ring.walAvgBatch,
          // WAL write + fdatasync per group commit in the paced run (the latency run), and in the
          // unthrottled one, where batches are large.
          wal_sync_p50_us: ringLatency.walSyncP50Us,
          wal_sync_p99_us: ringLatency.walSyncP99Us,
          saturated_wal_sync_p99_us: ring.walSyncP99Us,
          latency_vs_fsync_p50: ratio(ringLatency.latencyP50Us, ringLatency.walSyncP50Us),
          latency_vs_fsync_p99: ratio(ringLatency.latencyP99Us, ringLatency.walSyncP99Us),
          vs_channel: round(ring.ordersPerSecond / channel.ordersPerSecond),
          vs_matcher: round(ring.ordersPerSecond / matcher.ordersPerSecond),
          rss_mb: rssMb(),
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
          trades: matcher.trades,
          trades_bytes: matcher.tradesBytes,
          same_trades_as_ring: true, // checked above: the group fails otherwise
        };
        yield {
          bench: 'engine-embedded:channel',
          ops_per_s: channel.ordersPerSecond,
          p50_us: channelLatency.latencyP50Us,
          p99_us: channelLatency.latencyP99Us,
          latency_at_orders_per_s: latencyRate,
          saturated_p99_us: channel.latencyP99Us,
          orders,
          trades: channel.trades,
          wal_avg_batch: channel.walAvgBatch,
          same_trades_as_ring: fs.readFileSync(path.join(root, 'ring', 'trades.ndjson')).equals(fs.readFileSync(channel.tradesFile)),
        };
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
