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

  constructor(initialSlots: number) {
    this.bytes = new Uint8Array(COMMAND_SLOT_BYTES * initialSlots);
  }

  /** Stages `c` (false: it was one to skip). */
  add(c: Command): boolean {
    if (this.skip > 0) {
      this.skip--; // already in the WAL before the restart
      return false;
    }
    if ((this.count + 1) * COMMAND_SLOT_BYTES > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    writeCommand(this.bytes, this.count++ * COMMAND_SLOT_BYTES, c);
    return true;
  }
}
