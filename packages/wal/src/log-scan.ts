// Where a scan of the log stops, and whether that is a torn tail or corruption. The one place that
// decides it: recovery (openWal), the readers, listSegments/describeWal and repairWal all use it.
//
// A crash can only leave damage at the end of the log: a batch is written after the previous one's
// fdatasync returned, segments are created complete (temp file, fsync, rename), and the native
// backend may create the next segment while the last batch is in flight. So the scan stopping at
// offset X is a torn tail when nothing valid exists after X (no valid frame in the rest of that
// segment nor in any later segment; later segments may be header-only). Anything else (a valid
// frame after the damage, a broken or missing segment, a file shorter than its segment size) is
// corruption: cutting there would drop records that were acknowledged.
import { readFileSync } from 'node:fs';
import type { SegmentFile } from './files.js';
import { FRAME_HEADER_SIZE, FRAME_MAGIC, SEGMENT_HEADER_SIZE, checkFrame, decodeSegmentHeader, type FrameInfo, type SegmentHeader } from './format.js';

export interface ScannedFrame {
  /** Byte offset of the frame header in the segment. */
  offset: number;
  firstSequence: number;
  recordSize: number;
  count: number;
  /** The frame's payload (count * recordSize bytes), a view into the segment image. */
  data: Uint8Array;
}

/** Something odd that affects no record (e.g. non-zero bytes in a frame's padding). */
export interface LogWarning {
  segment: string;
  offset: number;
  reason: string;
}

/** Where a cut starts: segment index (into the file list) and byte offset (0: that whole segment goes). */
export interface CutPoint {
  index: number;
  offset: number;
  /** Bytes of that segment from here on are known to be zero (the cut need not rewrite them). */
  dirtyEnd: number;
}

/** Where a scan stopped, before it is classified. */
interface ScanStop {
  /** Where the problem is: segment index and byte offset in it. */
  index: number;
  offset: number;
  /** First sequence that cannot be trusted (where a cut would start). */
  sequence: number;
  reason: string;
  /**
   * 'frame': inside the segment's frames (the rest of it and later segments decide); 'segment': a
   * segment starting above the expected sequence (it and later segments decide); 'fatal': corrupt
   * whatever follows.
   */
  scope: 'frame' | 'segment' | 'fatal';
  cut: CutPoint;
}

interface LogStop {
  kind: 'torn' | 'corrupt';
  /** Where the problem is: segment index (into the file list), file, path and byte offset. */
  index: number;
  segment: string;
  path: string;
  offset: number;
  sequence: number;
  reason: string;
  cut: CutPoint;
}

export interface FramesScan {
  /** Offset just past the last valid frame (where the next frame goes). */
  end: number;
  /** Sequence after the last valid record. */
  nextSequence: number;
  frames: number;
  records: number;
  warnings: LogWarning[];
  stop: ScanStop | null;
}

const FRAME_MAGIC_BYTES = Buffer.alloc(4);
FRAME_MAGIC_BYTES.writeUInt32LE(FRAME_MAGIC);
const ZEROS = Buffer.alloc(64 * 1024);

/** First non-zero byte in [from, to), -1 when none. memcmp against zeros: a preallocated 64 MiB tail costs milliseconds. */
function firstNonZero(buf: Buffer, from: number, to: number): number {
  for (let at = from; at < to; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, to - at);
    if (ZEROS.compare(buf, at, at + n, 0, n) !== 0) {
      for (let i = at; i < at + n; i++) if (buf[i] !== 0) return i;
    }
  }
  return -1;
}

/** Last non-zero byte in [from, to), -1 when none. */
export function lastNonZero(buf: Buffer, from: number, to: number): number {
  for (let end = to; end > from; end -= ZEROS.length) {
    const start = Math.max(from, end - ZEROS.length);
    if (ZEROS.compare(buf, start, end, 0, end - start) !== 0) {
      for (let i = end - 1; i >= start; i--) if (buf[i] !== 0) return i;
    }
  }
  return -1;
}

/** The first valid frame (any sequence) at or after `from`: the frame magic found with indexOf, each hit checked (CRC). */
export function findValidFrame(buf: Buffer, from: number, limit: number): { offset: number; frame: FrameInfo } | null {
  for (let at = buf.indexOf(FRAME_MAGIC_BYTES, from); at >= 0 && at + FRAME_HEADER_SIZE <= limit; at = buf.indexOf(FRAME_MAGIC_BYTES, at + 1)) {
    const f = checkFrame(buf, at, limit, null);
    if (typeof f === 'object') return { offset: at, frame: f };
  }
  return null;
}

/** Bytes of a segment image that frames may occupy. */
function frameLimit(buf: Buffer, header: SegmentHeader): number {
  return Math.min(buf.length, header.segmentSize);
}

/**
 * Scans the frames of one segment image (header already verified) from its first frame, the first
 * one at `header.firstSequence`. Stops at the first invalid frame, or after the clean end of the log
 * when non-zero bytes follow it or the file is shorter than its segment size.
 */
function scanFrames(buf: Buffer, header: SegmentHeader, file: string, index: number, onFrame?: (frame: ScannedFrame, index: number) => void): FramesScan {
  const limit = frameLimit(buf, header);
  let offset = SEGMENT_HEADER_SIZE;
  let next = header.firstSequence;
  let frames = 0;
  let records = 0;
  const warnings: LogWarning[] = [];
  const stopHere = (reason: string, scope: ScanStop['scope']): ScanStop => {
    const dirty = lastNonZero(buf, offset, buf.length);
    return { index, offset, sequence: next, reason, scope, cut: { index, offset, dirtyEnd: dirty < 0 ? offset : dirty + 1 } };
  };
  for (;;) {
    const f = checkFrame(buf, offset, limit, next);
    if (f === 'end') break;
    if (typeof f === 'string') return { end: offset, nextSequence: next, frames, records, warnings, stop: stopHere(f, 'frame') };
    const start = offset + FRAME_HEADER_SIZE;
    const payloadEnd = start + f.payloadLength;
    if (f.padding > 0) {
      // Not covered by the CRC and part of no record: worth a warning, not a refusal.
      const at = firstNonZero(buf, payloadEnd, payloadEnd + f.padding);
      if (at >= 0) {
        warnings.push({
          segment: file,
          offset: at,
          reason: `non-zero byte in the padding after the frame at byte ${offset} (sequences ${f.firstSequence}..${f.firstSequence + f.count - 1}); no record is affected`,
        });
      }
    }
    onFrame?.({ offset, firstSequence: f.firstSequence, recordSize: f.recordSize, count: f.count, data: buf.subarray(start, payloadEnd) }, index);
    offset = payloadEnd + f.padding;
    next += f.count;
    frames++;
    records += f.count;
  }
  let stop: ScanStop | null = null;
  const garbage = firstNonZero(buf, offset, buf.length);
  if (garbage >= 0) stop = stopHere(`non-zero bytes after the end of the log (first at byte ${garbage})`, 'frame');
  else if (buf.length < header.segmentSize) {
    // A crash never shortens a segment (it is created at full size): whole frames may be gone.
    stop = stopHere(`file is ${buf.length} bytes, shorter than its segment size ${header.segmentSize}: frames may have been lost`, 'fatal');
  }
  return { end: offset, nextSequence: next, frames, records, warnings, stop };
}

interface ScannedSegment extends FramesScan {
  index: number;
  file: SegmentFile;
  header: SegmentHeader;
  fileSize: number;
}

interface LogEnd {
  /** Sequence after the last record the scan accepted (null: no segment scanned). */
  nextSequence: number | null;
  stop: ScanStop | null;
  /** Torn tail or corruption (looks past the stop; computed once, on demand). */
  classify(): LogStop | null;
}

/**
 * Scans the log segment by segment from `segs[startIndex]` (its first sequence taken from its name),
 * checking each segment's header and that it starts where the previous one ended. Yields every
 * segment whose frames were scanned (frames go to `onFrame` first); returns where the scan stopped.
 */
export function* walkLog(
  segs: SegmentFile[],
  startIndex = 0,
  onFrame?: (frame: ScannedFrame, index: number) => void,
): Generator<ScannedSegment, LogEnd, undefined> {
  let expected: number | null = null;
  let prevEnd = 0;
  for (let i = startIndex; i < segs.length; i++) {
    const seg = segs[i]!;
    const buf = readFileSync(seg.path);
    const at = expected ?? seg.firstSequence;
    // A problem with a whole segment: the cut goes at the end of the previous one (its tail is zero).
    const boundary = (reason: string, scope: ScanStop['scope']): ScanStop => ({
      index: i,
      offset: 0,
      sequence: at,
      reason,
      scope,
      cut: i > startIndex ? { index: i - 1, offset: prevEnd, dirtyEnd: prevEnd } : { index: i, offset: 0, dirtyEnd: 0 },
    });
    const header = decodeSegmentHeader(buf);
    let stop: ScanStop | null = null;
    if (typeof header === 'string') stop = boundary(`bad segment header: ${header}`, 'fatal');
    else if (header.firstSequence !== seg.firstSequence) {
      stop = boundary(`segment header says first sequence ${header.firstSequence}, its name says ${seg.firstSequence}`, 'fatal');
    } else if (expected !== null && seg.firstSequence !== expected) {
      stop = boundary(`segment starts at sequence ${seg.firstSequence} where ${expected} was expected`, seg.firstSequence > expected ? 'segment' : 'fatal');
    }
    if (stop) return logEnd(segs, stop, buf);
    const h = header as SegmentHeader;
    const scan = scanFrames(buf, h, seg.file, i, onFrame);
    yield { ...scan, index: i, file: seg, header: h, fileSize: buf.length };
    if (scan.stop) return logEnd(segs, scan.stop, buf);
    expected = scan.nextSequence;
    prevEnd = scan.end;
  }
  return { nextSequence: expected, stop: null, classify: () => null };
}

function logEnd(segs: SegmentFile[], stop: ScanStop, image: Buffer): LogEnd {
  let classified: LogStop | undefined;
  return {
    nextSequence: stop.sequence,
    stop,
    classify() {
      classified ??= classifyStop(segs, stop, image);
      return classified;
    },
  };
}

/**
 * Torn tail or corruption: the stop is torn when nothing valid exists after it. `image` is the
 * stop segment's bytes. Reads the later segments (only ever done at the stop point).
 */
function classifyStop(segs: SegmentFile[], stop: ScanStop, image: Buffer): LogStop {
  const seg = segs[stop.index]!;
  const result = (kind: LogStop['kind'], reason: string): LogStop => ({
    kind,
    index: stop.index,
    segment: seg.file,
    path: seg.path,
    offset: stop.offset,
    sequence: stop.sequence,
    reason,
    cut: stop.cut,
  });
  if (stop.scope === 'fatal') return result('corrupt', stop.reason);
  let next = stop.index;
  if (stop.scope === 'frame') {
    const header = decodeSegmentHeader(image) as SegmentHeader;
    const hit = findValidFrame(image, stop.offset, frameLimit(image, header));
    if (hit) return result('corrupt', `${stop.reason}, and a valid frame follows at byte ${hit.offset} (sequence ${hit.frame.firstSequence})`);
    next = stop.index + 1;
  }
  for (let j = next; j < segs.length; j++) {
    const later = segs[j]!;
    const problem = notATailSegment(j === stop.index ? image : readFileSync(later.path), later, stop.sequence);
    if (problem !== null) return result('corrupt', `${stop.reason}, and ${j === stop.index ? 'it' : later.file} ${problem}`);
  }
  if (stop.scope === 'segment') return result('torn', `${stop.reason}, and no record follows (a segment created ahead of a batch that never became durable)`);
  return result('torn', stop.reason);
}

/**
 * Why a segment after the stop is not part of a torn tail, null when it is: it must have a valid
 * header, match its name, have its full size, start at or after the cut and hold no valid frame.
 */
function notATailSegment(buf: Buffer, seg: SegmentFile, cutSequence: number): string | null {
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') return `has a bad segment header (${header})`;
  if (header.firstSequence !== seg.firstSequence) return `has header sequence ${header.firstSequence}`;
  if (header.firstSequence < cutSequence) return `starts at sequence ${header.firstSequence}, below ${cutSequence}`;
  if (buf.length < header.segmentSize) return `is ${buf.length} bytes, shorter than its segment size ${header.segmentSize}`;
  const hit = findValidFrame(buf, SEGMENT_HEADER_SIZE, frameLimit(buf, header));
  if (hit) return `holds a valid frame at byte ${hit.offset} (sequence ${hit.frame.firstSequence})`;
  return null;
}

export interface LogScan {
  segments: SegmentFile[];
  /** Segments whose frames belong to the log, in order (the stop's segment included when the stop is inside it). */
  scanned: ScannedSegment[];
  /** The log's first sequence (the first segment's), null without segments. */
  firstSequence: number | null;
  /** Sequence after the last record in the log, null without segments. */
  nextSequence: number | null;
  records: number;
  stop: LogStop | null;
  warnings: LogWarning[];
}

/** Scans the whole log and classifies where it stops (read-only). */
export function scanLog(segs: SegmentFile[], onFrame?: (frame: ScannedFrame, index: number) => void): LogScan {
  const walk = walkLog(segs, 0, onFrame);
  const scanned: ScannedSegment[] = [];
  const warnings: LogWarning[] = [];
  let records = 0;
  for (;;) {
    const step = walk.next();
    if (step.done) {
      return {
        segments: segs,
        scanned,
        firstSequence: segs[0]?.firstSequence ?? null,
        nextSequence: step.value.nextSequence,
        records,
        stop: step.value.classify(),
        warnings,
      };
    }
    scanned.push(step.value);
    records += step.value.records;
    warnings.push(...step.value.warnings);
  }
}

/** What a segment holds on its own (its name trusted), for listing segments past the end of the log. */
export function scanSegmentAlone(seg: SegmentFile, index: number): { header: SegmentHeader | null; fileSize: number; scan: FramesScan | null } {
  const buf = readFileSync(seg.path);
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') return { header: null, fileSize: buf.length, scan: null };
  return { header, fileSize: buf.length, scan: scanFrames(buf, header, seg.file, index) };
}
