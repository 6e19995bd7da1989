// Output slots queued for the native JSON writer, then written in runs: one Node-API call writes
// many outputs (a call costs about what JS spends encoding one output, so one per output would
// gain nothing). The slots are read when written, so a queue must be written before its batch's
// slots are released (the sinks' endBatch). A slot the native writer leaves (a field JS writes
// differently) is written by the JS encoder, so the text never depends on which writer ran.
import { OutputKind, createReport, createTrade, readOutput, type OutputJsonEncoder } from '@ringmatch/protocol';
import type { NativeOutputJsonWriter } from './json-writer.js';

/** Bytes one output may take with either writer, a newline before or after it included. */
export function slotOutputBytes(writer: NativeOutputJsonWriter, encoder: OutputJsonEncoder): number {
  return Math.max(writer.maxBytes, encoder.maxBytes) + 1;
}

export class SlotJsonRuns {
  /** Byte offsets of the queued slots in `ring`. */
  private readonly offsets: Int32Array;
  /** File lines: each queued output's "n" (its index within its sequence in that file); null for record values. */
  private readonly indexes: Int32Array | null;
  /** The buffer the queued slots are in. */
  private ring: Uint8Array | null = null;
  /** Queued outputs, and how many of them are written. */
  count = 0;
  private next = 0;
  /** Where the last writeInto ended. */
  end = 0;
  private readonly progress = new Float64Array(1);
  private readonly report = createReport();
  private readonly trade = createTrade();
  /** Bytes one output may need (a newline before or after it included); read once (a Node-API getter is not cheap). */
  readonly maxBytes: number;

  constructor(
    private readonly writer: NativeOutputJsonWriter,
    private readonly encoder: OutputJsonEncoder,
    readonly capacity: number,
    numbered: boolean,
  ) {
    this.offsets = new Int32Array(capacity);
    this.indexes = numbered ? new Int32Array(capacity) : null;
    this.maxBytes = slotOutputBytes(writer, encoder);
  }

  /** True when `push(ring, ...)` must wait for a writeInto: the queue is full or holds another buffer's slots. */
  mustWriteBefore(ring: Uint8Array): boolean {
    return this.count === this.capacity || (this.count > 0 && ring !== this.ring);
  }

  /** Queues the trade or report in the slot at `offset` of `ring` (`index`: its line's "n"). */
  push(ring: Uint8Array, offset: number, index = 0): void {
    this.ring = ring;
    if (this.indexes !== null) this.indexes[this.count] = index;
    this.offsets[this.count++] = offset;
  }

  /**
   * Writes the queued outputs not yet written into `out` from `at` (record values: a newline
   * between outputs, and first when `lead`; file lines: numbered, each ended by a newline). Stops
   * when fewer than maxBytes are left: returns false then, and `end` is where it stopped; call
   * again with more room. Returns true when the queue is written (and empties it).
   */
  writeInto(out: Uint8Array, view: DataView, at: number, lead: boolean): boolean {
    const ring = this.ring!;
    const lines = this.indexes !== null;
    let o = at;
    let separate = lead;
    while (this.next < this.count) {
      if (out.length - o < this.maxBytes) {
        this.end = o;
        return false;
      }
      const n = this.writer.writeRun(ring, this.offsets, this.indexes, this.next, this.count - this.next, out, o, separate, this.progress);
      if (n > 0) {
        o = this.progress[0]!;
        this.next += n;
        separate = true;
        continue;
      }
      // The native writer left this slot to JS (a field it does not write the way JS does).
      // With room (checked above) a run stops only before a slot JS must write.
      if (!lines && separate) out[o++] = 10;
      const offset = this.offsets[this.next]!;
      const line = lines ? this.indexes![this.next]! : -1;
      const kind = readOutput(ring, offset, this.report, this.trade);
      if (kind === OutputKind.Trade) o = this.encoder.writeTrade(view, o, this.trade, line, lines);
      else if (kind === OutputKind.Report) o = this.encoder.writeReport(view, o, this.report, line, lines);
      else throw new Error(`output slot at byte ${offset} has kind ${kind}, not a trade or report`);
      this.next++;
      separate = true;
    }
    this.count = 0;
    this.next = 0;
    this.end = o;
    return true;
  }
}
