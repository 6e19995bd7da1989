// Decoded input commands written as command slots into one growing buffer, ready for
// CommandPublisher.publishStaged: no object per command. The first `skip` commands handed to it
// are dropped (the part of the message a restart finds already in the WAL).
import { COMMAND_SLOT_BYTES, writeCommand, type Command } from '@ringmatch/protocol';

export class CommandStaging {
  bytes: Uint8Array;
  /** Commands staged since `count` was last set to 0. */
  count = 0;
  /** How many of the next commands to drop. */
  skip = 0;
  /** The sequence of slot 0 when the slots are claimed ring slots (the writer numbers them); 0: numbered at publish. */
  firstSeq = 0;

  constructor(initialSlots: number) {
    this.bytes = new Uint8Array(COMMAND_SLOT_BYTES * initialSlots);
  }

  /** Makes room for `slots` more commands after `count` (for a writer that fills slots itself). */
  reserve(slots: number): void {
    const needed = (this.count + slots) * COMMAND_SLOT_BYTES;
    if (needed <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    bigger.set(this.bytes);
    this.bytes = bigger;
  }

  /** The sequence the next slot carries: 0 when the slots are numbered at publish. */
  nextSeq(): number {
    return this.firstSeq > 0 ? this.firstSeq + this.count : 0;
  }

  /** Stages `c` (false: it was one to skip). */
  add(c: Command): boolean {
    if (this.skip > 0) {
      this.skip--; // already in the WAL before the restart
      return false;
    }
    this.reserve(1);
    writeCommand(this.bytes, this.count++ * COMMAND_SLOT_BYTES, c);
    return true;
  }
}
