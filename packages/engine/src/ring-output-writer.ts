// The matcher's outputs written straight into the output ring: each report, trade and mark is
// written into a slot claimed from the ring as it is made, and the batch's slots are published
// at once (one release store). No staging buffer and no copy. A claim never waits while this
// writer holds unpublished slots: when the ring is full it publishes what it wrote first, so the
// sink can free room even for a batch with more outputs than the ring has slots.
import { HALTED, type RingBuffer, type Sequencer } from '@ringmatch/ring';
import { OutputWriter } from './output-writer.js';

/** The output ring halted (the engine is failing): the matcher stops. */
export class OutputRingHalted extends Error {
  override readonly name = 'OutputRingHalted';
}

export class RingOutputWriter extends OutputWriter {
  private readonly sequencer: Sequencer;
  /** First claimed and not yet published sequence (-1: none), and the last claimed one. */
  private firstPending = -1;
  private lastClaimed = -1;

  constructor(
    private readonly ring: RingBuffer,
    emitReports: boolean,
  ) {
    super(emitReports);
    this.sequencer = ring.sequencer();
  }

  get bytes(): Uint8Array {
    return this.ring.bytes;
  }

  /** Makes every output written so far visible to the sink. */
  publish(): void {
    if (this.firstPending < 0) return;
    this.sequencer.publish(this.firstPending, this.lastClaimed);
    this.firstPending = -1;
  }

  protected nextSlot(): number {
    let seq = this.sequencer.tryNext(1);
    if (seq < 0) {
      if (seq === HALTED) throw new OutputRingHalted('output ring halted');
      this.publish(); // full: let the sink see what this batch wrote, then wait for room
      seq = this.sequencer.next(1);
      if (seq < 0) throw new OutputRingHalted('output ring halted');
    }
    if (this.firstPending < 0) this.firstPending = seq;
    this.lastClaimed = seq;
    return this.ring.offsetOf(seq);
  }
}
