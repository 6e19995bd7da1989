// Matcher worker: the command ring's "matcher" stage. It rebuilds the books (the recovery plan's
// base + the WAL records after it, with the same code as `ringmatch replay`), says so (the poller
// opens intake once the matcher and the sink are ready: intake-gate.ts), then processes live
// command slots strictly behind the journaler's durable cursor, in sequence order, and publishes
// execution reports, trades and marks into the output ring. A slot with the snapshot mark makes it
// snapshot the books exactly at that sequence and hand the bytes to the journaler through the
// snapshot ring; at the end of the stream it takes the final snapshot and ends both rings. The
// books write their outputs straight into claimed output-ring slots (ring-output-writer.ts).
//
// The books are the JS book (@ringmatch/book), one command at a time, or the native book
// (native-book.ts), which takes runs of command slots straight from the ring: a run ends at the
// ring's end, at a snapshot mark, at a latency-sampled sequence and, with the depth stream on, at
// a journal batch end, so each of those sees the books exactly after its command. Without the
// depth stream the native book also checks each slot's sequence, stops at the snapshot mark and
// keeps each stream's last source position itself, so no JS touches a command slot.
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from '@ringmatch/ring';
import {
  MARK_FLAG_SNAPSHOT,
  SNAPSHOT_MARK,
  createCommand,
  hasBatchEndMark,
  hasSnapshotMark,
  readCommand,
  readCommandSeq,
  readCommandSourcePosition,
  readCommandSourceStream,
  readCommandSymbolId,
  type Command,
} from '@ringmatch/protocol';
import { MatchingEngine } from '@ringmatch/book';
import { createNativeBook, NativeEngineBook } from '../native-book.js';
import { OutputRingHalted, RingOutputWriter } from '../ring-output-writer.js';
import { encodeEngineSnapshot } from '../engine-snapshot.js';
import type { DepthConfig, SourceConfig } from '../config.js';
import { DepthFeed } from '../depth-feed.js';
import { DepthView } from '../depth-view.js';
import { TradeTape } from '../trade-tape.js';
import type { ReplayBase } from '../output-rebuild.js';
import { Stat, processCpuUs } from '../stats.js';
import { GcMeter } from '../gc-meter.js';
import { SampleCollector } from '../samples.js';
import { SnapshotSender } from '../snapshot-handoff.js';
import { encodeSourcePositions } from '../source-positions.js';
import { replayRecords, replayRecordsBatched, restoreBase } from '../wal-replay.js';
import { failureSequence } from '../test-hooks.js';
import { processorPolicy, runWorker } from '../worker-main.js';
import { Control, JOURNALER, MATCHER, nowMs, symbolTableFor, type SharedState } from '../shared.js';
import { announceReady } from '../intake-gate.js';

export interface MatcherData {
  shared: SharedState;
  source: SourceConfig;
  walDir: string;
  /** From the recovery plan: the snapshot to restore (or none) and the WAL records to replay on top. */
  base: ReplayBase | null;
  replayFrom: number;
  replayTo: number;
  /** Record the order-to-report latency of one sequence in this many. */
  latencySampleEvery: number;
  /** Publish execution reports to the sink (off when nobody consumes them: trades-only file output). */
  emitReports: boolean;
  /** Output files whose last position each snapshot records (none for Kafka output). */
  recordOutputs: { trades: boolean; reports: boolean; book: boolean };
  /** The L2 depth stream, null when off. */
  depth: DepthConfig | null;
  /** Which book matches (resolved on the main thread: 'native' only when it loaded there). */
  book: 'js' | 'native';
}

const data = workerData as MatcherData;
const stats = new Float64Array(data.shared.stats);
const ring = RingBuffer.attach(data.shared.commandRing);
const outRing = RingBuffer.attach(data.shared.outputRing);
const snapshotRing = RingBuffer.attach(data.shared.snapshotRing);
const snapshots = new SnapshotSender(snapshotRing);
const stamps = new Float64Array(data.shared.stamps);
const stampMask = stamps.length - 1;
const samples = new SampleCollector();
const engine = data.book === 'native' ? await nativeBook() : new MatchingEngine({ symbols: symbolTableFor(data.source) });
/** Last source position per stream reflected in the books (saved with each snapshot). */
const lastPositions = new Map<number, number>();
/** The last trades per symbol, for the live view (shared memory, written after each batch). */
const tape = new TradeTape(data.shared.tradeTape);
// Outputs go into claimed output-ring slots as the books make them; a batch publishes them at once.
const outputs = new RingOutputWriter(outRing, data.emitReports, tape);
const depth = data.depth ? new DepthFeed(engine, data.depth, outputs) : null;
/** What queries read while the engine runs: each symbol's top N after the last batch that changed it. */
const view = data.depth && data.shared.depthView ? new DepthView(data.shared.depthView, data.depth.levels) : null;
let lastSnapshot = -1;
/** GC time of the live run (the summary's CPU account). */
const gc = new GcMeter();

class Halted extends Error {}

async function nativeBook(): Promise<NativeEngineBook> {
  const symbols = symbolTableFor(data.source);
  const { book, why } = await createNativeBook(symbols);
  if (book === null) throw new Error(`--book native: @ringmatch/native did not load in the matcher: ${why}`);
  book.emitReports = data.emitReports;
  return new NativeEngineBook(book, symbols);
}

/** Publishes the outputs written so far to the sink. */
function flushOutputs(): void {
  outputs.publish();
  stats[Stat.trades] = outputs.trades;
  stats[Stat.reports] = outputs.reports;
  stats[Stat.depthUpdates] = outputs.depthUpdates;
  stats[Stat.rejected] = outputs.rejected;
}

/** The first multiple of `every` at or after `s` (sequences pass 2^31: arithmetic, not bitwise). */
function nextMultiple(s: number, every: number): number {
  return every > 0 ? s + every - 1 - ((s + every - 1) % every) : Number.POSITIVE_INFINITY;
}

/** The native book's last source position per stream (NaN: none), read at each snapshot. */
let bookPositions = new Float64Array(16);

/** Takes into lastPositions the positions the native book kept (the live runs without depth note none here). */
function takeBookPositions(): void {
  if (!(engine instanceof NativeEngineBook)) return;
  let streams = engine.handle.readSourcePositions(bookPositions);
  if (streams > bookPositions.length) {
    bookPositions = new Float64Array(streams);
    streams = engine.handle.readSourcePositions(bookPositions);
  }
  for (let stream = 0; stream < streams; stream++) if (!Number.isNaN(bookPositions[stream]!)) lastPositions.set(stream, bookPositions[stream]!);
}

/** Serializes the books at `sequence` (every command up to it processed, none after) for the journaler. */
function snapshot(sequence: number): void {
  takeBookPositions();
  outputs.mark(sequence, MARK_FLAG_SNAPSHOT); // the sink makes the outputs up to here durable
  const bytes = encodeEngineSnapshot(
    engine.snapshot(),
    {
      trades: data.recordOutputs.trades ? { ...outputs.lastTrade } : null,
      reports: data.recordOutputs.reports ? { ...outputs.lastReport } : null,
      book: data.recordOutputs.book ? { ...outputs.lastDepth } : null,
    },
    depth?.state() ?? null,
  );
  if (!snapshots.send({ sequence, sourceState: encodeSourcePositions(lastPositions), data: bytes })) throw new Halted();
  lastSnapshot = sequence;
}

function replay(): void {
  const restored = restoreBase(engine, data.base);
  if (data.base) {
    for (const [stream, position] of data.base.positions) lastPositions.set(stream, position);
    const recorded = restored?.outputs;
    if (recorded?.trades) Object.assign(outputs.lastTrade, recorded.trades);
    if (recorded?.reports) Object.assign(outputs.lastReport, recorded.reports);
    if (recorded?.book) Object.assign(outputs.lastDepth, recorded.book);
    lastSnapshot = data.base.sequence;
  }
  depth?.start(restored?.depth ?? null, data.base?.sequence ?? 0);
  const progress = {
    onCommand: (cmd: Command, batchEnd: boolean) => {
      depth?.afterCommand(cmd, batchEnd);
      if (cmd.sourceStream >= 0) lastPositions.set(cmd.sourceStream, cmd.sourcePosition);
    },
    onProgress: (sequence: number) => {
      stats[Stat.matched] = sequence; // before its outputs go out: the sink's figure never passes it
      outputs.mark(sequence, 0);
      flushOutputs();
    },
  };
  const count =
    engine instanceof NativeEngineBook
      ? replayRecordsBatched((slots, n) => outputs.writeNative(engine.handle, slots, 0, n), data.walDir, data.replayFrom, data.replayTo, progress)
      : replayRecords(engine, data.walDir, data.replayFrom, data.replayTo, outputs, progress);
  stats[Stat.replayed] = count;
  if (depth && view) depth.publishAll(view);
  tape.publishChanged(Math.max(data.replayFrom - 1, data.replayTo));
}

function live(): void {
  const stage = ring.stage(MATCHER);
  const durable = ring.stageSequence(JOURNALER);
  const bytes = ring.bytes;
  const sampleEvery = data.latencySampleEvery;
  const cmd = createCommand();
  const failAt = failureSequence(MATCHER);
  const policy = processorPolicy({ idleTimeoutMs: 250, onTimeout: () => samples.maybeFlush() });
  const native = engine instanceof NativeEngineBook ? engine : null;
  /** The command ring's slots, slot 0 at byte 0: the native book's input. */
  const commandSlots = new Uint8Array(bytes.buffer, bytes.byteOffset + ring.slotsOffset, ring.slotCount * ring.slotSize);
  const mask = ring.mask;
  /** After the native book ran the slot at `offset` (sequence `s`): the depth stream's bookkeeping. */
  const depthAfter = (s: number, offset: number, cmd: Command, batchEnd: boolean): void => {
    cmd.seq = s;
    cmd.symbolId = readCommandSymbolId(bytes, offset);
    depth!.afterCommand(cmd, batchEnd);
  };
  /** Sequences first..last through the native book, in runs (see the module comment). */
  const matchNative = (first: number, last: number, cmd: Command): void => {
    let s = first;
    while (s <= last) {
      const runStart = s;
      // A run ends at the batch's last sequence, the ring's end or the next sampled sequence, known
      // up front (no remainder per slot), or earlier at a mark.
      const runEnd = Math.min(last, s + mask - (s & mask), nextMultiple(s, sampleEvery));
      let offset: number;
      // The book reads the slots itself: here only the sequence check, the marks and the last
      // source position of each stream (kept when the stream changes and at the run's end).
      let stream = -1;
      let streamSlot = 0;
      for (;;) {
        offset = ring.offsetOf(s);
        const seq = readCommandSeq(bytes, offset);
        if (seq !== s) throw new Error(`command slot carries sequence ${seq}, expected ${s}`);
        const slotStream = readCommandSourceStream(bytes, offset);
        if (slotStream !== stream) {
          if (stream >= 0) lastPositions.set(stream, readCommandSourcePosition(bytes, streamSlot));
          stream = slotStream;
        }
        streamSlot = offset;
        if (s === runEnd || hasSnapshotMark(bytes, offset)) break;
        if (depth !== null) {
          if (hasBatchEndMark(bytes, offset)) break;
          depthAfter(s, offset, cmd, false); // marks its book changed; it publishes at batch ends only
        }
        s++;
      }
      if (stream >= 0) lastPositions.set(stream, readCommandSourcePosition(bytes, streamSlot));
      outputs.writeNative(native!.handle, commandSlots, runStart & mask, s - runStart + 1);
      if (depth !== null) depthAfter(s, offset, cmd, hasBatchEndMark(bytes, offset));
      if (s % sampleEvery === 0) samples.latencyNs((nowMs() - stamps[s & stampMask]!) * 1e6);
      if (hasSnapshotMark(bytes, offset)) snapshot(s);
      s++;
    }
  };
  /**
   * Sequences first..last through the native book without the depth stream: the book checks the
   * sequences, stops after a snapshot mark and keeps the positions; here only the run's ends.
   */
  const matchNativeRuns = (first: number, last: number): void => {
    let s = first;
    while (s <= last) {
      const runEnd = Math.min(last, s + mask - (s & mask), nextMultiple(s, sampleEvery));
      s += outputs.writeNative(native!.handle, commandSlots, s & mask, runEnd - s + 1, s, SNAPSHOT_MARK);
      const ran = s - 1; // the run's last command: its end, or a marked one
      if (ran % sampleEvery === 0) samples.latencyNs((nowMs() - stamps[ran & stampMask]!) * 1e6);
      if (hasSnapshotMark(bytes, ring.offsetOf(ran))) snapshot(ran);
    }
  };
  const result = stage.run((_bytes, first, last) => {
    if (failAt >= first && failAt <= last) throw new Error(`injected failure in the matcher's handler at sequence ${failAt}`);
    // The product's invariant, checked on every batch: nothing beyond the durable cursor.
    if (last > durable.getNear(last)) stats[Stat.invariantViolations]!++;
    if (native && depth === null) matchNativeRuns(first, last);
    else if (native) matchNative(first, last, cmd);
    else
      for (let s = first; s <= last; s++) {
        const offset = ring.offsetOf(s);
        readCommand(bytes, offset, cmd);
        if (cmd.seq !== s) throw new Error(`command slot carries sequence ${cmd.seq}, expected ${s}`);
        if (cmd.sourceStream >= 0) lastPositions.set(cmd.sourceStream, cmd.sourcePosition);
        (engine as MatchingEngine).process(cmd, outputs);
        depth?.afterCommand(cmd, hasBatchEndMark(bytes, offset));
        if (s % sampleEvery === 0) samples.latencyNs((nowMs() - stamps[s & stampMask]!) * 1e6);
        if (hasSnapshotMark(bytes, offset)) snapshot(s);
      }
    stats[Stat.matched] = last; // before its outputs go out: the sink's figure never passes it
    outputs.mark(last, 0);
    flushOutputs();
    if (depth && view) depth.publishChanged(view);
    tape.publishChanged(last);
    samples.maybeFlush();
  }, policy.options);
  policy.outcome(result);
  if (result.status !== 'ended') return; // halted: the engine is failing
  // The source ended and everything before it is matched: the final snapshot, then the end of
  // the streams this stage produces.
  const end = result.cursor;
  stats[Stat.endedAt] = nowMs();
  stats[Stat.cpuAtEndUs] = processCpuUs();
  stats[Stat.gcMsMatcher] = gc.stop();
  if (end > lastSnapshot) snapshot(end); // with no snapshot yet, lastSnapshot is -1
  outputs.mark(end, 0);
  flushOutputs();
  snapshotRing.end();
  outRing.end();
}

runWorker(MATCHER, () => {
  try {
    replay();
    stats[Stat.matcherReadyAt] = nowMs();
    announceReady(new Int32Array(data.shared.control), Control.matcherReady);
    gc.start();
    live();
  } catch (error) {
    if (!(error instanceof Halted) && !(error instanceof OutputRingHalted)) throw error;
  }
  samples.maybeFlush(true);
  parentPort!.postMessage({ type: 'matcher-done', matched: stats[Stat.matched], counters: { ...engine.counters } });
});
