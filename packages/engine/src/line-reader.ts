// Synchronous NDJSON line reader for the poller worker (which blocks on the ring anyway). Lines are
// split on raw bytes and handed out undecoded: the JSON decoder checks UTF-8 itself (fatal), so a
// line with invalid UTF-8 is rejected exactly as the same bytes from Kafka are (a decoding reader
// would turn them into U+FFFD and accept the order), and no line is decoded and re-encoded.
// Line numbers start at 0 and are the "offset" the WAL records for a file source. A line is handed
// out as a range of the reader's buffer (no view object per line: the file source reads millions).
import fs from 'node:fs';

const NEWLINE = 0x0a;
const CR = 0x0d;
const READ_BYTES = 1 << 20;

export class LineReader {
  private readonly fd: number;
  /** buf[start, end) holds read bytes not yet returned; it grows for a line longer than it. */
  private buf = Buffer.allocUnsafe(READ_BYTES);
  /** buf[0, end): bounds the newline search to bytes actually read. */
  private view = this.buf.subarray(0, 0);
  private start = 0;
  private end = 0;
  /** Where to look for the next newline (bytes before it in buf[start, scan) have none). */
  private scan = 0;
  private eof = false;
  /** Number of the line the next call to next() returns. */
  lineNumber = 0;
  /** The last line read by next(): bytes[lineStart, lineEnd) of `bytes` (valid until the next call). */
  bytes: Uint8Array = this.buf;
  lineStart = 0;
  lineEnd = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
  }

  /**
   * Reads the next line into bytes[lineStart, lineEnd), without its newline (and without a "\r"
   * before it; a final line without newline counts); false at EOF.
   */
  next(): boolean {
    for (;;) {
      const nl = this.end > this.scan ? this.view.indexOf(NEWLINE, this.scan) : -1;
      if (nl >= 0) return this.take(nl, nl + 1);
      this.scan = this.end;
      if (this.eof) return this.start < this.end ? this.take(this.end, this.end) : false;
      this.fill();
    }
  }

  /** The last line read, as a view (for the rare paths that need one). */
  line(): Uint8Array {
    return this.bytes.subarray(this.lineStart, this.lineEnd);
  }

  /** The read bytes not yet returned: buffered()[bufferedStart, bufferedEnd) (valid until the next call). */
  buffered(): Uint8Array {
    return this.buf;
  }

  get bufferedStart(): number {
    return this.start;
  }

  get bufferedEnd(): number {
    return this.end;
  }

  /** Marks the `lines` whole buffered lines before byte `next` as read (a bulk scanner took them). */
  advance(next: number, lines: number): void {
    if (next < this.start || next > this.end) throw new RangeError(`advance to ${next} outside the buffered bytes [${this.start}, ${this.end})`);
    this.start = this.scan = next;
    this.lineNumber += lines;
  }

  /** Skips lines until next() reads line `lineNumber` (used to resume after recovery). */
  skipTo(lineNumber: number): void {
    while (this.lineNumber < lineNumber && this.next()) {
      // discard
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private take(lineEnd: number, next: number): true {
    const from = this.start;
    this.bytes = this.buf;
    this.lineStart = from;
    this.lineEnd = lineEnd > from && this.buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    this.start = this.scan = next;
    this.lineNumber++;
    return true;
  }

  /** Reads more bytes after the unreturned ones (moved to the front, or into a bigger buffer). */
  private fill(): void {
    const kept = this.end - this.start;
    if (this.buf.length - kept < READ_BYTES / 2) {
      // A line longer than half the buffer: double it (amortised, never per read).
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, kept + READ_BYTES));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.scan = kept;
    this.end = kept;
    const n = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
    if (n === 0) this.eof = true;
    this.end += n;
    this.view = this.buf.subarray(0, this.end);
  }
}
