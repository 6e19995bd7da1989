// Append-only NDJSON output (trades, reports) with a restart rule: every line starts with the
// engine sequence that produced it and its index among that sequence's outputs, so after a crash
// the engine cuts a torn last line, reads the last (seq, index) written, and re-emits from the WAL
// only what comes after it: no lost and no doubled line.
import fs from 'node:fs';

export interface OutputPosition {
  /** Engine sequence of the last complete line, -1 for an empty file. */
  seq: number;
  /** Output index within that sequence, -1 for an empty file. */
  index: number;
}

const LINE_HEAD = /^\{"seq":(\d+),"i":(\d+),/;

/** Reads the last complete line's position and truncates a torn (newline-less) tail. */
export function recoverOutputFile(file: string): OutputPosition & { truncatedBytes: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { seq: -1, index: -1, truncatedBytes: 0 };
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let end = size;
    let validEnd = -1;
    let tail = '';
    // Walk back in chunks until a complete line is found (a line is far shorter than a chunk).
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = fs.readSync(fd, chunk, 0, end - start, start);
      tail = chunk.toString('utf8', 0, n) + tail;
      const lastNewline = tail.lastIndexOf('\n');
      if (lastNewline >= 0) {
        validEnd = start + Buffer.byteLength(tail.slice(0, lastNewline + 1));
        const before = tail.lastIndexOf('\n', lastNewline - 1);
        if (before >= 0 || start === 0) {
          const line = tail.slice(before + 1, lastNewline);
          const match = LINE_HEAD.exec(line);
          if (!match) throw new Error(`${file}: last line is not an engine output line: ${line.slice(0, 120)}`);
          if (validEnd < size) fs.ftruncateSync(fd, validEnd);
          return { seq: Number(match[1]), index: Number(match[2]), truncatedBytes: size - validEnd };
        }
      }
      end = start;
    }
    // No complete line at all: the whole file is a torn first line.
    if (size > 0) fs.ftruncateSync(fd, 0);
    return { seq: -1, index: -1, truncatedBytes: size };
  } finally {
    fs.closeSync(fd);
  }
}

/** Buffered appender; flushes when the buffer fills and on flush()/close(). */
export class OutputFile {
  private readonly fd: number;
  private buffer = '';
  constructor(readonly file: string, private readonly flushAt = 256 * 1024) {
    this.fd = fs.openSync(file, 'a');
  }
  /** `body` is a JSON object text; the head fields are prepended here. */
  append(seq: number, index: number, body: string): void {
    this.buffer += `{"seq":${seq},"i":${index},${body.slice(1)}\n`;
    if (this.buffer.length >= this.flushAt) this.flush();
  }
  flush(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/** True if output (seq, index) was already written before the restart. */
export function alreadyWritten(position: OutputPosition, seq: number, index: number): boolean {
  return seq < position.seq || (seq === position.seq && index <= position.index);
}
