// Where a data dir's recovery starts and what it replays, planned once, here, for `run` (before the
// workers start: each gets its part of the plan in workerData) and for `ringmatch replay` alike:
//   1. the WAL is recovered (torn tail cut, corruption refused) - unless read-only;
//   2. the base: the newest snapshot every output file reaches, else an older one, else the WAL's
//      start (planReplay);
//   3. the range of WAL records the matcher replays on top of the base;
//   4. where the source resumes: per source partition, its last offset in the WAL, and how many
//      commands of that offset's message the WAL already holds.
import { readRecords, recoverLog, type RecoveryResult } from '@ringmatch/wal';
import { planReplay, replayBaseOf, type OutputFileState, type ReplayBase } from './output-rebuild.js';
import { slotSourcePosition } from './shared.js';
import { advancePositions, decodeSourcePositions } from './source-positions.js';

export interface SourceResume {
  /** Per source stream, the last position (Kafka offset, line, generator index) in the WAL. */
  positions: [number, number][];
  /** How many commands of that position's message are in the WAL (a message may hold a batch). */
  commandsAtLastPosition: [number, number][];
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
  // The source's positions: the newest snapshot's, raised by every record recovery keeps.
  let positions = new Map<number, number>();
  const log = recoverLog(walDir, { segmentSize: options.segmentSize, readOnly: options.readOnly, onRecord: (payload) => advancePositions(positions, payload) });
  if (log.snapshot) {
    const recorded = decodeSourcePositions(log.snapshot.sourceState);
    for (const [stream, position] of positions) if (position > (recorded.get(stream) ?? -1)) recorded.set(stream, position);
    positions = recorded;
  }
  const newest = log.snapshot && !options.fromStart ? replayBaseOf(log.snapshot) : null;
  const { base, rebuilding } = planReplay(walDir, newest, log.firstLogSequence, outputFiles);
  const replayFrom = base ? base.sequence + 1 : (log.firstLogSequence ?? log.nextSequence);
  const replayTo = log.lastSequence;
  return {
    log,
    base,
    rebuilding,
    replayFrom,
    replayTo,
    resume: { positions: [...positions], commandsAtLastPosition: [...commandsAtLastPositions(walDir, replayFrom, replayTo, positions)] },
  };
}

/** How many WAL records at the end of the log carry each stream's last position. */
function commandsAtLastPositions(walDir: string, from: number, to: number, positions: Map<number, number>): Map<number, number> {
  const counts = new Map<number, number>();
  if (to < from) return counts;
  for (const record of readRecords(walDir, Math.max(from, to - 65_535), to)) {
    const position = slotSourcePosition(record.payload);
    if (position && positions.get(position.partition) === position.offset) {
      counts.set(position.partition, (counts.get(position.partition) ?? 0) + 1);
    }
  }
  return counts;
}
