// Copying a run of slots, staged contiguously in a buffer, into a ring, where the run may wrap the
// ring's end (the command sources publish staged commands this way).
import type { RingBuffer } from '@ringmatch/ring';

const ranges = [0, 0, 0, 0];

/** Copies slots lo..hi of `ring` from `source` starting at byte `from` (contiguous there). */
export function copyIntoRing(ring: RingBuffer, lo: number, hi: number, source: Uint8Array, from: number): void {
  ring.batchRanges(lo, hi, ranges);
  const firstLen = ranges[1]! - ranges[0]!;
  ring.bytes.set(source.subarray(from, from + firstLen), ranges[0]!);
  if (ranges[3]! > ranges[2]!) ring.bytes.set(source.subarray(from + firstLen, from + (hi - lo + 1) * ring.slotSize), ranges[2]!);
}
