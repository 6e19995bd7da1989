// Read-only access to a WAL directory: segment listing, frame/record iteration, snapshots, and the
// `ringmatch inspect`-style dump helpers. None of these modify the directory.
import { readFileSync } from 'node:fs';
import { WalCorruptError, WalError } from './errors.js';
import { segmentFiles, snapshotFiles, type SnapshotFileInfo } from './files.js';
import { decodeSnapshot, type DecodedSnapshot, type SegmentHeader } from './format.js';
import { scanLog, scanSegmentAlone, walkLog, type FramesScan, type LogScan, type LogWarning, type ScannedFrame } from './log-scan.js';

export interface SegmentInfo {
  file: string;
  firstSequence: number;
  /** Last valid record's sequence, null when the segment holds none. */
  lastSequence: number | null;
  frames: number;
  records: number;
  /** Bytes in use (header + valid frames). */
  usedBytes: number;
  segmentSize: number | null;
  fileSize: number;
  /** 'ok' | 'torn' | 'corrupt': whether this segment is (wholly) part of the log. */
  state: 'ok' | 'torn' | 'corrupt';
  /** 'ok', `torn tail: <reason> (recovery cuts it)` or `corrupt: <reason>`. */
  status: string;
  /** Byte offset of the problem in this segment, null when ok. */
  corruptAt: number | null;
  /** Oddities that affect no record (non-zero frame padding). */
  warnings: { offset: number; reason: string }[];
}

function segmentInfos(log: LogScan): SegmentInfo[] {
  const out: SegmentInfo[] = [];
  const stop = log.stop;
  for (let i = 0; i < log.segments.length; i++) {
    const seg = log.segments[i]!;
    let scanned: { header: SegmentHeader | null; fileSize: number; scan: FramesScan | null } | undefined;
    const inLog = log.scanned[i];
    if (inLog) scanned = { header: inLog.header, fileSize: inLog.fileSize, scan: inLog };
    else scanned = scanSegmentAlone(seg, i); // past the stop: what it holds on its own
    const scan = scanned.scan;
    let state: SegmentInfo['state'] = 'ok';
    let status = 'ok';
    let corruptAt: number | null = null;
    if (stop && i === stop.index) {
      state = stop.kind;
      status = stop.kind === 'torn' ? `torn tail: ${stop.reason} (recovery cuts it)` : `corrupt: ${stop.reason}`;
      corruptAt = stop.offset;
    } else if (stop && i > stop.index) {
      state = stop.kind;
      status =
        stop.kind === 'torn'
          ? `torn tail: after the end of the log in ${stop.segment}, holds no record (recovery deletes it)`
          : `corrupt: after the corrupt point in ${stop.segment} at byte ${stop.offset} (sequence ${stop.sequence}); not part of the log until repaired`;
      corruptAt = 0;
    }
    out.push({
      file: seg.file,
      firstSequence: seg.firstSequence,
      lastSequence: scan && scan.records > 0 ? scan.nextSequence - 1 : null,
      frames: scan?.frames ?? 0,
      records: scan?.records ?? 0,
      usedBytes: scan?.end ?? 0,
      segmentSize: scanned.header?.segmentSize ?? null,
      fileSize: scanned.fileSize,
      state,
      status,
      corruptAt,
      warnings: (inLog?.warnings ?? []).map((w) => ({ offset: w.offset, reason: w.reason })),
    });
  }
  return out;
}

/** Lists the segments of a WAL directory with what a scan finds in each (read-only). */
export function listSegments(dir: string): SegmentInfo[] {
  return segmentInfos(scanLog(segmentFiles(dir)));
}

export interface WalFrame extends ScannedFrame {
  segment: string;
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** Records asked for that the log does not hold: an error, never a shorter answer. */
function missing(message: string): WalError {
  return new WalError('WAL_RECOVERY', message);
}

/**
 * Frames holding records with sequences >= `fromSequence` (and <= `toSequence`), in order, read from
 * disk. The first frame may start before `fromSequence` (frames are not split): use `readRecords` for
 * exact record boundaries. Ends quietly at a torn tail (those records were never durable) and throws
 * WalCorruptError at corruption. With `fromSequence` >= 1 it throws (WAL_RECOVERY) when the log starts
 * above it, and with a finite `toSequence` when the log ends before it. `fromSequence` 0: from
 * wherever the log starts. Damage past `toSequence` is not looked at.
 */
export function* readFrames(dir: string, fromSequence = 0, toSequence = UNBOUNDED): Generator<WalFrame> {
  if (toSequence < fromSequence) return;
  const bounded = toSequence < UNBOUNDED;
  const segs = segmentFiles(dir);
  if (segs.length === 0) {
    if (bounded) throw missing(`records up to ${toSequence} were asked for, but ${dir} holds no WAL segment`);
    return;
  }
  const first = segs[0]!;
  if (fromSequence >= 1 && first.firstSequence > fromSequence) {
    throw missing(`records ${fromSequence}..${first.firstSequence - 1} are not in the log: it starts at sequence ${first.firstSequence} (${first.file})`);
  }
  let start = 0;
  for (let i = 0; i < segs.length; i++) if (segs[i]!.firstSequence <= fromSequence) start = i;
  let pending: ScannedFrame[] = [];
  const walk = walkLog(segs, start, (f) => pending.push(f));
  let step = walk.next();
  while (!step.done) {
    const segment = step.value.file.file;
    const frames = pending;
    pending = [];
    for (const f of frames) {
      if (f.firstSequence > toSequence) return;
      if (f.firstSequence + f.count - 1 < fromSequence) continue;
      yield { ...f, segment };
    }
    step = walk.next();
  }
  const end = step.value;
  if (end.stop && end.stop.sequence <= toSequence) {
    const stop = end.classify()!;
    if (stop.kind === 'corrupt') throw new WalCorruptError(stop);
    if (bounded) {
      throw missing(
        `the log ends at sequence ${stop.sequence - 1} (torn tail at ${stop.path} byte ${stop.offset}: ${stop.reason}), before sequence ${toSequence}`,
      );
    }
    return;
  }
  if (bounded && end.nextSequence !== null && end.nextSequence <= toSequence) {
    throw missing(`the log ends at sequence ${end.nextSequence - 1}, before sequence ${toSequence}`);
  }
}

export interface WalRecord {
  sequence: number;
  /** The record's bytes: a view into a segment image read from disk (not reused). */
  payload: Uint8Array;
}

/** Records with `fromSequence <= sequence <= toSequence`, in order, from disk (errors as `readFrames`). */
export function* readRecords(dir: string, fromSequence = 0, toSequence = UNBOUNDED): Generator<WalRecord> {
  for (const f of readFrames(dir, fromSequence, toSequence)) {
    for (let i = 0; i < f.count; i++) {
      const sequence = f.firstSequence + i;
      if (sequence < fromSequence) continue;
      if (sequence > toSequence) return;
      yield { sequence, payload: f.data.subarray(i * f.recordSize, (i + 1) * f.recordSize) };
    }
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** One line per record: `seq=<n> segment=<file> frame@<offset> size=<bytes> <hex>` (inspect helper). */
export function dumpRecords(dir: string, options: { from?: number; limit?: number } = {}): string[] {
  const limit = options.limit ?? 100;
  const lines: string[] = [];
  if (limit <= 0) return lines;
  for (const f of readFrames(dir, options.from ?? 0)) {
    for (let i = 0; i < f.count; i++) {
      const sequence = f.firstSequence + i;
      if (sequence < (options.from ?? 0)) continue;
      const payload = f.data.subarray(i * f.recordSize, (i + 1) * f.recordSize);
      lines.push(`seq=${sequence} segment=${f.segment} frame@${f.offset} size=${f.recordSize} ${hex(payload)}`);
      if (lines.length >= limit) return lines;
    }
  }
  return lines;
}

export interface LoadedSnapshot extends DecodedSnapshot {
  file: string;
}

/** Reads and verifies one snapshot file: the snapshot, or why it is not valid. */
export function readSnapshotFile(file: SnapshotFileInfo): LoadedSnapshot | string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file.path);
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
  const decoded = decodeSnapshot(bytes);
  if (typeof decoded === 'string') return decoded;
  if (decoded.sequence !== file.sequence) return `snapshot holds sequence ${decoded.sequence}, its name says ${file.sequence}`;
  return { ...decoded, file: file.file };
}

/** The newest valid snapshot (falling back to older ones), and the newer ones skipped with why. */
export function readLatestSnapshot(dir: string): { snapshot: LoadedSnapshot | null; skipped: { file: string; reason: string }[] } {
  const skipped: { file: string; reason: string }[] = [];
  for (const f of snapshotFiles(dir)) {
    const s = readSnapshotFile(f);
    if (typeof s !== 'string') return { snapshot: s, skipped };
    skipped.push({ file: f.file, reason: s });
  }
  return { snapshot: null, skipped };
}

/** Snapshot files with their validity (inspect helper). */
export function listSnapshots(dir: string): { file: string; sequence: number; size: number; status: string }[] {
  return snapshotFiles(dir).map((f) => {
    const s = readSnapshotFile(f);
    return { file: f.file, sequence: f.sequence, size: f.size, status: typeof s === 'string' ? s : 'ok' };
  });
}

export interface WalSummary {
  dir: string;
  segments: SegmentInfo[];
  snapshots: { file: string; sequence: number; size: number; status: string }[];
  /** Oldest and newest record sequences in the log (null when it holds none). */
  firstSequence: number | null;
  lastSequence: number | null;
  records: number;
  /**
   * Where the scan of the log stops before its clean end, null when it does not: a torn tail
   * (recovery cuts it) or corruption (recovery refuses; `sequence` is where `repairWal` would cut).
   */
  problem: { kind: 'torn' | 'corrupt'; segment: string; offset: number; sequence: number; reason: string } | null;
  /** Oddities that affect no record (non-zero frame padding). */
  warnings: LogWarning[];
}

/** A read-only overview of a WAL directory (`ringmatch inspect`). */
export function describeWal(dir: string): WalSummary {
  const log = scanLog(segmentFiles(dir));
  const stop = log.stop;
  const hasRecords = log.records > 0 && log.nextSequence !== null;
  return {
    dir,
    segments: segmentInfos(log),
    snapshots: listSnapshots(dir),
    firstSequence: hasRecords ? log.firstSequence : null,
    lastSequence: hasRecords ? log.nextSequence! - 1 : null,
    records: log.records,
    problem: stop ? { kind: stop.kind, segment: stop.segment, offset: stop.offset, sequence: stop.sequence, reason: stop.reason } : null,
    warnings: log.warnings,
  };
}
