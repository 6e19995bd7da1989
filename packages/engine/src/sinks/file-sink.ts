// File sink: NDJSON lines in the data dir, trades always, execution reports with --reports, the
// depth stream unless --no-depth. Each
// line carries its engine sequence ("seq") and its index among that sequence's lines in that file
// ("n"), so after a restart the lines already written are skipped: nothing doubled or lost.
// Lines are written (write(2)) every few ms; they are made durable (fdatasync, on the thread pool,
// never on the write path) when a snapshot waits for them, in 4 MiB steps while periodic snapshots
// are on (one large writeback burst would queue ahead of the WAL's own fdatasyncs), and at the end.
import path from 'node:path';
import { OutputJsonEncoder, type DepthUpdate, type ExecutionReport, type Trade } from '@ringmatch/protocol';
import { BOOK_FILE, OutputFile, REPORTS_FILE, TRADES_FILE, alreadyWritten } from '../output-file.js';
import { symbolTableFor } from '../shared.js';
import { nativeWriterFor, type NativeOutputJsonWriter } from '../json-writer.js';
import { SlotJsonRuns } from '../slot-json-runs.js';
import { crashPoint } from '../test-hooks.js';
import type { OutputSink, SinkContext } from './output-sink.js';

const FLUSH_EVERY_MS = 5;
/** Native writer: most lines queued per file before they are written (a batch may hold more). */
const RUN_SLOTS = 4096;
const SYNC_STEP_BYTES = 4 * 1024 * 1024;

export class FileSink implements OutputSink {
  private readonly trades: OutputFile;
  private readonly reports: OutputFile | null;
  private readonly book: OutputFile | null;
  private readonly lines: OutputJsonEncoder;
  /** Native writer: the trade and report lines queued as slots, per file (null: JS writes each line). */
  private readonly tradeRuns: SlotJsonRuns | null;
  /** The JS encoder writes from the decoded objects; the native writer reads the slots. */
  readonly decodesSlots: boolean;
  private readonly reportRuns: SlotJsonRuns | null;
  // Each file numbers its own lines within a sequence, so the trade file's positions do not depend
  // on whether execution reports are written too.
  private lastTradeSeq = -1;
  private tradeIndex = 0;
  private lastReportSeq = -1;
  private reportIndex = 0;
  private lastBookSeq = -1;
  private bookIndex = 0;
  private written = 0;
  /** Every output of sequences <= marked has been appended to the buffers. */
  private marked = -1;
  /** ... and <= flushedThrough written to the files. */
  private flushedThrough = -1;
  private lastFlushMs = 0;
  private bytesSynced = 0;
  private syncing: Promise<void> | null = null;
  /** Highest sequence a snapshot waits for to be durable. */
  private syncWanted = -1;
  private failure: unknown = null;
  private readonly crashBeforeSync = crashPoint('output-sync');

  private constructor(
    private readonly context: SinkContext,
    native: NativeOutputJsonWriter | null,
  ) {
    this.trades = new OutputFile(path.join(context.outputDir, TRADES_FILE));
    this.reports = context.writeReports ? new OutputFile(path.join(context.outputDir, REPORTS_FILE)) : null;
    this.book = context.writeDepth ? new OutputFile(path.join(context.outputDir, BOOK_FILE)) : null;
    this.lines = new OutputJsonEncoder(symbolTableFor(context.source));
    this.tradeRuns = native ? new SlotJsonRuns(native, this.lines, RUN_SLOTS, true) : null;
    this.decodesSlots = native === null;
    this.reportRuns = native && this.reports ? new SlotJsonRuns(native, this.lines, RUN_SLOTS, true) : null;
  }

  static async open(context: SinkContext): Promise<FileSink> {
    return new FileSink(context, await nativeWriterFor(context.jsonWriter, symbolTableFor(context.source)));
  }

  output(isTrade: boolean, seq: number, bytes: Uint8Array, offset: number, report: ExecutionReport, trade: Trade): void {
    if (isTrade) {
      this.tradeIndex = seq === this.lastTradeSeq ? this.tradeIndex + 1 : 0;
      this.lastTradeSeq = seq;
      if (!alreadyWritten(this.context.tradesPosition, seq, this.tradeIndex)) {
        if (this.tradeRuns) this.trades.queueSlot(this.tradeRuns, bytes, offset, this.tradeIndex);
        else this.trades.appendTrade(this.lines, this.tradeIndex, trade);
        this.written++;
      }
    } else {
      this.reportIndex = seq === this.lastReportSeq ? this.reportIndex + 1 : 0;
      this.lastReportSeq = seq;
      if (this.reports && !alreadyWritten(this.context.reportsPosition, seq, this.reportIndex)) {
        if (this.reportRuns) this.reports.queueSlot(this.reportRuns, bytes, offset, this.reportIndex);
        else this.reports.appendReport(this.lines, this.reportIndex, report);
        this.written++;
      }
    }
  }

  depth(seq: number, _bytes: Uint8Array, _offset: number, update: DepthUpdate): void {
    this.bookIndex = seq === this.lastBookSeq ? this.bookIndex + 1 : 0;
    this.lastBookSeq = seq;
    if (this.book && !alreadyWritten(this.context.bookPosition, seq, this.bookIndex)) {
      this.book.appendDepth(this.lines, this.bookIndex, update);
      this.written++;
    }
  }

  mark(seq: number, snapshot: boolean): void {
    this.marked = seq;
    if (snapshot) {
      this.flush();
      this.syncWanted = Math.max(this.syncWanted, seq);
      this.startSync();
    }
  }

  ready(): void {
    // Writes are synchronous and syncs run in the background: nothing to wait for.
  }

  endBatch(): void {
    // Queued lines are read from the batch's slots, which are released when this returns.
    this.trades.writeQueued();
    this.reports?.writeQueued();
    if (this.failure) throw this.failure;
    if (performance.now() - this.lastFlushMs > FLUSH_EVERY_MS) this.flush();
    if (this.context.syncInSteps && this.bytesWritten() - this.bytesSynced >= SYNC_STEP_BYTES) this.startSync();
  }

  idle(): void {
    this.flush();
  }

  async close(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (this.failure) throw this.failure;
    this.flush();
    this.crashBeforeSync();
    this.trades.close(); // flush + fdatasync + close
    this.reports?.close();
    this.book?.close();
    this.context.progress.durable(this.flushedThrough);
  }

  private bytesWritten(): number {
    return this.trades.bytesWritten + (this.reports?.bytesWritten ?? 0) + (this.book?.bytesWritten ?? 0);
  }

  private flush(): void {
    this.trades.flush();
    this.reports?.flush();
    this.book?.flush();
    this.lastFlushMs = performance.now();
    this.flushedThrough = this.marked;
    this.context.progress.written(this.marked);
    this.context.onWritten(this.written);
  }

  /** fdatasync of what is written so far, off this thread; then the next one if a snapshot waits for more. */
  private startSync(): void {
    if (this.syncing) return;
    const target = this.flushedThrough;
    this.bytesSynced = this.bytesWritten();
    this.crashBeforeSync(); // tests: lines written, not yet durable
    this.syncing = Promise.all([this.trades.syncAsync(), this.reports?.syncAsync(), this.book?.syncAsync()]).then(
      () => {
        this.syncing = null;
        this.context.progress.durable(target);
        if (this.syncWanted > target) {
          this.flush();
          this.startSync();
        }
      },
      (error: unknown) => {
        this.syncing = null;
        this.failure ??= error;
        this.context.fail(error);
      },
    );
  }
}
