// Handing the records recovery keeps to `RecoverOptions.onRecord`, during the scan, in sequence
// order, each once. The scan reports only frames before where it stops, so the records of a torn
// tail never get here (and a corrupt log throws). What recovery can still drop after the scan is a
// log that ends before the snapshot: its records are all covered by it. So records the snapshot
// covers wait until the scan reaches the snapshot's sequence (then the log cannot end before it),
// and are forgotten if it never does. Waiting frames keep their segment images in memory: the
// segments between the log's start and the snapshot, one snapshot interval when two are kept.
import type { ScannedFrame } from './log-scan.js';

export class KeptRecords {
  private waiting: ScannedFrame[] = [];
  private reached: boolean;

  constructor(
    private readonly onRecord: (payload: Uint8Array, sequence: number) => void,
    private readonly snapshotSequence: number | null,
  ) {
    this.reached = snapshotSequence === null;
  }

  /** The next frame of the scan. */
  frame(frame: ScannedFrame): void {
    if (!this.reached) {
      if (frame.firstSequence + frame.count - 1 < this.snapshotSequence!) {
        this.waiting.push(frame);
        return;
      }
      this.reached = true;
      for (const f of this.waiting) this.deliver(f);
      this.waiting = [];
    }
    this.deliver(frame);
  }

  private deliver(frame: ScannedFrame): void {
    const { data, recordSize } = frame;
    for (let r = 0; r < frame.count; r++) {
      // A plain Uint8Array over the segment image (a Buffer's subarray would be a Buffer).
      this.onRecord(new Uint8Array(data.buffer, data.byteOffset + r * recordSize, recordSize), frame.firstSequence + r);
    }
  }
}
