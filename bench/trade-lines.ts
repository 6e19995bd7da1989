// A BookSink that writes the trades file's bytes into memory: each trade as the engine's file sink
// appends it (OutputJsonEncoder.writeTrade with "n", its index among its sequence's trades, and the
// newline), into 1 MiB buffers kept in a list (no file, no copy of what is written). Reports are
// counted, not encoded: a run without --reports writes none. For bench `engine-embedded:matcher`.
import fs from 'node:fs';
import type { BookSink } from '@ringmatch/book';
import { ExecStatus, OutputJsonEncoder, type ExecutionReport, type SymbolTable, type Trade } from '@ringmatch/protocol';

const CHUNK_BYTES = 1 << 20;

export class TradeLines implements BookSink {
  trades = 0;
  reports = 0;
  rejected = 0;
  private readonly encoder: OutputJsonEncoder;
  /** Filled buffers, each with the bytes used. */
  private readonly full: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private used = 0;
  private lastSeq = -1;
  private index = 0;

  constructor(symbols: SymbolTable) {
    this.encoder = new OutputJsonEncoder(symbols);
  }

  onReport(report: ExecutionReport): void {
    this.reports++;
    if (report.status === ExecStatus.Rejected) this.rejected++;
  }

  onTrade(trade: Trade): void {
    this.trades++;
    this.index = trade.seq === this.lastSeq ? this.index + 1 : 0;
    this.lastSeq = trade.seq;
    if (this.used + this.encoder.maxBytes > this.buffer.length) this.nextBuffer();
    this.used = this.encoder.writeTrade(this.view, this.used, trade, this.index, true);
  }

  /** Every byte written so far, in order (views, not copies). */
  chunks(): Buffer[] {
    return [...this.full, this.buffer.subarray(0, this.used)];
  }

  get byteLength(): number {
    let n = this.used;
    for (const c of this.full) n += c.length;
    return n;
  }

  private nextBuffer(): void {
    this.full.push(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.used = 0;
  }
}

/** True if `file` holds exactly the bytes of `chunks`, in order (read in 1 MiB steps). */
export function sameBytesAsFile(chunks: readonly Uint8Array[], file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    let total = 0;
    for (const c of chunks) total += c.length;
    if (fs.fstatSync(fd).size !== total) return false;
    const read = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = 0;
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) {
        const n = fs.readSync(fd, read, 0, Math.min(read.length, chunk.length - at), position);
        if (n <= 0 || !read.subarray(0, n).equals(chunk.subarray(at, at + n))) return false;
        at += n;
        position += n;
      }
    }
    return true;
  } finally {
    fs.closeSync(fd);
  }
}
