// Recovery of a WAL directory, on its own: synchronous, no write backend, and a result made only of
// plain data (objects, arrays, Uint8Arrays) so it can be posted to the worker that appends.
import { closeSync, ftruncateSync, fsyncSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { WalCorruptError, WalError } from './errors.js';
import { segmentFiles, snapshotFiles } from './files.js';
import { cutLog, fsyncDir } from './log-cut.js';
import { scanLog, type LogWarning } from './log-scan.js';
import { firstSequenceOption, segmentSizeOption, type RecoverOptions } from './options.js';
import { readSnapshotFile, type LoadedSnapshot } from './reader.js';

export interface Truncation {
  /** Segment file where the log was cut. */
  segment: string;
  /** Byte offset in that segment where the cut starts. */
  offset: number;
  /** First sequence that is not in the log any more (the next one to append). */
  sequence: number;
  reason: string;
  /** Later segment files deleted because of the cut. */
  removedSegments: string[];
}

export interface RecoveryResult {
  /** Last durable sequence: the last valid record, or the snapshot's sequence, or firstSequence - 1. */
  lastSequence: number;
  /** Sequence the next append must start at (lastSequence + 1). */
  nextSequence: number;
  /** Sequence of the oldest record still in the log, null when it holds none. */
  firstLogSequence: number | null;
  /** Newest valid snapshot (its sequence, data and source state), null when none. */
  snapshot: LoadedSnapshot | null;
  /** Newer snapshot files that were not valid (fallen back from). */
  skippedSnapshots: { file: string; reason: string }[];
  /** The torn tail recovery cut (a crash artifact: records never durable), null when there was none. */
  truncated: Truncation | null;
  /** Oddities that affect no record (non-zero bytes in a frame's padding), reported, not fatal. */
  warnings: LogWarning[];
  segments: number;
  records: number;
  /**
   * Where appending resumes: the last segment, the byte after its last frame and its segment size;
   * null when the next append starts a new segment (at nextSequence).
   */
  appendAt: { segment: string; offset: number; segmentSize: number } | null;
}

/** A plain Uint8Array over the same bytes (no copy): a Buffer is not structured-cloned as one. */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function plainSnapshot(snapshot: LoadedSnapshot): LoadedSnapshot {
  return { ...snapshot, data: plain(snapshot.data), sourceState: plain(snapshot.sourceState) };
}

/**
 * Recovers the WAL in `dir` (creating the directory if needed) without opening it for appending:
 * 1. picks the newest valid snapshot, falling back to older ones;
 * 2. scans the log and classifies where it stops;
 * 3. refuses corruption (WalCorruptError) and a log start no snapshot covers (WAL_RECOVERY), with
 *    nothing changed on disk;
 * 4. cuts a torn tail, brings files longer than their segment size back to it, removes temp files;
 * 5. stitches snapshot and log together.
 * Run it only while no writer has the WAL open (under the data dir's lock); pass the result to
 * `openWal(dir, { recovery })` to append without scanning again.
 */
export function recoverLog(dir: string, options: RecoverOptions = {}): RecoveryResult {
  const segmentSize = segmentSizeOption(options);
  const firstSequence = firstSequenceOption(options);

  // 1. Snapshot: newest valid one, falling back to older ones.
  const skippedSnapshots: { file: string; reason: string }[] = [];
  let snapshot: LoadedSnapshot | null = null;
  for (const f of snapshotFiles(dir)) {
    const s = readSnapshotFile(f);
    if (typeof s === 'string') skippedSnapshots.push({ file: f.file, reason: s });
    else {
      snapshot = plainSnapshot(s);
      break;
    }
  }

  // 2. Segments: scan and classify where the log stops (read-only so far); the records kept go to
  // onRecord as the scan meets them (a second pass would read the log twice).
  const onRecord = options.onRecord;
  const segs = segmentFiles(dir);
  let firstLogSequence: number | null = null;
  const log = scanLog(segs, (frame) => {
    firstLogSequence ??= frame.firstSequence;
    if (onRecord) {
      const { data, recordSize } = frame;
      // A plain Uint8Array over the segment image (a Buffer's subarray would be a Buffer).
      for (let r = 0; r < frame.count; r++) onRecord(new Uint8Array(data.buffer, data.byteOffset + r * recordSize, recordSize), frame.firstSequence + r);
    }
  });
  // 3. Corruption is never cut here: that would drop acknowledged records. Nothing has changed on disk.
  if (log.stop?.kind === 'corrupt') throw new WalCorruptError(log.stop);

  // Snapshot and log must agree: the snapshot covers every record before the log's first one.
  const firstInLog = log.firstSequence;
  if (firstInLog !== null && firstInLog > (snapshot ? snapshot.sequence + 1 : firstSequence)) {
    const found = snapshotFiles(dir).map((f) => {
      const skipped = skippedSnapshots.find((s) => s.file === f.file);
      return `${f.file} (${skipped ? skipped.reason : 'ok'})`;
    });
    const from = snapshot ? snapshot.sequence + 1 : firstSequence;
    throw new WalError(
      'WAL_RECOVERY',
      `records ${from}..${firstInLog - 1} are missing: the log starts at sequence ${firstInLog} (${segs[0]!.file}) and no valid snapshot covers them (snapshots: ${found.length > 0 ? found.join(', ') : 'none'})`,
    );
  }

  // 4. From here on the directory changes: temp files of an interrupted write (a segment being
  // created, a snapshot, the spare) go, then a torn tail (a crash artifact) is cut, exactly as far
  // as the scan stopped.
  const write = options.readOnly !== true;
  if (write) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.endsWith('.tmp')) unlinkSync(path.join(dir, name));
  }
  let truncated: Truncation | null = null;
  let kept = log.scanned.length;
  let records = log.records;
  let active: { segment: string; offset: number; segmentSize: number } | null = null;
  const last = log.scanned[log.scanned.length - 1];
  if (last) active = { segment: last.file.file, offset: last.end, segmentSize: last.header.segmentSize };
  if (log.stop) {
    const { cut } = log.stop;
    const cutSeg = log.scanned[cut.index];
    const removedSegments = write ? cutLog(dir, segs, cut, cutSeg?.header.segmentSize ?? segmentSize) : [];
    truncated = {
      segment: segs[cut.index]!.file,
      offset: cut.offset,
      sequence: log.stop.sequence,
      reason: log.stop.reason,
      removedSegments,
    };
    kept = cut.offset === 0 ? cut.index : cut.index + 1;
    active = cutSeg && cut.offset > 0 ? { segment: cutSeg.file.file, offset: cut.offset, segmentSize: cutSeg.header.segmentSize } : null;
  }
  // A file longer than its segment size (never written by the WAL): back to its size.
  for (const s of log.scanned.slice(0, kept)) {
    if (write && s.fileSize > s.header.segmentSize) {
      const fd = openSync(s.file.path, 'r+');
      try {
        ftruncateSync(fd, s.header.segmentSize);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  // 5. Stitch snapshot and log together.
  let lastSequence: number;
  const nextInLog = kept > 0 ? log.nextSequence : null;
  if (nextInLog === null) {
    lastSequence = snapshot ? snapshot.sequence : firstSequence - 1;
  } else {
    lastSequence = nextInLog - 1;
    if (snapshot && snapshot.sequence > lastSequence) {
      // The log ends before the snapshot (its tail was cut): every record left is covered by the
      // snapshot, so drop those segments and continue after the snapshot in a new segment.
      if (write) {
        for (const s of segmentFiles(dir)) unlinkSync(s.path);
        fsyncDir(dir);
      }
      lastSequence = snapshot.sequence;
      active = null;
      kept = 0;
      records = 0;
      firstLogSequence = null;
    }
  }
  return {
    lastSequence,
    nextSequence: lastSequence + 1,
    firstLogSequence,
    snapshot,
    skippedSnapshots,
    truncated,
    warnings: log.warnings,
    segments: kept,
    records,
    appendAt: active,
  };
}
