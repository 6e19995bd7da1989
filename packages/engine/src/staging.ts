// Output staging for the channel baseline's matcher (bench/channel): the books' outputs as 96-byte
// output slots in one growing buffer. And the copy of a run of staged slots into a ring (which may
// wrap the ring's end), which the command sources use too. The engine's matcher writes its
// outputs straight into the output ring instead (ring-output-writer.ts).
import { OUTPUT_SLOT_BYTES } from '@ringmatch/protocol';
import type { RingBuffer } from '@ringmatch/ring';
import { OutputWriter } from './output-writer.js';

export class OutputStaging extends OutputWriter {
  private buffer = new Uint8Array(OUTPUT_SLOT_BYTES * 4096);
  /** Slots staged since the last reset(). */
  staged = 0;

  /** The staged slots are bytes [0, staged * OUTPUT_SLOT_BYTES) of this. */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  reset(): void {
    this.staged = 0;
  }

  protected nextSlot(): number {
    if ((this.staged + 1) * OUTPUT_SLOT_BYTES > this.buffer.length) {
      const bigger = new Uint8Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    return this.staged++ * OUTPUT_SLOT_BYTES;
  }
}

const ranges = [0, 0, 0, 0];

/** Copies slots lo..hi of `ring` from `source` starting at byte `from` (contiguous there). */
export function copyIntoRing(ring: RingBuffer, lo: number, hi: number, source: Uint8Array, from: number): void {
  ring.batchRanges(lo, hi, ranges);
  const firstLen = ranges[1]! - ranges[0]!;
  ring.bytes.set(source.subarray(from, from + firstLen), ranges[0]!);
  if (ranges[3]! > ranges[2]!) ring.bytes.set(source.subarray(from + firstLen, from + (hi - lo + 1) * ring.slotSize), ranges[2]!);
}
