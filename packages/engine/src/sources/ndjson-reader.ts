// An NDJSON order file read into command slots: lines are ranges of the read buffer, and a plainly
// valid command line goes through the byte scanner straight into the staging slot (no view, string,
// object or JSON.parse per line). Anything else (bad UTF-8, bad JSON, a batch, an unusual shape)
// takes the general decoder with the exact error, as the same bytes from Kafka would. Line numbers
// are the positions the WAL records: a restart resumes at a line, minus its commands already there.
// With the native scanner (json-scanner.ts), whole buffered lines go to it in one call; it stops at
// the first line it does not take, and that line comes here, one at a time.
import { CommandKind, createCommand, decodeJsonCommandFast, decodeMessageEach, type Command, type DecodeOptions, type SymbolTable } from '@ringmatch/protocol';
import { LineReader, type FileWindows } from '../line-reader.js';
import { SINGLE_PARTITION } from './command-source.js';
import type { CommandStaging } from './command-staging.js';
import type { NativeCommandScanner } from '../json-scanner.js';

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b !== SPACE && b !== TAB && b !== CR) return false;
  }
  return true;
}

export class NdjsonCommandReader {
  /** Lines read so far (blank ones included). */
  linesRead = 0;
  /** Invalid commands staged so far (each is rejected in sequence). */
  malformed = 0;
  /** True once the last line has been read. */
  eof = false;
  private readonly lines: LineReader;
  private readonly decodeOptions: DecodeOptions;
  private readonly scratch = createCommand();
  /** Line whose first `skipAtResume` commands are already in the WAL (-1: none). */
  private resumeLine = -1;
  private skipAtResume = 0;
  private readonly stageInto: (c: Command) => void;
  private staging: CommandStaging | null = null;
  /** The native scanner's [next byte, lines taken] per call. */
  private readonly progress = new Float64Array(2);

  constructor(
    file: string,
    symbols: SymbolTable,
    private readonly nativeScanner: NativeCommandScanner | null = null,
    windows: FileWindows | null = null,
  ) {
    this.lines = new LineReader(file, windows);
    this.decodeOptions = { symbols, sourceStream: SINGLE_PARTITION, sourcePosition: -1 };
    this.stageInto = (c) => {
      if (this.staging!.add(c) && c.kind === CommandKind.Invalid) this.malformed++;
    };
  }

  /** Starts at line `line`, whose first `commandsInWal` commands a previous run journaled already. */
  resumeAt(line: number, commandsInWal: number): void {
    this.lines.skipTo(line);
    this.linesRead = this.lines.lineNumber;
    this.resumeLine = line;
    this.skipAtResume = commandsInWal;
  }

  /** Stages the commands of the next lines until `staging` holds at least `max` or the file ends. */
  fill(staging: CommandStaging, max: number): void {
    const lines = this.lines;
    const opts = this.decodeOptions;
    this.staging = staging;
    while (staging.count < max) {
      if (this.nativeScanner !== null && lines.lineNumber !== this.resumeLine && this.fillNative(staging, max)) return;
      const lineNumber = lines.lineNumber;
      if (!lines.next()) {
        this.eof = true;
        return;
      }
      this.linesRead++;
      const bytes = lines.bytes;
      const start = lines.lineStart;
      const end = lines.lineEnd;
      if (isBlank(bytes, start, end)) continue; // blank lines carry no order (but have a line number)
      opts.sourcePosition = lineNumber;
      // The last journaled line may be in the WAL already, fully or partly: skip that part.
      staging.skip = lineNumber === this.resumeLine ? this.skipAtResume : 0;
      if (decodeJsonCommandFast(bytes, this.scratch, opts, start, end)) this.stageInto(this.scratch);
      else decodeMessageEach(lines.line(), 'json', opts, this.scratch, this.stageInto);
    }
  }

  /**
   * Hands the buffered whole lines to the native scanner; true when `staging` is full. It stops
   * before a line it does not take or an unended one, which the caller then reads on the JS path.
   */
  private fillNative(staging: CommandStaging, max: number): boolean {
    const lines = this.lines;
    const room = max - staging.count;
    staging.reserve(room);
    staging.skip = 0; // only the resume line skips, and it never comes here
    const progress = this.progress;
    staging.count += this.nativeScanner!.scanLines(
      lines.buffered(),
      lines.bufferedStart,
      lines.bufferedEnd,
      lines.lineNumber,
      SINGLE_PARTITION,
      staging.bytes,
      staging.count,
      room,
      progress,
      staging.nextSeq(),
    );
    const taken = progress[1]!;
    if (taken > 0) {
      lines.advance(progress[0]!, taken);
      this.linesRead += taken;
    }
    return staging.count >= max;
  }

  close(): void {
    this.lines.close();
  }
}
