// Latency and WAL samples, buffered in a worker and posted to the main thread a few times a second
// (metrics, off the hot path).
import { parentPort } from 'node:worker_threads';
import type { SampleBatch } from './metrics.js';
import { nowMs } from './shared.js';

/** Buffers latency / WAL samples in a worker and posts them to the main thread a few times a second. */
export class SampleCollector {
  private latency: number[] = [];
  private walSync: number[] = [];
  private walBatch: number[] = [];
  private lastFlush = nowMs();
  constructor(private readonly intervalMs = 250) {}
  latencyNs(ns: number): void {
    this.latency.push(ns);
  }
  wal(syncNs: number, records: number): void {
    this.walSync.push(syncNs);
    this.walBatch.push(records);
  }
  /** Posts if the interval has passed (or always with force). */
  maybeFlush(force = false): void {
    const t = nowMs();
    if (!force && t - this.lastFlush < this.intervalMs) return;
    this.lastFlush = t;
    if (this.latency.length + this.walSync.length === 0) return;
    const batch: SampleBatch = { type: 'samples' };
    if (this.latency.length) batch.latencyNs = Float64Array.from(this.latency);
    if (this.walSync.length) {
      batch.walSyncNs = Float64Array.from(this.walSync);
      batch.walBatch = Float64Array.from(this.walBatch);
    }
    this.latency = [];
    this.walSync = [];
    this.walBatch = [];
    parentPort?.postMessage(batch);
  }
}
