// The matcher's outputs written straight into the output ring (a BookSink): each report, trade and
// mark is written into a slot claimed from the ring as it is made, and the batch's slots are
// published at once (one release store). No staging buffer and no copy. A claim never waits while
// this writer holds unpublished slots: when the ring is full it publishes what it wrote first, so
// the sink can free room even for a batch with more outputs than the ring has slots. It also
// counts reports, rejects, trades and depth updates, and remembers the position (sequence, index
// within it) of the last trade, report and depth update, which each snapshot records.
import { ExecStatus, writeDepth, writeMark, writeReport, writeTrade, type DepthUpdate, type ExecutionReport, type Trade } from '@ringmatch/protocol';
import type { BookSink, DepthSink } from '@ringmatch/book';
import { HALTED, type RingBuffer, type Sequencer } from '@ringmatch/ring';
import type { TradeTape } from './trade-tape.js';

/** The output ring halted (the engine is failing): the matcher stops. */
export class OutputRingHalted extends Error {
  override readonly name = 'OutputRingHalted';
}

export class RingOutputWriter implements BookSink, DepthSink {
  trades = 0;
  depthUpdates = 0;
  reports = 0;
  rejected = 0;
  /** Position (sequence, index within it) of the last trade and report written: what a snapshot records. */
  readonly lastTrade = { seq: -1, index: -1 };
  readonly lastReport = { seq: -1, index: -1 };
  readonly lastDepth = { seq: -1, index: -1 };
  private readonly sequencer: Sequencer;
  /** First claimed and not yet published sequence (-1: none), and the last claimed one. */
  private firstPending = -1;
  private lastClaimed = -1;

  /** `emitReports: false` counts reports without writing them (nobody downstream reads them); `tape` keeps the last trades for the live view. */
  constructor(
    private readonly ring: RingBuffer,
    private readonly emitReports: boolean,
    private readonly tape: TradeTape | null = null,
  ) {
    this.sequencer = ring.sequencer();
  }

  onReport(report: ExecutionReport): void {
    this.reports++;
    if (report.status === ExecStatus.Rejected) this.rejected++;
    if (!this.emitReports) return;
    advance(this.lastReport, report.seq);
    writeReport(this.ring.bytes, this.nextSlot(), report);
  }

  onTrade(trade: Trade): void {
    this.trades++;
    advance(this.lastTrade, trade.seq);
    writeTrade(this.ring.bytes, this.nextSlot(), trade);
    this.tape?.record(trade);
  }

  onDepth(update: DepthUpdate): void {
    this.depthUpdates++;
    advance(this.lastDepth, update.seq);
    writeDepth(this.ring.bytes, this.nextSlot(), update);
  }

  /** A mark: every output of sequences <= seq is written before it (the sink's flush and sync points). */
  mark(seq: number, flags: number): void {
    writeMark(this.ring.bytes, this.nextSlot(), seq, flags);
  }

  /** Makes every output written so far visible to the sink. */
  publish(): void {
    if (this.firstPending < 0) return;
    this.sequencer.publish(this.firstPending, this.lastClaimed);
    this.firstPending = -1;
  }

  /** Claims the next output slot; its byte offset in the ring. */
  private nextSlot(): number {
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

/** Numbers outputs within their sequence as the file sink does (its "n"). */
function advance(position: { seq: number; index: number }, seq: number): void {
  if (seq === position.seq) position.index++;
  else {
    position.seq = seq;
    position.index = 0;
  }
}
