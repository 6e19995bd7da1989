// Synchronous NDJSON line reader for the poller worker (which blocks on the ring anyway). Reads
// 1 MiB chunks; line numbers start at 0 and are the "offset" the WAL records for a file source.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export class LineReader {
  private readonly fd: number;
  private readonly chunk = Buffer.allocUnsafe(1 << 20);
  private readonly decoder = new StringDecoder('utf8');
  private pending: string[] = [];
  private pendingIndex = 0;
  private partial = '';
  private eof = false;
  /** Number of the line the next call to next() returns. */
  lineNumber = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
  }

  /** The next line without its newline (a final line without newline counts), or null at EOF. */
  next(): string | null {
    while (this.pendingIndex >= this.pending.length) {
      if (this.eof) return null;
      const n = fs.readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      let text: string;
      if (n === 0) {
        this.eof = true;
        text = this.partial + this.decoder.end();
        this.partial = '';
        this.pending = text.length > 0 ? [text] : [];
      } else {
        text = this.partial + this.decoder.write(this.chunk.subarray(0, n));
        const lines = text.split('\n');
        this.partial = lines.pop()!;
        this.pending = lines;
      }
      this.pendingIndex = 0;
    }
    this.lineNumber++;
    const line = this.pending[this.pendingIndex++]!;
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }

  /** Skips lines until next() returns line `lineNumber` (used to resume after recovery). */
  skipTo(lineNumber: number): void {
    while (this.lineNumber < lineNumber && this.next() !== null) {
      // discard
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
