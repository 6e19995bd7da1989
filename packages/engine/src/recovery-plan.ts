// Where a data dir's recovery starts and what it replays, planned once, here, for `run` (before the
// workers start: each gets its part of the plan in workerData) and for `ringmatch replay` alike:
//   1. the WAL is recovered (torn tail cut, corruption refused) - unless read-only;
//   2. the base: the newest snapshot every output file reaches, else an older one, else the WAL's
//      start (planReplay);
//   3. the range of WAL records the matcher replays on top of the base;
//   4. where the source resumes: per source partition, its last offset in the WAL, and how many
//      commands of that offset's message the WAL already holds.
import { readRecords, recoverLog, type RecoveryResult } from '@ringmatch/wal';
import { planReplay, type OutputFileState, type ReplayBase } from './output-rebuild.js';
import { slotSourcePosition } from './shared.js';

export interface SourceResume {
  /** Last offset (Kafka) or line / generator index (files, embedded) in the WAL, per source partition. */
  offsets: [number, number][];
  /** How many commands of that offset's message are in the WAL (a message may hold a batch). */
  commandsAtLastOffset: [number, number][];
}

export interface RecoveryPlan {
  /** What recovery found, for the journaler to open the WAL without scanning it again. */
  log: RecoveryResult;
  /** Restore this snapshot first, or start from empty books. */
  base: ReplayBase | null;
  /** Set when the base is older than the newest snapshot because an output file lost its tail. */
  rebuilding: string | null;
  /** WAL records to replay into the books before live input (none when from > to). */
  replayFrom: number;
  replayTo: number;
  resume: SourceResume;
}

export interface PlanOptions {
  segmentSize?: number;
  /** Report only: nothing on disk changes (a torn tail stays; `ringmatch replay` must not write). */
  readOnly?: boolean;
  /** Ignore snapshots: replay the whole WAL (it must start at sequence 1). */
  fromStart?: boolean;
}

export function planRecovery(walDir: string, outputFiles: OutputFileState[], options: PlanOptions = {}): RecoveryPlan {
  const log = recoverLog(walDir, { segmentSize: options.segmentSize, offsetOf: slotSourcePosition, readOnly: options.readOnly });
  const newest = log.snapshot && !options.fromStart ? { sequence: log.snapshot.sequence, data: log.snapshot.data, offsets: [...log.snapshot.offsets] } : null;
  const { base, rebuilding } = planReplay(walDir, newest, log.firstLogSequence, outputFiles);
  const replayFrom = base ? base.sequence + 1 : (log.firstLogSequence ?? log.nextSequence);
  const replayTo = log.lastSequence;
  const offsets = new Map(log.offsets);
  return {
    log,
    base,
    rebuilding,
    replayFrom,
    replayTo,
    resume: { offsets: [...offsets], commandsAtLastOffset: [...commandsAtLastOffsets(walDir, replayFrom, replayTo, offsets)] },
  };
}

/** How many WAL records at the end of the log carry each partition's last offset. */
function commandsAtLastOffsets(walDir: string, from: number, to: number, offsets: Map<number, number>): Map<number, number> {
  const counts = new Map<number, number>();
  if (to < from) return counts;
  for (const record of readRecords(walDir, Math.max(from, to - 65_535), to)) {
    const position = slotSourcePosition(record.payload);
    if (position && offsets.get(position.partition) === position.offset) {
      counts.set(position.partition, (counts.get(position.partition) ?? 0) + 1);
    }
  }
  return counts;
}
