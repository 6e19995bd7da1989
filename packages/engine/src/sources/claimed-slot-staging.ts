// Commands staged straight into claimed command-ring slots: the file source's reader writes each
// command where it is published, so there is no staging buffer to copy from (the copy and the
// staging buffer's share of the cache both go). The claim is one piece of the ring's memory (it
// stops at the ring's end), sized before the lines are read; the reader stops when it is full. One
// line can hold a batch of commands, though: those that do not fit go to `overflow`, published
// right after the claim. Each slot is written with its sequence (`firstSeq` is the claim's first),
// so the publisher has no numbering pass over the claim.
import { COMMAND_SLOT_BYTES, type Command } from '@ringmatch/protocol';
import type { RingBuffer } from '@ringmatch/ring';
import { CommandStaging } from './command-staging.js';

export class ClaimedSlotStaging extends CommandStaging {
  /** Commands past the claim's end (a batch line), in order after it. */
  readonly overflow = new CommandStaging(64);
  /** Slots in the current claim. */
  capacity = 0;

  constructor(private readonly ring: RingBuffer) {
    super(0);
  }

  /** Stages into the claimed slots lo..lo+count-1 (contiguous in the ring's memory), from none written. */
  attach(lo: number, count: number): void {
    this.bytes = new Uint8Array(this.ring.bytes.buffer, this.ring.bytes.byteOffset + this.ring.offsetOf(lo), count * COMMAND_SLOT_BYTES);
    this.capacity = count;
    this.count = 0;
    this.firstSeq = lo;
  }

  override reserve(slots: number): void {
    if (this.count + slots > this.capacity) throw new RangeError(`${slots} more slots do not fit the claim of ${this.capacity} (${this.count} written)`);
  }

  override add(c: Command): boolean {
    if (this.count < this.capacity || this.skip > 0) {
      c.seq = this.nextSeq();
      return super.add(c);
    }
    return this.overflow.add(c);
  }
}
