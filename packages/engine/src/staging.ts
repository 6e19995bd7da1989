// Output staging shared by the matcher and the channel baseline's matcher: a BookSink that writes
// each report/trade as a 96-byte output slot into a growing buffer, counting as it goes; and the
// copy of a run of staged slots into a ring (which may wrap the ring's end).
import { ExecStatus, OUTPUT_SLOT_BYTES, writeMark, writeReport, writeTrade, type ExecutionReport, type Trade } from '@ringmatch/protocol';
import type { BookSink } from '@ringmatch/book';
import type { RingBuffer } from '@ringmatch/ring';

export class OutputStaging implements BookSink {
  bytes = new Uint8Array(OUTPUT_SLOT_BYTES * 4096);
  /** Slots staged since the last reset(). */
  staged = 0;
  trades = 0;
  reports = 0;
  rejected = 0;
  /** Position (sequence, index within it) of the last trade and report staged: what a snapshot records. */
  readonly lastTrade = { seq: -1, index: -1 };
  readonly lastReport = { seq: -1, index: -1 };

  /** `emitReports: false` counts reports without staging them (nobody downstream reads them). */
  constructor(private readonly emitReports: boolean) {}

  onReport(report: ExecutionReport): void {
    this.reports++;
    if (report.status === ExecStatus.Rejected) this.rejected++;
    if (!this.emitReports) return;
    advance(this.lastReport, report.seq);
    this.room();
    writeReport(this.bytes, this.staged++ * OUTPUT_SLOT_BYTES, report);
  }

  onTrade(trade: Trade): void {
    this.trades++;
    advance(this.lastTrade, trade.seq);
    this.room();
    writeTrade(this.bytes, this.staged++ * OUTPUT_SLOT_BYTES, trade);
  }

  /** A mark: every output of sequences <= seq is staged before it (the sink's flush and sync points). */
  mark(seq: number, flags: number): void {
    this.room();
    writeMark(this.bytes, this.staged++ * OUTPUT_SLOT_BYTES, seq, flags);
  }

  reset(): void {
    this.staged = 0;
  }

  private room(): void {
    if ((this.staged + 1) * OUTPUT_SLOT_BYTES <= this.bytes.length) return;
    const bigger = new Uint8Array(this.bytes.length * 2);
    bigger.set(this.bytes);
    this.bytes = bigger;
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

const ranges = [0, 0, 0, 0];

/** Copies slots lo..hi of `ring` from `source` starting at byte `from` (contiguous there). */
export function copyIntoRing(ring: RingBuffer, lo: number, hi: number, source: Uint8Array, from: number): void {
  ring.batchRanges(lo, hi, ranges);
  const firstLen = ranges[1]! - ranges[0]!;
  ring.bytes.set(source.subarray(from, from + firstLen), ranges[0]!);
  if (ranges[3]! > ranges[2]!) ring.bytes.set(source.subarray(from + firstLen, from + (hi - lo + 1) * ring.slotSize), ranges[2]!);
}
