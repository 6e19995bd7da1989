// Writing a snapshot file atomically, and retention: the newest N snapshots are kept, and the
// segments whose records the oldest valid one covers are deleted (so a corrupt newest snapshot
// can still fall back to the previous one plus the log).
import { unlinkSync } from 'node:fs';
import { open as openAsync, rename as renameAsync, unlink as unlinkAsync } from 'node:fs/promises';
import path from 'node:path';
import { WalError } from './errors.js';
import { segmentFiles, snapshotFiles } from './files.js';
import { MAX_SOURCE_STATE, encodeSnapshot, snapshotName } from './format.js';
import { fsyncDir } from './log-cut.js';
import { readSnapshotFile } from './reader.js';

/** Writes `snap-<sequence>.snap` in `dir`: temp file, fsync, rename, fsync directory. Returns its name and size. */
export async function writeSnapshotFile(dir: string, sequence: number, data: Uint8Array, sourceState: Uint8Array): Promise<{ file: string; bytes: number }> {
  if (!(sourceState instanceof Uint8Array) || sourceState.length > MAX_SOURCE_STATE) {
    throw new WalError('WAL_INVALID', `snapshot source state must be a Uint8Array of at most ${MAX_SOURCE_STATE} bytes`);
  }
  const file = snapshotName(sequence);
  const finalPath = path.join(dir, file);
  const tmp = `${finalPath}.tmp`;
  const chunks = encodeSnapshot(sequence, data, sourceState);
  const handle = await openAsync(tmp, 'w');
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, bytes + done);
        done += bytesWritten;
      }
      bytes += chunk.length;
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlinkAsync(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await renameAsync(tmp, finalPath);
  fsyncDir(dir);
  return { file, bytes };
}

/** Deletes every snapshot but the newest `keep`; returns the deleted names. */
export function pruneSnapshots(dir: string, keep: number): string[] {
  const deleted: string[] = [];
  for (const f of snapshotFiles(dir).slice(keep)) {
    unlinkSync(f.path);
    deleted.push(f.file);
  }
  if (deleted.length > 0) fsyncDir(dir);
  return deleted;
}

/** Sequence of the oldest snapshot left that verifies (segments may go up to it), -1 when none does. */
export function oldestValidSnapshotSequence(dir: string): number {
  const kept = snapshotFiles(dir);
  for (let i = kept.length - 1; i >= 0; i--) {
    const s = readSnapshotFile(kept[i]!);
    if (typeof s !== 'string') return s.sequence;
  }
  return -1;
}

/** Deletes the segments whose records all have sequences <= `sequence`, stopping at `activeFile`. */
export function deleteSegmentsCoveredBy(dir: string, sequence: number, activeFile: string): string[] {
  const segs = segmentFiles(dir);
  const deleted: string[] = [];
  for (let i = 0; i + 1 < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.file === activeFile) break;
    if (segs[i + 1]!.firstSequence - 1 > sequence) break;
    unlinkSync(seg.path);
    deleted.push(seg.file);
  }
  if (deleted.length > 0) fsyncDir(dir);
  return deleted;
}
