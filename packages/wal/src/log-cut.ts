// Cutting the log at a point: the one write path shared by recovery (a torn tail) and repairWal (an
// operator's cut through corruption). Durable before it returns: file fsync'ed, then the directory.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { SegmentFile } from './files.js';

const ZERO_CHUNK = new Uint8Array(1024 * 1024);

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes zeros over [from, to) of fd (no sync). */
export function zeroRange(fd: number, from: number, to: number): void {
  let pos = from;
  while (pos < to) {
    const n = Math.min(ZERO_CHUNK.length, to - pos);
    pos += writeSync(fd, ZERO_CHUNK, 0, n, pos);
  }
}

/**
 * Cuts the log at byte `offset` of `segs[index]`: zeros from there to the end of that segment (only
 * up to `dirtyEnd`: the rest is known to be zero), restores its preallocated `segmentSize`, fsyncs
 * it, deletes every later segment (and that one too when `offset` is 0), then fsyncs `dir`.
 * Returns the deleted file names.
 */
export function cutLog(dir: string, segs: SegmentFile[], cut: { index: number; offset: number; dirtyEnd: number }, segmentSize: number): string[] {
  let firstRemoved = cut.index + 1;
  if (cut.offset === 0) firstRemoved = cut.index;
  else {
    const fd = openSync(segs[cut.index]!.path, 'r+');
    try {
      const size = fstatSync(fd).size;
      zeroRange(fd, cut.offset, Math.min(size, segmentSize, Math.max(cut.dirtyEnd, cut.offset)));
      // Written zeros, not a sparse extension: later fdatasyncs then need not update the file's blocks.
      if (size < segmentSize) zeroRange(fd, size, segmentSize);
      else if (size > segmentSize) ftruncateSync(fd, segmentSize);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const removed: string[] = [];
  for (const seg of segs.slice(firstRemoved)) {
    unlinkSync(seg.path);
    removed.push(seg.file);
  }
  fsyncDir(dir);
  return removed;
}
