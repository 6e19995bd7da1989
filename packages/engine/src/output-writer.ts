// What every writer of the books' outputs does (a BookSink): count reports, rejects and trades,
// remember the position (sequence, index within it) of the last trade and report, and write each
// output as a 96-byte output slot wherever the subclass puts the next one (the matcher's is
// ring-output-writer.ts: straight into claimed output-ring slots).
import { ExecStatus, writeMark, writeReport, writeTrade, type ExecutionReport, type Trade } from '@ringmatch/protocol';
import type { BookSink } from '@ringmatch/book';

export abstract class OutputWriter implements BookSink {
  trades = 0;
  reports = 0;
  rejected = 0;
  /** Position (sequence, index within it) of the last trade and report written: what a snapshot records. */
  readonly lastTrade = { seq: -1, index: -1 };
  readonly lastReport = { seq: -1, index: -1 };

  /** `emitReports: false` counts reports without writing them (nobody downstream reads them). */
  constructor(private readonly emitReports: boolean) {}

  onReport(report: ExecutionReport): void {
    this.reports++;
    if (report.status === ExecStatus.Rejected) this.rejected++;
    if (!this.emitReports) return;
    advance(this.lastReport, report.seq);
    const at = this.nextSlot();
    writeReport(this.bytes, at, report);
  }

  onTrade(trade: Trade): void {
    this.trades++;
    advance(this.lastTrade, trade.seq);
    const at = this.nextSlot();
    writeTrade(this.bytes, at, trade);
  }

  /** A mark: every output of sequences <= seq is written before it (the sink's flush and sync points). */
  mark(seq: number, flags: number): void {
    const at = this.nextSlot();
    writeMark(this.bytes, at, seq, flags);
  }

  /** Where the next output slot is: its byte offset in `bytes` (read after this call). */
  protected abstract nextSlot(): number;
  /** The bytes the slots are in. */
  abstract get bytes(): Uint8Array;
}

/** Numbers outputs within their sequence as the file sink does (its "n"). */
function advance(position: { seq: number; index: number }, seq: number): void {
  if (seq === position.seq) position.index++;
  else {
    position.seq = seq;
    position.index = 0;
  }
}
