// Latency and WAL samples, buffered in a worker and posted to the main thread a few times a second
// (metrics, off the hot path). The buffers are fixed typed arrays, filled in place: no array that
// grows (bounded memory, and no elements-kind change when the first fractional sample comes) and no
// field reassigned after construction, either of which deoptimises the hot loop that records into
// them while the engine is still warming up.
import { parentPort } from 'node:worker_threads';
import type { SampleBatch } from './metrics.js';
import { nowMs } from './shared.js';

/** Samples per series held between posts; a full buffer posts at once. */
const CAPACITY = 16_384;

/** Buffers latency / WAL samples in a worker and posts them to the main thread a few times a second. */
export class SampleCollector {
  private readonly latency = new Float64Array(CAPACITY);
  private latencyCount = 0;
  private readonly walSync = new Float64Array(CAPACITY);
  private readonly walBatch = new Float64Array(CAPACITY);
  private walCount = 0;
  private lastFlush = nowMs();
  constructor(
    private readonly intervalMs = 250,
    /** Where a batch goes: the main thread (metrics.ts) in a worker. */
    private readonly post: (batch: SampleBatch) => void = (batch) => parentPort?.postMessage(batch),
  ) {}

  latencyNs(ns: number): void {
    if (this.latencyCount === CAPACITY) this.maybeFlush(true);
    this.latency[this.latencyCount++] = ns;
  }

  wal(syncNs: number, records: number): void {
    if (this.walCount === CAPACITY) this.maybeFlush(true);
    this.walSync[this.walCount] = syncNs;
    this.walBatch[this.walCount++] = records;
  }

  /** Posts if the interval has passed (or always with force). */
  maybeFlush(force = false): void {
    const t = nowMs();
    if (!force && t - this.lastFlush < this.intervalMs) return;
    this.lastFlush = t;
    if (this.latencyCount + this.walCount === 0) return;
    const batch: SampleBatch = { type: 'samples' };
    // slice copies: the posted arrays are the receiver's, the buffers stay here.
    if (this.latencyCount > 0) batch.latencyNs = this.latency.slice(0, this.latencyCount);
    if (this.walCount > 0) {
      batch.walSyncNs = this.walSync.slice(0, this.walCount);
      batch.walBatch = this.walBatch.slice(0, this.walCount);
    }
    this.latencyCount = 0;
    this.walCount = 0;
    this.post(batch);
  }
}
