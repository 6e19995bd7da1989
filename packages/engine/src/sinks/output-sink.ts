// The sink plug-in interface. The sink worker (workers/sink.ts) is the output ring's processor: it
// reads each slot and hands trades, execution reports, depth lines and marks to one OutputSink, which writes
// them somewhere and reports, through SinkProgress, how far the outputs are written and durable.
// A sink is one file in this folder, registered in sink-registry.ts.
import type { DepthUpdate, ExecutionReport, Trade } from '@ringmatch/protocol';
import type { SourceConfig } from '../config.js';
import type { OutputPosition } from '../output-file.js';

/** How far the outputs are: both are engine sequences; each only grows. */
export interface SinkProgress {
  /** Every output of sequences <= seq is written (files) or handed to the broker (Kafka). */
  written(seq: number): void;
  /** Every output of sequences <= seq is durable: a snapshot at seq may now be written. */
  durable(seq: number): void;
}

export interface OutputSink {
  /**
   * True when `output` reads the `report` / `trade` objects; false when it reads the slot's bytes
   * itself (the native JSON writer), so the worker does not decode each slot into them.
   */
  readonly decodesSlots: boolean;
  /** A trade (`isTrade`) or an execution report of sequence `seq`, read into `trade` / `report` when `decodesSlots`; its slot is at `offset` in `bytes`. */
  output(isTrade: boolean, seq: number, bytes: Uint8Array, offset: number, report: ExecutionReport, trade: Trade): void;
  /** A line of the L2 depth stream of sequence `seq`, read into `update`; its slot is at `offset` in `bytes`. */
  depth(seq: number, bytes: Uint8Array, offset: number, update: DepthUpdate): void;
  /** Every output of sequences <= seq came before this mark. `snapshot`: a snapshot at seq waits for those outputs to be durable. */
  mark(seq: number, snapshot: boolean): void;
  /**
   * Before each batch of slots: backpressure. A promise holds the batch (and the ring behind it)
   * until the sink can take more; the slots of the batches before it are already free.
   */
  ready(): void | Promise<void>;
  /** After each batch of slots (synchronous: the processor then frees them): the flush policy. */
  endBatch(): void;
  /** Nothing arrived for a while: write out what is buffered. */
  idle(): void;
  /** The output stream ended: everything written and durable, then released. */
  close(): Promise<void>;
}

/** What the main thread decides about a run's outputs (it travels in the sink worker's workerData). */
export interface SinkSettings {
  source: SourceConfig;
  outputDir: string;
  writeReports: boolean;
  /** What writes output JSON (resolved on the main thread, json-writer.ts). */
  jsonWriter: 'js' | 'native';
  /** The matcher publishes the L2 depth stream. */
  writeDepth: boolean;
  /** Periodic snapshots will ask for durable outputs: sync files in small steps as they grow. */
  syncInSteps: boolean;
  /** Where each output file ended before this run (files only). */
  tradesPosition: OutputPosition;
  reportsPosition: OutputPosition;
  bookPosition: OutputPosition;
}

export interface SinkContext extends SinkSettings {
  progress: SinkProgress;
  /** Counts outputs written (metrics). */
  onWritten(count: number): void;
  /** A failure off the processor's path (a background sync, a broker request): fails the engine. */
  fail(error: unknown): void;
}
