// Synchronous NDJSON line reader for the poller worker (which blocks on the ring anyway). Lines are
// split on raw bytes and handed out undecoded: the JSON decoder checks UTF-8 itself (fatal), so a
// line with invalid UTF-8 is rejected exactly as the same bytes from Kafka are (a decoding reader
// would turn them into U+FFFD and accept the order), and no line is decoded and re-encoded.
// Line numbers start at 0 and are the "offset" the WAL records for a file source. A line is handed
// out as a range of the reader's buffer (no view object per line: the file source reads millions).
// With file windows (@ringmatch/native's FileWindows) that buffer is a read-only mapping of the file
// itself, so there is no read() copy; without, it is filled by read().
import fs from 'node:fs';

const NEWLINE = 0x0a;
const CR = 0x0d;
const READ_BYTES = 1 << 20;
/** Bytes mapped at a time; a longer line gets a window twice the span it needs. */
const WINDOW_BYTES = 64 << 20;
/** Windows start at a multiple of this (a multiple of every page size Linux uses). */
const WINDOW_ALIGN = 1 << 16;

/** The input file got shorter than the bytes already read: refused in one line (fault.ts). */
export class SourceFileShrankError extends Error {
  override readonly name = 'SourceFileShrankError';
  readonly code = 'SOURCE_FILE_SHRANK';
  constructor(file: string, size: number, seen: number, line: number) {
    super(
      `input file ${file} shrank to ${size} bytes while being read (${seen} were there; line ${line} is next): every order before that line is journaled; restore the file and run again to resume`,
    );
  }
}

/** @ringmatch/native's FileWindows (native/src/file_windows.rs): read-only mapped windows of one file. */
export interface FileWindows {
  size(): number;
  map(offset: number, length: number): Buffer;
  close(): void;
}

export class LineReader {
  /** The read() path's file descriptor (-1 with windows). */
  private readonly fd: number;
  /** buf[start, end) holds read bytes not yet returned; it grows for a line longer than it. */
  private buf: Buffer;
  /** The file offset of buf[0]. */
  private windowOffset = 0;
  /** buf[0, end): bounds the newline search to bytes actually read. */
  private view: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Where to look for the next newline (bytes before it in buf[start, scan) have none). */
  private scan = 0;
  private eof = false;
  /** Number of the line the next call to next() returns. */
  lineNumber = 0;
  /** The last line read by next(): bytes[lineStart, lineEnd) of `bytes` (valid until the next call). */
  bytes: Uint8Array;
  lineStart = 0;
  lineEnd = 0;

  /** With `windows`, over `file` (which it opened), the reader maps instead of reading; `windowBytes` is for tests. */
  constructor(
    readonly file: string,
    private readonly windows: FileWindows | null = null,
    private readonly windowBytes = WINDOW_BYTES,
  ) {
    this.fd = windows === null ? fs.openSync(file, 'r') : -1;
    this.buf = windows === null ? Buffer.allocUnsafe(READ_BYTES) : Buffer.alloc(0);
    this.bytes = this.buf;
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
    if (this.windows !== null) this.windows.close();
    else fs.closeSync(this.fd);
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

  /** Reads more bytes after the unreturned ones: the next window, or a read() into the buffer. */
  private fill(): void {
    if (this.windows !== null) this.mapNext(this.windows);
    else this.read();
  }

  /**
   * Maps the window that starts with the unreturned bytes (at the aligned offset before them) and
   * goes past the bytes seen so far; at the end of the file as it is now, that is the end.
   */
  private mapNext(windows: FileWindows): void {
    const seenTo = this.windowOffset + this.end;
    const size = windows.size();
    if (size < seenTo) throw new SourceFileShrankError(this.file, size, seenTo, this.lineNumber);
    if (size === seenTo) {
      this.eof = true;
      return;
    }
    const from = this.windowOffset + this.start;
    const base = from - (from % WINDOW_ALIGN);
    const length = Math.min(size - base, Math.max(this.windowBytes, 2 * (seenTo - base)));
    this.buf = windows.map(base, length);
    this.view = this.buf;
    this.start = from - base;
    this.scan = seenTo - base;
    this.end = length;
    this.windowOffset = base;
  }

  /** Reads more bytes after the unreturned ones (moved to the front, or into a bigger buffer). */
  private read(): void {
    const kept = this.end - this.start;
    if (this.buf.length - kept < READ_BYTES / 2) {
      // A line longer than half the buffer: double it (amortised, never per read).
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, kept + READ_BYTES));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.windowOffset += this.start;
    this.start = 0;
    this.scan = kept;
    this.end = kept;
    const n = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
    if (n === 0) {
      // Bytes already read that are no longer there: the file was cut or replaced while read.
      const size = fs.fstatSync(this.fd).size;
      if (size < this.windowOffset + this.end) throw new SourceFileShrankError(this.file, size, this.windowOffset + this.end, this.lineNumber);
      this.eof = true;
    }
    this.end += n;
    this.view = this.buf.subarray(0, this.end);
  }
}
