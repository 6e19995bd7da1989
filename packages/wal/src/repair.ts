// repairWal: the operator's explicit cut, the only way past corruption (recovery refuses it). It
// drops records on purpose, so it cuts only where asked and only at a frame boundary.
import { readFileSync } from 'node:fs';
import { WalError } from './errors.js';
import { segmentFiles } from './files.js';
import { SEGMENT_HEADER_SIZE, decodeSegmentHeader } from './format.js';
import { cutLog } from './log-cut.js';
import { findValidFrame, lastNonZero, scanLog, type CutPoint } from './log-scan.js';

export interface RepairOptions {
  /** First sequence to drop: records < truncateAt are kept. A frame's first sequence (as `WalCorruptError.sequence` is) or the log's last sequence + 1. */
  truncateAt: number;
}

export interface RepairResult {
  /** Segment file where the cut starts, and the byte offset in it. */
  segment: string;
  offset: number;
  /** Later segment files deleted. */
  removedSegments: string[];
  /** = truncateAt. */
  lostFrom: number;
  /** Highest sequence a scan could still see past the cut (valid frames, wherever they were), null when none. */
  lostTo: number | null;
}

/**
 * Cuts the log in `dir` before sequence `truncateAt`: zeroes from there to the end of that segment
 * (restoring its preallocated size), deletes every later segment, fsyncs the file and the
 * directory. Snapshots are left alone. Refuses (WalError WAL_INVALID, nothing changed) a sequence
 * that is not a frame boundary, or one past a corruption earlier in the log: cut at the first
 * corrupt point. Run it only while no writer has the WAL open.
 */
export function repairWal(dir: string, options: RepairOptions): RepairResult {
  const truncateAt = options.truncateAt;
  if (!Number.isSafeInteger(truncateAt) || truncateAt < 0) throw new WalError('WAL_INVALID', `truncateAt must be a safe integer >= 0, got ${truncateAt}`);
  const segs = segmentFiles(dir);
  if (segs.length === 0) throw new WalError('WAL_INVALID', `no WAL segment in ${dir}`);

  // The frame starting at truncateAt, and the frame starts around it (for the refusal message).
  const near: { at: { index: number; offset: number } | null; below: number | null; above: number | null } = { at: null, below: null, above: null };
  const log = scanLog(segs, (frame, index) => {
    if (frame.firstSequence === truncateAt) near.at ??= { index, offset: frame.offset };
    else if (frame.firstSequence < truncateAt) near.below = frame.firstSequence;
    else near.above ??= frame.firstSequence;
  });
  const end = log.nextSequence!;
  let cut: CutPoint;
  if (near.at !== null) {
    cut = { ...near.at, dirtyEnd: Number.MAX_SAFE_INTEGER };
  } else if (truncateAt === end) {
    const last = log.scanned[log.scanned.length - 1]!;
    cut = log.stop ? log.stop.cut : { index: last.index, offset: last.end, dirtyEnd: last.end };
  } else if (truncateAt > end && log.stop?.kind === 'corrupt') {
    const s = log.stop;
    throw new WalError(
      'WAL_INVALID',
      `cannot cut at sequence ${truncateAt}: the log is corrupt before it, at ${s.path} byte ${s.offset} (sequence ${s.sequence}: ${s.reason}); cut at ${s.sequence} first`,
    );
  } else {
    const nearest = [near.below, near.above].filter((n): n is number => n !== null);
    throw new WalError(
      'WAL_INVALID',
      `cannot cut at sequence ${truncateAt}: no frame starts there (nearest frame starts: ${nearest.length > 0 ? nearest.join(', ') : 'none'}; or ${end}, after the last readable record)`,
    );
  }

  // What the cut loses: every valid frame past it, found the way a scan for a torn tail looks.
  let lostTo: number | null = null;
  for (let i = cut.index; i < segs.length; i++) {
    const buf = readFileSync(segs[i]!.path);
    const header = decodeSegmentHeader(buf);
    const limit = typeof header === 'string' ? buf.length : Math.min(buf.length, header.segmentSize);
    let from = i === cut.index ? Math.max(cut.offset, SEGMENT_HEADER_SIZE) : SEGMENT_HEADER_SIZE;
    for (let hit = findValidFrame(buf, from, limit); hit !== null; hit = findValidFrame(buf, from, limit)) {
      lostTo = Math.max(lostTo ?? 0, hit.frame.firstSequence + hit.frame.count - 1);
      from = hit.offset + 1;
    }
    if (i === cut.index && cut.offset > 0) {
      const dirty = lastNonZero(buf, cut.offset, buf.length);
      cut = { ...cut, dirtyEnd: dirty < 0 ? cut.offset : dirty + 1 };
    }
  }
  const segmentSize = cut.offset > 0 ? log.scanned[cut.index]!.header.segmentSize : 0;
  const removedSegments = cutLog(dir, segs, cut, segmentSize);
  return { segment: segs[cut.index]!.file, offset: cut.offset, removedSegments, lostFrom: truncateAt, lostTo };
}
