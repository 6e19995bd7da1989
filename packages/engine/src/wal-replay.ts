// Rebuilding the books from a recovery plan's base and WAL records: the matcher does it at start-up,
// `ringmatch replay` does it offline, with this same code.
import type { BookSink, MatchingEngine } from '@ringmatch/book';
import { createCommand, hasBatchEndMark, readCommand, type Command } from '@ringmatch/protocol';
import { readRecords } from '@ringmatch/wal';
import { decodeEngineSnapshot, type EngineSnapshot } from './engine-snapshot.js';
import type { ReplayBase } from './output-rebuild.js';

/** Restores the base snapshot into the books; returns what else it holds (output positions, depth tracker state). */
export function restoreBase(engine: MatchingEngine, base: ReplayBase | null): EngineSnapshot | null {
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
