// Where the matcher starts replaying on restart so that every output file ends exactly as an
// uninterrupted run's. Normally the newest snapshot: the files hold every output it covers. A file
// behind the position the snapshot recorded lost its tail (cut, deleted, or never reached the disk);
// then the replay starts from an older snapshot that the file does reach, or from sequence 1 while
// the WAL still starts there, and the sink writes the lost lines again. Otherwise: refuse.
import { readSnapshotFile, snapshotFiles } from '@ringmatch/wal';
import { decodeEngineSnapshot, type SnapshotOutputs } from './engine-snapshot.js';
import type { OutputPosition } from './output-file.js';
import { decodeSourcePositions } from './source-positions.js';
import { Refusal } from './refusal.js';

export interface ReplayBase {
  sequence: number;
  data: Uint8Array;
  /** The source positions the snapshot recorded (source-positions.ts). */
  positions: [number, number][];
}

/** A loaded snapshot (its sequence, engine payload and source state) as a replay base. */
export function replayBaseOf(snapshot: { sequence: number; data: Uint8Array; sourceState: Uint8Array }): ReplayBase {
  return { sequence: snapshot.sequence, data: snapshot.data, positions: [...decodeSourcePositions(snapshot.sourceState)] };
}

export interface OutputFileState {
  kind: keyof SnapshotOutputs;
  file: string;
  position: OutputPosition;
}

const before = (a: OutputPosition, b: OutputPosition): boolean => a.seq < b.seq || (a.seq === b.seq && a.index < b.index);
const describe = (p: OutputPosition): string => (p.seq < 0 ? 'no line' : `sequence ${p.seq} (output ${p.index} of it)`);

/** The first output file that lacks lines the snapshot says were written, with what it lacks. */
function behind(snapshot: ReplayBase, files: OutputFileState[]): { file: OutputFileState; recorded: OutputPosition } | null {
  const outputs = decodeEngineSnapshot(snapshot.data).outputs;
  if (outputs === null) return null; // written before positions were recorded: nothing to compare
  for (const file of files) {
    const recorded = outputs[file.kind];
    if (recorded && before(file.position, recorded)) return { file, recorded };
  }
  return null;
}

export interface ReplayPlan {
  /** Restore this snapshot, or start from empty books when null. */
  base: ReplayBase | null;
  /** Set when the base is older than the newest snapshot because an output file lost its tail. */
  rebuilding: string | null;
}

/**
 * `newest`: the snapshot recovery found; `firstLogSequence`: the oldest record in the WAL (null
 * when it holds none). Throws a Refusal when no base both the WAL and the files reach is left.
 */
export function planReplay(walDir: string, newest: ReplayBase | null, firstLogSequence: number | null, files: OutputFileState[]): ReplayPlan {
  if (newest === null) return { base: null, rebuilding: null };
  const lack = behind(newest, files);
  if (lack === null) return { base: newest, rebuilding: null };
  const what = `${lack.file.file} ends at ${describe(lack.file.position)} but snapshot ${newest.sequence} recorded it at ${describe(lack.recorded)}`;
  for (const info of snapshotFiles(walDir)) {
    if (info.sequence >= newest.sequence) continue;
    if (firstLogSequence === null || info.sequence + 1 < firstLogSequence) break; // the WAL no longer reaches back there
    const older = readSnapshotFile(info);
    if (typeof older === 'string') continue;
    const base = replayBaseOf(older);
    if (behind(base, files) === null) return { base, rebuilding: `${what}: rebuilding the lost lines from snapshot ${base.sequence} and the WAL` };
  }
  if (firstLogSequence === 1) return { base: null, rebuilding: `${what}: rebuilding the lost lines from the whole WAL` };
  throw new Refusal(
    `${what}: its tail was lost (cut, deleted, or never reached the disk) and neither an older snapshot nor the WAL (it starts at ${firstLogSequence ?? '-'}) reaches back to rebuild it; restore ${lack.file.file} from a backup, or start over with --fresh`,
  );
}
