// The matcher's outputs written straight into the output ring (a BookSink): each report, trade and
// mark is written into a slot claimed from the ring as it is made, and the batch's slots are
// published at once (one release store). No staging buffer and no copy. A claim never waits while
// this writer holds unpublished slots: when the ring is full it publishes what it wrote first, so
// the sink can free room even for a batch with more outputs than the ring has slots. It also
// counts reports, rejects, trades and depth updates, and remembers the position (sequence, index
// within it) of the last trade, report and depth update, which each snapshot records.
//
// With the native book (writeNative) the book itself writes into the claimed slots: the writer
// claims the room the ring has, the book fills what it needs of it, and the rest of the claim is
// given back (single producer: the claim is the matcher's own until published).
import {
  ExecStatus,
  OutputKind,
  OutputSlot,
  createTrade,
  readTrade,
  writeDepth,
  writeMark,
  writeReport,
  writeTrade,
  type DepthUpdate,
  type ExecutionReport,
  type Trade,
} from '@ringmatch/protocol';
import type { BookSink, DepthSink } from '@ringmatch/book';
import { HALTED, isTrimmable, type RingBuffer, type Sequencer } from '@ringmatch/ring';
import type { NativeBookHandle } from './native-book.js';
import type { TradeTape } from './trade-tape.js';

/** Most output slots one native call may fill (bounds the claim a batch holds back from the sink). */
const NATIVE_CLAIM = 8192;

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
  /** The native path's views and scratch (made on first use). */
  private slotBytes: Uint8Array | null = null;
  private view: DataView | null = null;
  /**
   * [written, waiting, reports, rejected, trades, stopped at a mark] (NativeBook.process). The book's
   * counts change only in process (drain moves outputs already counted), so the last call's are current.
   */
  private readonly progress = new Float64Array(6);
  /** The counts before the native book's first output (the book counts from its creation). */
  private reportsBase = 0;
  private rejectedBase = 0;
  private tradesBase = 0;
  private nativeBook: NativeBookHandle | null = null;
  private readonly trade: Trade = createTrade();

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

  /**
   * Runs `count` command slots of `commands` (a view whose slot 0 is at byte 0) from slot `index`
   * on through the native book, which writes their outputs straight into claimed slots of this
   * ring; counts them and records positions and trades as the sink methods do. With `firstSeq`
   * the book checks the slots' sequences, and with `stopMarks` it stops after a marked slot (see
   * NativeBookHandle.process). Returns the commands run.
   */
  writeNative(book: NativeBookHandle, commands: Uint8Array, index: number, count: number, firstSeq = 0, stopMarks = 0): number {
    const sequencer = this.sequencer;
    if (!isTrimmable(sequencer)) throw new Error('the native book needs a single-producer output ring');
    const ring = this.ring;
    this.slotBytes ??= new Uint8Array(ring.bytes.buffer, ring.bytes.byteOffset + ring.slotsOffset, ring.slotCount * ring.slotSize);
    const slots = this.slotBytes;
    const mask = ring.mask;
    const counts = this.progress;
    if (this.nativeBook !== book) {
      this.nativeBook = book;
      book.readOutputCounts(counts.subarray(2));
      this.reportsBase = this.reports - counts[2]!;
      this.rejectedBase = this.rejected - counts[3]!;
      this.tradesBase = this.trades - counts[4]!;
    }
    let done = 0;
    let atMark = false;
    while ((done < count && !atMark) || book.waiting > 0) {
      let room = Math.min(sequencer.remainingCapacity(), NATIVE_CLAIM);
      let hi: number;
      if (room === 0) {
        this.publish(); // full: let the sink see what this batch wrote, then wait for room
        hi = sequencer.next(1);
        room = 1;
      } else hi = sequencer.tryNext(room);
      if (hi < 0) throw new OutputRingHalted('output ring halted');
      const lo = hi - room + 1;
      let written: number;
      if (book.waiting > 0) written = book.drain(slots, lo & mask, room);
      else {
        done += book.process(commands, index + done, count - done, slots, lo & mask, room, counts, firstSeq > 0 ? firstSeq + done : 0, stopMarks);
        written = counts[0]!;
        atMark = counts[5] === 1;
      }
      sequencer.trimClaim(lo + written - 1);
      if (written > 0) {
        if (this.firstPending < 0) this.firstPending = lo;
        this.lastClaimed = lo + written - 1;
        this.noteWritten(lo, written);
      }
    }
    this.reports = this.reportsBase + counts[2]!;
    this.rejected = this.rejectedBase + counts[3]!;
    this.trades = this.tradesBase + counts[4]!;
    return done;
  }

  /** The positions of the `n` outputs the native book wrote from sequence `lo` on, and its trades to the tape. */
  private noteWritten(lo: number, n: number): void {
    const ring = this.ring;
    const bytes = ring.bytes;
    this.view ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const view = this.view;
    for (let s = lo; s < lo + n; s++) {
      const at = ring.offsetOf(s);
      const seq = view.getFloat64(at + OutputSlot.seq, true);
      if (bytes[at + OutputSlot.kind] === OutputKind.Trade) {
        advance(this.lastTrade, seq);
        if (this.tape) this.tape.record(readTrade(bytes, at, this.trade));
      } else advance(this.lastReport, seq);
    }
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
