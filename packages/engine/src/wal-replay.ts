// Rebuilding the books from a recovery plan's base and WAL records: the matcher does it at start-up,
// `ringmatch replay` does it offline, with this same code.
import type { BookSink, MatchingEngine } from '@ringmatch/book';
import { COMMAND_SLOT_BYTES, createCommand, hasBatchEndMark, readCommand, type Command } from '@ringmatch/protocol';
import { readRecords } from '@ringmatch/wal';
import { decodeEngineSnapshot, type EngineSnapshot } from './engine-snapshot.js';
import type { ReplayBase } from './output-rebuild.js';

/** Restores the base snapshot into the books (either book); returns what else it holds (output positions, depth tracker state). */
export function restoreBase(engine: { restore(bytes: Uint8Array): void }, base: ReplayBase | null): EngineSnapshot | null {
  if (base === null) return null;
  const restored = decodeEngineSnapshot(base.data);
  engine.restore(restored.books);
  return restored;
}

export interface ReplayProgress {
  /** Called with each command after the books processed it; `batchEnd`: its record ends a journal batch. */
  onCommand?(command: Command, batchEnd: boolean): void;
  /** Called every `every` commands and at the end, with the last sequence replayed. */
  onProgress?(sequence: number): void;
  every?: number;
}

/** Processes WAL records from..to (to: Infinity for the log's end) through the books; returns how many. */
export function replayRecords(engine: MatchingEngine, walDir: string, from: number, to: number, sink: BookSink, progress: ReplayProgress = {}): number {
  const cmd = createCommand();
  const every = progress.every ?? 1024;
  let count = 0;
  let last = from - 1;
  for (const record of readRecords(walDir, from, to === Number.POSITIVE_INFINITY ? undefined : to)) {
    readCommand(record.payload, 0, cmd);
    if (cmd.seq !== record.sequence) throw new Error(`WAL record ${record.sequence} carries sequence ${cmd.seq}`);
    engine.process(cmd, sink);
    progress.onCommand?.(cmd, hasBatchEndMark(record.payload, 0));
    last = record.sequence;
    if (++count % every === 0) progress.onProgress?.(last);
  }
  if (count % every !== 0) progress.onProgress?.(last);
  return count;
}

/** Records a batched replay hands over at once (a journal batch ends a batch earlier). */
const REPLAY_BATCH = 4096;

/**
 * replayRecords for a book that takes command slots in batches (the native book): the records are
 * copied into a batch of slots, which `apply` processes at each journal batch end, every
 * REPLAY_BATCH records and at the end; `onCommand` then sees each of the batch's commands, in order.
 */
export function replayRecordsBatched(
  apply: (slots: Uint8Array, count: number) => void,
  walDir: string,
  from: number,
  to: number,
  progress: ReplayProgress = {},
): number {
  const slots = new Uint8Array(REPLAY_BATCH * COMMAND_SLOT_BYTES);
  const batchEnds = new Uint8Array(REPLAY_BATCH);
  const cmd = createCommand();
  const every = progress.every ?? 1024;
  let staged = 0;
  let count = 0;
  let last = from - 1;
  let reported = Number.NaN;
  const flush = () => {
    if (staged === 0) return;
    apply(slots, staged);
    for (let i = 0; i < staged; i++) {
      readCommand(slots, i * COMMAND_SLOT_BYTES, cmd);
      progress.onCommand?.(cmd, batchEnds[i] === 1);
    }
    // progress at the batch's end (its outputs are all written by now), once per `every` crossed
    const before = Math.floor(count / every);
    count += staged;
    if (Math.floor(count / every) > before) {
      progress.onProgress?.(cmd.seq);
      reported = cmd.seq;
    }
    staged = 0;
  };
  for (const record of readRecords(walDir, from, to === Number.POSITIVE_INFINITY ? undefined : to)) {
    readCommand(record.payload, 0, cmd);
    if (cmd.seq !== record.sequence) throw new Error(`WAL record ${record.sequence} carries sequence ${cmd.seq}`);
    slots.set(record.payload.subarray(0, COMMAND_SLOT_BYTES), staged * COMMAND_SLOT_BYTES);
    const batchEnd = hasBatchEndMark(record.payload, 0);
    batchEnds[staged++] = batchEnd ? 1 : 0;
    last = record.sequence;
    if (batchEnd || staged === REPLAY_BATCH) flush();
  }
  flush();
  if (count > 0 && reported !== last) progress.onProgress?.(last);
  return count;
}
