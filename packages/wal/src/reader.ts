// Read-only access to a WAL directory: segment listing, frame/record iteration, snapshots, and the
// `ringmatch inspect`-style dump helpers. None of these modify the directory.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  FRAME_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  SEGMENT_PREFIX,
  SEGMENT_SUFFIX,
  SNAPSHOT_PREFIX,
  SNAPSHOT_SUFFIX,
  checkFrame,
  decodeSegmentHeader,
  decodeSnapshot,
  parseSeqName,
  type DecodedSnapshot,
  type SegmentHeader,
} from './format.js';

export interface SegmentFile {
  file: string;
  path: string;
  /** First sequence from the file name. */
  firstSequence: number;
}

/** Files of `dir` named prefix + sequence + suffix (none when the directory does not exist). */
function filesBySequence(dir: string, prefix: string, suffix: string): { file: string; path: string; sequence: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: { file: string; path: string; sequence: number }[] = [];
  for (const file of names) {
    const sequence = parseSeqName(file, prefix, suffix);
    if (sequence !== null) out.push({ file, path: path.join(dir, file), sequence });
  }
  return out;
}

export function segmentFiles(dir: string): SegmentFile[] {
  return filesBySequence(dir, SEGMENT_PREFIX, SEGMENT_SUFFIX)
    .map(({ file, path: p, sequence }) => ({ file, path: p, firstSequence: sequence }))
    .sort((a, b) => a.firstSequence - b.firstSequence);
}

export interface ScannedFrame {
  /** Byte offset of the frame header in the segment. */
  offset: number;
  firstSequence: number;
  recordSize: number;
  count: number;
  /** The frame's payload (count * recordSize bytes), a view into the segment image. */
  data: Uint8Array;
}

export interface SegmentScan {
  header: SegmentHeader | null;
  /** Offset just past the last valid frame (where the next frame goes). */
  end: number;
  /** Sequence after the last valid record (= header.firstSequence when empty). */
  nextSequence: number;
  frames: number;
  records: number;
  /** First invalid thing found, if any: where, and why. Everything from `offset` on is not part of the log. */
  error: { offset: number; reason: string } | null;
  /** Non-zero bytes after the clean end of the log (left by a torn write). */
  garbageAfterEnd: boolean;
}

function nonZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return true;
  return false;
}

/**
 * Scans a segment image (the file's bytes; a file shorter than its segment size reads as if
 * zero-extended). `expectedFirst` is the sequence the segment must start at (null: trust the header).
 */
export function scanSegment(buf: Uint8Array, expectedFirst: number | null, onFrame?: (frame: ScannedFrame) => void): SegmentScan {
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') {
    return { header: null, end: 0, nextSequence: expectedFirst ?? 0, frames: 0, records: 0, error: { offset: 0, reason: header }, garbageAfterEnd: false };
  }
  if (expectedFirst !== null && header.firstSequence !== expectedFirst) {
    return {
      header,
      end: 0,
      nextSequence: expectedFirst,
      frames: 0,
      records: 0,
      error: { offset: 0, reason: `segment starts at sequence ${header.firstSequence} where ${expectedFirst} was expected` },
      garbageAfterEnd: false,
    };
  }
  const limit = Math.min(buf.length, header.segmentSize);
  let offset = SEGMENT_HEADER_SIZE;
  let next = header.firstSequence;
  let frames = 0;
  let records = 0;
  let error: SegmentScan['error'] = null;
  for (;;) {
    const f = checkFrame(buf, offset, limit, next);
    if (f === 'end') break;
    if (typeof f === 'string') {
      error = { offset, reason: f };
      break;
    }
    if (onFrame) {
      const start = offset + FRAME_HEADER_SIZE;
      onFrame({ offset, firstSequence: f.firstSequence, recordSize: f.recordSize, count: f.count, data: buf.subarray(start, start + f.payloadLength) });
    }
    offset += FRAME_HEADER_SIZE + f.payloadLength + f.padding;
    next += f.count;
    frames++;
    records += f.count;
  }
  const garbageAfterEnd = error === null && nonZero(buf, offset, limit);
  return { header, end: offset, nextSequence: next, frames, records, error, garbageAfterEnd };
}

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
  /** 'ok', or why the scan stopped early (the writer's recovery would truncate there). */
  status: string;
  corruptAt: number | null;
}

/** Lists the segments of a WAL directory with what a scan finds in each (read-only). */
export function listSegments(dir: string): SegmentInfo[] {
  const out: SegmentInfo[] = [];
  let expected: number | null = null;
  for (const seg of segmentFiles(dir)) {
    const buf = readFileSync(seg.path);
    const scan = scanSegment(buf, expected ?? seg.firstSequence);
    out.push({
      file: seg.file,
      firstSequence: seg.firstSequence,
      lastSequence: scan.records > 0 ? scan.nextSequence - 1 : null,
      frames: scan.frames,
      records: scan.records,
      usedBytes: scan.end,
      segmentSize: scan.header?.segmentSize ?? null,
      fileSize: statSync(seg.path).size,
      status: scan.error ? scan.error.reason : scan.garbageAfterEnd ? 'non-zero bytes after the end of the log' : 'ok',
      corruptAt: scan.error ? scan.error.offset : null,
    });
    expected = scan.error ? null : scan.nextSequence;
  }
  return out;
}

export interface WalFrame extends ScannedFrame {
  segment: string;
}

/**
 * Frames holding records with sequences >= `fromSequence` (and <= `toSequence`), in order, read from
 * disk. Stops at the first invalid frame or sequence discontinuity. The first frame may start before
 * `fromSequence` (frames are not split): use `readRecords` for exact record boundaries.
 */
export function* readFrames(dir: string, fromSequence = 0, toSequence = Number.MAX_SAFE_INTEGER): Generator<WalFrame> {
  const segs = segmentFiles(dir);
  let start = 0;
  for (let i = 0; i < segs.length; i++) if (segs[i]!.firstSequence <= fromSequence) start = i;
  let expected: number | null = null;
  for (let i = start; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.firstSequence > toSequence) return;
    const buf = readFileSync(seg.path);
    const frames: ScannedFrame[] = [];
    const scan = scanSegment(buf, expected ?? seg.firstSequence, (f) => frames.push(f));
    for (const f of frames) {
      if (f.firstSequence > toSequence) return;
      if (f.firstSequence + f.count - 1 < fromSequence) continue;
      yield { ...f, segment: seg.file };
    }
    if (scan.error) return;
    expected = scan.nextSequence;
  }
}

export interface WalRecord {
  sequence: number;
  /** The record's bytes: a view into a segment image read from disk (not reused). */
  payload: Uint8Array;
}

/** Records with `fromSequence <= sequence <= toSequence`, in order, from disk. */
export function* readRecords(dir: string, fromSequence = 0, toSequence = Number.MAX_SAFE_INTEGER): Generator<WalRecord> {
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

export interface SnapshotFileInfo {
  file: string;
  path: string;
  sequence: number;
  size: number;
}

/** Snapshot files, newest (highest sequence) first. */
export function snapshotFiles(dir: string): SnapshotFileInfo[] {
  return filesBySequence(dir, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX)
    .map((f) => ({ ...f, size: statSync(f.path).size }))
    .sort((a, b) => b.sequence - a.sequence);
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
  /** First problem a recovery would cut at, null when clean. */
  problem: { segment: string; offset: number | null; reason: string } | null;
}

/** A read-only overview of a WAL directory (`ringmatch inspect`). */
export function describeWal(dir: string): WalSummary {
  const segments = listSegments(dir);
  let firstSequence: number | null = null;
  let lastSequence: number | null = null;
  let records = 0;
  let problem: WalSummary['problem'] = null;
  for (const s of segments) {
    if (problem === null) {
      if (s.records > 0) {
        firstSequence ??= s.firstSequence;
        lastSequence = s.lastSequence;
        records += s.records;
      }
      if (s.status !== 'ok') problem = { segment: s.file, offset: s.corruptAt ?? s.usedBytes, reason: s.status };
    }
  }
  return { dir, segments, snapshots: listSnapshots(dir), firstSequence, lastSequence, records, problem };
}
