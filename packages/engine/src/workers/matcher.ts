// Matcher worker: rebuilds the books (newest snapshot + the WAL records after it), then processes
// live command slots strictly behind the journaler's durable cursor, in sequence order, and
// publishes execution reports and trades into the output ring. Snapshots are taken every N
// sequences and handed to the journaler, which owns the WAL directory.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { HALTED, RingBuffer } from '@ringmatch/ring';
import { OUTPUT_SLOT_BYTES, createCommand, readCommand } from '@ringmatch/protocol';
import { MatchingEngine } from '@ringmatch/book';
import { OutputStaging, copyIntoRing } from '../staging.js';
import { decodeEngineSnapshot, encodeEngineSnapshot } from '../engine-snapshot.js';
import { readRecords } from '@ringmatch/wal';
import type { SourceConfig } from '../config.js';
import { Stat } from '../stats.js';
import { JOURNALER, MATCHER, SampleCollector, fatal, nowMs, symbolTableFor, type SharedState } from '../shared.js';
import type { SnapshotRequest } from './journaler.js';

export interface MatcherData {
  shared: SharedState;
  source: SourceConfig;
  walDir: string;
  snapshot: { sequence: number; data: Uint8Array; offsets: [number, number][] } | null;
  /** WAL records to replay before going live: (snapshot sequence or first log sequence) .. lastSequence. */
  replayFrom: number;
  replayTo: number;
  snapshotEvery: number;
  snapshotPort: MessagePort;
  /** Record the order-to-report latency of one sequence in this many. */
  latencySampleEvery: number;
  /** Publish execution reports to the sink (off when nobody consumes them: trades-only file output). */
  emitReports: boolean;
  /** Output files whose last position each snapshot records (none for Kafka output). */
  recordOutputs: { trades: boolean; reports: boolean };
}

const data = workerData as MatcherData;
const stats = new Float64Array(data.shared.stats);
const ring = RingBuffer.attach(data.shared.commandRing);
const outRing = RingBuffer.attach(data.shared.outputRing);
const outSequencer = outRing.sequencer();
const stamps = new Float64Array(data.shared.stamps);
const stampMask = stamps.length - 1;
const samples = new SampleCollector();
const engine = new MatchingEngine({ symbols: symbolTableFor(data.source) });

/** Last source offset per partition reflected in the books (saved with each snapshot). */
const lastOffsets = new Map<number, number>();
// Outputs of a batch are staged, then copied into the output ring with one claim per chunk.
const staging = new OutputStaging(data.emitReports);
if (data.snapshot) {
  const restored = decodeEngineSnapshot(data.snapshot.data);
  engine.restore(restored.books);
  for (const [p, o] of data.snapshot.offsets) lastOffsets.set(p, o);
  if (restored.outputs?.trades) Object.assign(staging.lastTrade, restored.outputs.trades);
  if (restored.outputs?.reports) Object.assign(staging.lastReport, restored.outputs.reports);
}
const maxChunk = outRing.slotCount >> 1;

/** Copies staged outputs into the output ring (waiting while the sink is behind). False if halted. */
function flushOutputs(): boolean {
  let done = 0;
  while (done < staging.staged) {
    const n = Math.min(maxChunk, staging.staged - done);
    const hi = outSequencer.next(n);
    if (hi === HALTED) return false;
    if (hi < 0) continue;
    copyIntoRing(outRing, hi - n + 1, hi, staging.bytes, done * OUTPUT_SLOT_BYTES);
    outSequencer.publish(hi - n + 1, hi);
    done += n;
  }
  staging.reset();
  stats[Stat.trades] = staging.trades;
  stats[Stat.reports] = staging.reports;
  stats[Stat.rejected] = staging.rejected;
  return true;
}

const cmd = createCommand();

function processSlot(bytes: Uint8Array, offset: number, expected: number): void {
  readCommand(bytes, offset, cmd);
  if (cmd.seq !== expected) throw new Error(`command slot carries sequence ${cmd.seq}, expected ${expected}`);
  if (cmd.partition >= 0) lastOffsets.set(cmd.partition, cmd.offset);
  engine.process(cmd, staging);
}

let lastSnapshot = data.snapshot?.sequence ?? data.replayFrom - 1;

function snapshot(sequence: number, final: boolean): void {
  const bytes = encodeEngineSnapshot(engine.snapshot(), {
    trades: data.recordOutputs.trades ? { ...staging.lastTrade } : null,
    reports: data.recordOutputs.reports ? { ...staging.lastReport } : null,
  });
  const request: SnapshotRequest = { type: 'snapshot', sequence, data: bytes, offsets: [...lastOffsets], final };
  data.snapshotPort.postMessage(request, [bytes.buffer as ArrayBuffer]);
  lastSnapshot = sequence;
}

function replay(): void {
  let count = 0;
  for (const record of readRecords(data.walDir, data.replayFrom, data.replayTo)) {
    processSlot(record.payload, 0, record.sequence);
    if (++count % 1024 === 0) {
      if (!flushOutputs()) return;
      // matched is what the sink trusts (its outputs are published): advance it as replay goes.
      stats[Stat.matched] = record.sequence;
    }
  }
  if (!flushOutputs()) return;
  stats[Stat.replayed] = count;
  stats[Stat.matched] = data.replayTo;
}

function live(): void {
  const stage = ring.stage(MATCHER);
  const durable = ring.stageSequence(JOURNALER);
  let next = stage.nextSequence();
  const bytes = ring.bytes;
  const sampleEvery = data.latencySampleEvery;
  for (;;) {
    const hi = stage.barrier.waitFor(next, 100);
    if (hi === HALTED) break;
    for (let m = receiveMessageOnPort(parentPort!); m; m = receiveMessageOnPort(parentPort!)) {
      if ((m.message as { type?: string }).type === 'final-snapshot') snapshot(next - 1, true);
    }
    samples.maybeFlush();
    if (hi < next) continue; // timed out: nothing new
    // The product's invariant, checked on every batch: nothing beyond the durable cursor.
    if (hi > durable.getNear(hi)) stats[Stat.invariantViolations]!++;
    for (let s = next; s <= hi; s++) {
      processSlot(bytes, ring.offsetOf(s), s);
      if (s % sampleEvery === 0) samples.latencyNs((nowMs() - stamps[s & stampMask]!) * 1e6);
    }
    if (!flushOutputs()) break;
    stage.cursor.set(hi);
    stats[Stat.matched] = hi;
    next = hi + 1;
    if (data.snapshotEvery > 0 && hi - lastSnapshot >= data.snapshotEvery) snapshot(hi, false);
  }
  samples.maybeFlush(true);
}

try {
  replay();
  parentPort!.postMessage({ type: 'replayed', replayed: stats[Stat.replayed], matched: data.replayTo });
  live();
  parentPort!.postMessage({ type: 'matcher-done', matched: stats[Stat.matched], counters: { ...engine.counters } });
} catch (error) {
  fatal(error, { matched: stats[Stat.matched] });
}
