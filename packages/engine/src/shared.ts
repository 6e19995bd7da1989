// What the engine's workers share: ring descriptors, the stats and control arrays, the latency
// stamps, and small helpers every worker uses.
import { parentPort } from 'node:worker_threads';
import { WaitStrategies, type RingDescriptor, type WaitStrategy } from '@ringmatch/ring';
import { CommandSlot, defaultSymbolTable, syntheticSymbolTable, type SymbolTable } from '@ringmatch/protocol';
import type { SourceConfig, WaitStrategyName } from './config.js';
import type { SampleBatch } from './metrics.js';
import { faultFacts } from './fault.js';

/** Int32 words of the control array. */
export const Control = {
  /** Main sets 1: the source stops claiming and reports where it stopped. */
  stopSource: 0,
} as const;

export interface SharedState {
  commandRing: RingDescriptor;
  outputRing: RingDescriptor;
  stats: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Float64 publish time (ms, timeOrigin-based) of each sequence, indexed by seq & (length - 1). */
  stamps: SharedArrayBuffer;
}

/** Command ring stages: the journaler makes slots durable; the matcher reads only behind it. */
export const JOURNALER = 'journaler';
export const MATCHER = 'matcher';
export const SINK = 'sink';

export function waitStrategyFor(name: WaitStrategyName): WaitStrategy {
  switch (name) {
    case 'spin':
      return WaitStrategies.busySpin();
    case 'yield':
      return WaitStrategies.yielding();
    case 'block':
      return WaitStrategies.blocking();
  }
}

/** Kafka topics derived from the orders topic name. */
export const dlqTopic = (orders: string): string => `${orders}.dlq`;
export const tradesTopic = (orders: string): string => `${orders}.trades`;
export const reportsTopic = (orders: string): string => `${orders}.reports`;

/** Symbols of a run: synthetic ones for the embedded generator, the default table otherwise. */
export function symbolTableFor(source: SourceConfig): SymbolTable {
  return source.kind === 'embedded' ? syntheticSymbolTable(source.symbols) : defaultSymbolTable();
}

/** The WAL's offset extractor: the Kafka partition/offset (or file line) a command slot carries. */
export function slotSourcePosition(payload: Uint8Array): { partition: number; offset: number } | null {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const partition = view.getInt16(CommandSlot.partition, true);
  if (partition < 0) return null;
  const lo = view.getUint32(CommandSlot.offsetLo, true);
  const hi = view.getUint16(CommandSlot.offsetHi, true);
  if (hi === 0xffff && lo === 0xffffffff) return null;
  return { partition, offset: hi * 4294967296 + lo };
}

/** Wall-clock milliseconds comparable across threads (each worker has its own performance.timeOrigin). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

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

/** Reports a fatal error (its stack and plain facts) to the supervisor and ends the worker with a non-zero code. */
export function fatal(error: unknown, context: Record<string, unknown> = {}): never {
  const message = (error as Error)?.stack ?? String(error);
  parentPort?.postMessage({ type: 'fatal', error: message, fault: faultFacts(error), ...context });
  process.exit(1);
}
