// Prometheus metrics (prom-client) and latency distributions (hdr-histogram-js) for the engine.
// Workers keep counters in the shared stats array and post samples (WAL sync times, batch sizes,
// order-to-report latencies) a few times a second; nothing here is on the hot path. The HTTP port
// that serves them is http-server.ts.
import client from 'prom-client';
import hdr from 'hdr-histogram-js';
import { Stat, type StatName } from './stats.js';

/** Highest sequence reached by each stage of the pipeline. */
export interface PipelinePositions {
  published: number;
  durable: number;
  matched: number;
  /** Highest sequence whose outputs the sink has written. */
  outputs: number;
}

/**
 * From the stats alone, downstream first: each figure is read before the one upstream of it, and
 * each stage stores its figure before the stage behind it can move past it, so a reading never has
 * a stage ahead of the one it follows.
 */
export function positionsFromStats(stats: Float64Array): PipelinePositions {
  const outputs = stats[Stat.sinkSequence]!;
  const matched = stats[Stat.matched]!;
  const durable = stats[Stat.durable]!;
  return { published: stats[Stat.published]!, durable, matched, outputs };
}

export interface SampleBatch {
  type: 'samples';
  /** fdatasync (or write+fdatasync) time per WAL batch, ns. */
  walSyncNs?: Float64Array;
  /** Records per WAL batch. */
  walBatch?: Float64Array;
  /** Order-to-report latency of sampled orders, ns. */
  latencyNs?: Float64Array;
}

function newHistogram(): hdr.Histogram {
  // 1 ns .. 60 s at 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
}

export class EngineMetrics {
  readonly registry = new client.Registry();
  /** Cumulative order-to-report latency (ns). */
  readonly latency = newHistogram();
  /** Since the last progress line. */
  private intervalLatency = newHistogram();
  readonly walSync = newHistogram();
  private readonly walSyncSeconds: client.Histogram;
  private readonly walBatchRecords: client.Histogram;

  /** The positions of the scrape being served: one reading for every series, so they agree. */
  private frame: PipelinePositions;

  /** `positions` reads the pipeline downstream first (see positionsFromStats). */
  constructor(
    private readonly stats: Float64Array,
    private readonly positions: () => PipelinePositions = () => positionsFromStats(stats),
  ) {
    this.frame = positionsFromStats(stats); // until the first scrape takes its own reading
    const counter = (name: string, help: string, stat: StatName): void => {
      new client.Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(Math.max(0, readValue(stat)));
        },
      });
    };
    const readValue = (stat: StatName): number => this.stats[Stat[stat]]!;
    const sequenceCount = (stage: keyof PipelinePositions): number => Math.max(0, this.frame[stage] - this.stats[Stat.firstSequence]! + 1);
    for (const [name, help, stage] of [
      ['ringmatch_orders_in_total', 'Commands published into the command ring this run', 'published'],
      ['ringmatch_orders_durable_total', 'Commands durable in the WAL this run', 'durable'],
      ['ringmatch_orders_matched_total', 'Commands processed by the books this run', 'matched'],
    ] as const) {
      new client.Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(sequenceCount(stage));
        },
      });
    }
    counter('ringmatch_trades_total', 'Trades emitted', 'trades');
    counter('ringmatch_reports_total', 'Execution reports emitted', 'reports');
    counter('ringmatch_rejected_total', 'REJECTED execution reports', 'rejected');
    counter('ringmatch_depth_updates_total', 'Depth stream lines published (level changes and snapshot lines)', 'depthUpdates');
    counter('ringmatch_input_malformed_total', 'Input messages that failed to decode', 'malformed');
    counter('ringmatch_wal_batches_total', 'WAL group commits', 'walBatches');
    counter('ringmatch_wal_bytes_total', 'Bytes written to the WAL', 'walBytes');
    counter('ringmatch_snapshots_total', 'Book snapshots written', 'snapshots');
    counter('ringmatch_source_stalls_total', 'Times the source waited on a full ring', 'sourceStalls');
    const lag = new client.Gauge({
      name: 'ringmatch_ring_lag',
      help: 'Sequences between pipeline cursors',
      labelNames: ['stage'],
      registers: [this.registry],
      collect: () => {
        const p = this.frame;
        lag.set({ stage: 'durable' }, p.published - p.durable);
        lag.set({ stage: 'match' }, p.durable - p.matched);
        lag.set({ stage: 'sink' }, Math.max(0, p.matched - p.outputs)); // -1 before the first output
      },
    });
    const cursor = new client.Gauge({
      name: 'ringmatch_cursor',
      help: 'Engine sequence reached by each stage',
      labelNames: ['stage'],
      registers: [this.registry],
      collect: () => {
        const p = this.frame;
        cursor.set({ stage: 'published' }, p.published);
        cursor.set({ stage: 'durable' }, p.durable);
        cursor.set({ stage: 'matched' }, p.matched);
        cursor.set({ stage: 'sink' }, p.outputs);
      },
    });
    const quantiles = new client.Gauge({
      name: 'ringmatch_order_latency_seconds',
      help: 'Order-to-report latency (publish into the ring to report), hdr quantiles',
      labelNames: ['quantile'],
      registers: [this.registry],
      collect: () => {
        for (const q of [50, 90, 99, 99.9]) quantiles.set({ quantile: String(q / 100) }, this.latency.getValueAtPercentile(q) / 1e9);
      },
    });
    this.walSyncSeconds = new client.Histogram({
      name: 'ringmatch_wal_sync_seconds',
      help: 'WAL write + fdatasync time per group commit',
      registers: [this.registry],
      buckets: [25e-6, 50e-6, 100e-6, 200e-6, 400e-6, 800e-6, 1.6e-3, 3.2e-3, 6.4e-3, 12.8e-3, 25.6e-3, 0.1],
    });
    this.walBatchRecords = new client.Histogram({
      name: 'ringmatch_wal_batch_records',
      help: 'Records per WAL group commit',
      registers: [this.registry],
      buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536],
    });
  }

  /**
   * The Prometheus text of every series. prom-client runs every collect callback before its first
   * await, so the one reading taken here serves the whole scrape.
   */
  scrape(): Promise<string> {
    this.frame = this.positions();
    return this.registry.metrics();
  }

  observe(samples: SampleBatch): void {
    if (samples.walSyncNs)
      for (const ns of samples.walSyncNs) {
        this.walSyncSeconds.observe(ns / 1e9);
        this.walSync.recordValue(Math.max(1, ns));
      }
    if (samples.walBatch) for (const n of samples.walBatch) this.walBatchRecords.observe(n);
    if (samples.latencyNs) {
      for (const ns of samples.latencyNs) {
        const value = Math.max(1, Math.min(60e9, Math.round(ns)));
        this.latency.recordValue(value);
        this.intervalLatency.recordValue(value);
      }
    }
  }

  /** p99 order-to-report latency since the previous call, in microseconds (null: no samples). */
  takeIntervalP99Us(): number | null {
    const h = this.intervalLatency;
    const p99 = h.totalCount ? h.getValueAtPercentile(99) / 1000 : null;
    h.reset();
    return p99;
  }
}
