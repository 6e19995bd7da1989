// What the engine's workers share: ring descriptors, the engine's sequences, the stats (metrics)
// and control arrays, the latency stamps, and small helpers every worker uses.
import { WaitStrategies, type RingDescriptor, type SequenceSetDescriptor, type WaitStrategy } from '@ringmatch/ring';
import { CommandSlot, defaultSymbolTable, syntheticSymbolTable, type SymbolTable } from '@ringmatch/protocol';
import { syntheticSymbolCount, type SourceConfig, type WaitStrategyName } from './config.js';

/** Int32 words of the control array. */
export const Control = {
  /** Main sets 1: the source stops claiming and reports where it stopped. */
  stopSource: 0,
  /** The matcher sets 1 once its books are rebuilt (snapshot and WAL replay): intake may open (intake-gate.ts). */
  matcherReady: 1,
  /** The sink sets 1 once its outputs are open: intake may open. */
  sinkReady: 2,
} as const;

export interface SharedState {
  /** Commands, in engine sequence order: poller -> journaler -> matcher. */
  commandRing: RingDescriptor;
  /** Trades, execution reports and marks: matcher -> sink. */
  outputRing: RingDescriptor;
  /** Snapshots of the books, in chunks: matcher -> journaler. */
  snapshotRing: RingDescriptor;
  /** Engine sequences that are not ring cursors (see EngineSequence). */
  sequences: SequenceSetDescriptor;
  /** Metrics only: nothing reads them to decide anything. */
  stats: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Float64 publish time (ms, timeOrigin-based) of each sequence, indexed by seq & (length - 1). */
  stamps: SharedArrayBuffer;
  /** The books' top N per symbol for queries (depth-view.ts): matcher -> main; null with --no-depth. */
  depthView: SharedArrayBuffer | null;
  /** The last trades per symbol for the live view (trade-tape.ts): matcher -> main. */
  tradeTape: SharedArrayBuffer;
}

/** Command ring stages: the journaler makes slots durable; the matcher reads only behind it. */
export const JOURNALER = 'journaler';
export const MATCHER = 'matcher';
/** Output ring stage. */
export const SINK = 'sink';
/** Snapshot ring stage (the journaler writes snapshot files). */
export const SNAPSHOT_WRITER = 'snapshot-writer';

/** Engine sequences written by the sink, in engine sequence numbers (-1 before any). */
export const EngineSequence = {
  /** Every output of sequences <= this is written to the output files, or handed to Kafka. */
  outputsWritten: 'outputs-written',
  /** Every output of sequences <= this is durable: fdatasync'ed files, or acknowledged by Kafka. A snapshot at S waits for it to reach S. */
  outputsDurable: 'outputs-durable',
} as const;

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
/** The L2 depth stream of an orders topic. */
export const bookTopic = (orders: string): string => `${orders}.book`;

/** Symbols of a run: synthetic ones for the embedded generator (or a file read with --symbols), the default table otherwise. */
export function symbolTableFor(source: SourceConfig): SymbolTable {
  const count = syntheticSymbolCount(source);
  return count === null ? defaultSymbolTable() : syntheticSymbolTable(count);
}

/** Symbol ids run from 0: how many slots a per-symbol table of `symbols` needs. */
export function symbolSlots(symbols: SymbolTable): number {
  return symbols.list().reduce((max, d) => Math.max(max, d.id + 1), 0);
}

/** The source position (stream, position) a command slot carries, null when it carries none. */
export function slotSourcePosition(payload: Uint8Array): { partition: number; offset: number } | null {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const partition = view.getInt16(CommandSlot.sourceStream, true);
  if (partition < 0) return null;
  const lo = view.getUint32(CommandSlot.sourcePositionLo, true);
  const hi = view.getUint16(CommandSlot.sourcePositionHi, true);
  if (hi === 0xffff && lo === 0xffffffff) return null;
  return { partition, offset: hi * 4294967296 + lo };
}

/** Wall-clock milliseconds comparable across threads (each worker has its own performance.timeOrigin). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
