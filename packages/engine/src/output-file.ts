// Append-only NDJSON output (trades, reports, depth) with a restart rule: every line carries the engine
// sequence that produced it ("seq") and its index among that sequence's lines in this file ("n"), so after a crash
// the engine cuts a torn last line, reads the last (seq, index) written, and re-emits from the WAL
// only what comes after it: no lost and no doubled line.
import fs from 'node:fs';
import { Refusal } from './refusal.js';
import type { DepthUpdate, ExecutionReport, OutputJsonEncoder, Trade } from '@ringmatch/protocol';
import type { SlotJsonRuns } from './slot-json-runs.js';

export const TRADES_FILE = 'trades.ndjson';
export const REPORTS_FILE = 'reports.ndjson';
/** The L2 depth stream (depth-feed.ts). */
export const BOOK_FILE = 'book.ndjson';

export interface OutputPosition {
  /** Engine sequence of the last complete line, -1 for an empty file. */
  seq: number;
  /** Output index within that sequence, -1 for an empty file. */
  index: number;
}

function linePosition(line: string): OutputPosition | null {
  try {
    const parsed = JSON.parse(line) as { seq?: unknown; n?: unknown };
    if (Number.isSafeInteger(parsed.seq) && Number.isSafeInteger(parsed.n)) return { seq: parsed.seq as number, index: parsed.n as number };
  } catch {
    // not JSON
  }
  return null;
}

/** Output lines are a few hundred bytes: a tail this long holds the last two whole lines of an engine file. */
const TAIL_BYTES = 256 * 1024;

export interface RecoveredOutput extends OutputPosition {
  /** Bytes cut (or, read-only, that a run would cut): a torn last line and a damaged last line. */
  truncatedBytes: number;
  /** The last complete line was not an engine output line (damaged) and was cut. */
  damagedLine: boolean;
}

/**
 * Reads the position of the last complete output line. A torn (newline-less) tail is cut, and so
 * is one complete last line that is not an output line (a damaged tail), if the line before it is
 * one; anything more damaged is a Refusal. With `truncate: false` it only reports (inspect never writes).
 */
export function recoverOutputFile(file: string, options: { truncate?: boolean } = {}): RecoveredOutput {
  const truncate = options.truncate ?? true;
  let fd: number;
  try {
    fd = fs.openSync(file, truncate ? 'r+' : 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { seq: -1, index: -1, truncatedBytes: 0, damagedLine: false };
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const tail = Buffer.allocUnsafe(size - start);
    fs.readSync(fd, tail, 0, tail.length, start);
    // Complete lines end with '\n'; whatever follows the last one is a torn line.
    let end = tail.lastIndexOf(0x0a) + 1;
    let damagedLine = false;
    for (;;) {
      if (end === 0) {
        if (start > 0) throw new Refusal(`${file} ends with ${size - start} bytes without a line break: not an engine output file; move it away or restore it`);
        return cut(fd, truncate, size, 0, { seq: -1, index: -1 }, damagedLine);
      }
      const lineStart = tail.lastIndexOf(0x0a, end - 2) + 1;
      if (lineStart === 0 && start > 0) {
        // The chunk began mid-line: only possible for lines far longer than ours.
        throw new Refusal(`${file} has a line longer than ${TAIL_BYTES} bytes near its end: not an engine output file; move it away or restore it`);
      }
      const position = linePosition(tail.toString('utf8', lineStart, end - 1));
      if (position) return cut(fd, truncate, size, start + end, position, damagedLine);
      if (damagedLine) {
        throw new Refusal(
          `${file}: its last two lines are not engine output lines (damaged or not the engine's file); move it away so the engine rebuilds it from the WAL, or restore it`,
        );
      }
      damagedLine = true;
      end = lineStart;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function cut(fd: number, truncate: boolean, size: number, validEnd: number, position: OutputPosition, damagedLine: boolean): RecoveredOutput {
  if (truncate) truncateDurably(fd, size, validEnd);
  return { ...position, truncatedBytes: size - validEnd, damagedLine };
}

/** Cuts the file to `length` bytes and makes the cut durable; returns the bytes removed. */
function truncateDurably(fd: number, size: number, length: number): number {
  if (length >= size) return 0;
  fs.ftruncateSync(fd, length);
  fs.fsyncSync(fd);
  return size - length;
}

/**
 * Cuts every line of sequence >= `seq` from the end of an output file (repair: the outputs of a
 * cut log go with it). Reads back from the end in growing spans, so memory follows what is cut,
 * not the file's size. Returns the bytes removed.
 */
export function cutOutputsFrom(file: string, seq: number): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    for (let span = 1 << 20; ; span *= 2) {
      const start = Math.max(0, size - span);
      const bytes = Buffer.allocUnsafe(size - start);
      fs.readSync(fd, bytes, 0, bytes.length, start);
      let end = bytes.lastIndexOf(0x0a) + 1; // a torn last line goes too
      for (;;) {
        if (end === 0) {
          if (start === 0) return truncateDurably(fd, size, 0);
          break; // the span began inside a line: read a longer one
        }
        const lineStart = bytes.lastIndexOf(0x0a, end - 2) + 1;
        if (lineStart === 0 && start > 0) break;
        const position = linePosition(bytes.toString('utf8', lineStart, end - 1));
        if (position === null) throw new Refusal(`${file}: line at byte ${start + lineStart} is not an engine output line; move the file away or restore it`);
        if (position.seq < seq) return truncateDurably(fd, size, start + end);
        end = lineStart;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Buffered appender; flushes when the buffer fills and on flush()/close(). Lines are encoded
 * straight into one preallocated Buffer (profiled: string concatenation plus writeSync of a
 * 256 KiB rope cost the sink about 2 us per line in flattening and GC).
 */
export class OutputFile {
  private readonly fd: number;
  private readonly buffer: Buffer;
  private readonly view: DataView;
  private used = 0;
  /** Native writer: lines queued as slots (queueSlot), null until the first. */
  private runs: SlotJsonRuns | null = null;
  constructor(
    readonly file: string,
    size = 1 << 20,
  ) {
    this.fd = fs.openSync(file, 'a');
    this.buffer = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }
  /** Appends a trade line ("n" = its index within its sequence in this file), no strings built. */
  appendTrade(encoder: OutputJsonEncoder, index: number, trade: Trade): void {
    if (this.runs !== null) this.writeQueued(); // lines stay in order
    if (this.used + encoder.maxBytes > this.buffer.length) this.drain();
    this.used = encoder.writeTrade(this.view, this.used, trade, index, true);
  }
  /** Appends an execution report line (see appendTrade). */
  appendReport(encoder: OutputJsonEncoder, index: number, report: ExecutionReport): void {
    if (this.runs !== null) this.writeQueued();
    if (this.used + encoder.maxBytes > this.buffer.length) this.drain();
    this.used = encoder.writeReport(this.view, this.used, report, index, true);
  }
  /**
   * Native writer: queues the trade or report in the slot at `offset` of `ring` as line `index`
   * (see appendTrade), written by writeQueued (before the batch's slots are released) or flush().
   */
  queueSlot(runs: SlotJsonRuns, ring: Uint8Array, offset: number, index: number): void {
    if (this.runs?.mustWriteBefore(ring)) this.writeQueued();
    this.runs = runs;
    runs.push(ring, offset, index);
  }
  /** Writes the queued lines into the buffer (writing the buffer to the file when it fills). */
  writeQueued(): void {
    const runs = this.runs;
    if (runs === null || runs.count === 0) return;
    while (!runs.writeInto(this.buffer, this.view, this.used, false)) {
      this.used = runs.end;
      this.drain();
    }
    this.used = runs.end;
  }
  /** Appends a depth line (see appendTrade). */
  appendDepth(encoder: OutputJsonEncoder, index: number, update: DepthUpdate): void {
    if (this.runs !== null) this.writeQueued();
    if (this.used + encoder.maxBytes > this.buffer.length) this.drain();
    this.used = encoder.writeDepth(this.view, this.used, update, index, true);
  }
  /** Bytes written to the file by this appender. */
  bytesWritten = 0;
  flush(): void {
    this.writeQueued();
    this.drain();
  }
  /** Writes the buffer to the file. */
  private drain(): void {
    let written = 0;
    while (written < this.used) written += fs.writeSync(this.fd, this.buffer, written, this.used - written);
    this.bytesWritten += written;
    this.used = 0;
  }
  /** Makes everything flushed so far durable: a snapshot may then cover it. */
  sync(): void {
    fs.fdatasyncSync(this.fd);
  }
  /** `sync` on the thread pool: the sink goes on writing meanwhile. */
  syncAsync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (error) => (error ? reject(error) : resolve())));
  }
  close(): void {
    this.flush();
    this.sync();
    fs.closeSync(this.fd);
  }
}

/** True if output (seq, index) was already written before the restart. */
export function alreadyWritten(position: OutputPosition, seq: number, index: number): boolean {
  return seq < position.seq || (seq === position.seq && index <= position.index);
}
