// Journaler worker: two processors in one thread, sharing the WAL.
// - "journaler" (command ring): appends every published command slot to the WAL with group commit
//   (one write + one fdatasync per batch, two batches in flight) and only then advances its cursor:
//   that cursor is the durable cursor the matcher reads behind.
// - "snapshot-writer" (snapshot ring): takes the matcher's snapshots and writes each once the
//   outputs it covers are durable (the engine sequence outputs-durable, which the sink advances).
// The WAL was recovered by the main thread before the rings were built (recovery-plan.ts); it is
// opened here with that result, without a second scan.
import { parentPort, workerData } from 'node:worker_threads';
import { HALTED, RingBuffer, SequenceSet, TIMEOUT } from '@ringmatch/ring';
import { COMMAND_SLOT_BYTES, markBatchEnd } from '@ringmatch/protocol';
import { FRAME_HEADER_SIZE, SEGMENT_HEADER_SIZE, openWal, type RecoveryResult, type Wal } from '@ringmatch/wal';
import type { WalBackendName } from '../config.js';
import { Stat } from '../stats.js';
import { GcMeter } from '../gc-meter.js';
import { crashPoint, failureSequence, walSegmentBytes } from '../test-hooks.js';
import { SampleCollector } from '../samples.js';
import { SnapshotAssembler, type HandedSnapshot } from '../snapshot-handoff.js';
import { processorPolicy, runWorker } from '../worker-main.js';
import { EngineSequence, JOURNALER, SNAPSHOT_WRITER, type SharedState } from '../shared.js';

export interface JournalerData {
  shared: SharedState;
  walDir: string;
  backend: WalBackendName;
  maxBatch: number;
  /** What recovery found (the recovery plan's log). */
  recovery: RecoveryResult;
}

const data = workerData as JournalerData;
const stats = new Float64Array(data.shared.stats);
const samples = new SampleCollector();
/** Longest a snapshot waits for the outputs it covers to become durable before the engine fails loudly. */
const OUTPUTS_DURABLE_TIMEOUT_MS = 120_000;
const segmentSize = walSegmentBytes();
let walBytes = 0;
/** A batch is one frame, and a frame must fit in a segment (small segments in tests). */
const maxBatch =
  segmentSize === undefined ? data.maxBatch : Math.min(data.maxBatch, Math.floor((segmentSize - SEGMENT_HEADER_SIZE - FRAME_HEADER_SIZE) / COMMAND_SLOT_BYTES));

async function journal(wal: Wal): Promise<void> {
  const ring = RingBuffer.attach(data.shared.commandRing);
  const stage = ring.stage(JOURNALER);
  if (stage.nextSequence() !== wal.nextSequence) throw new Error(`ring starts at ${stage.nextSequence()} but the WAL expects ${wal.nextSequence}`);
  const firstSequence = stage.nextSequence();
  const policy = processorPolicy({ maxInFlight: 2, maxBatch, idleTimeoutMs: 250, onTimeout: () => samples.maybeFlush() });
  const failAt = failureSequence(JOURNALER);
  const result = await stage.runAsync(async (_bytes, first, last) => {
    if (failAt >= first && failAt <= last) throw new Error(`injected failure in the journaler's handler at sequence ${failAt}`);
    // The batch's end goes into the WAL with its last record: the depth stream is published there (depth-feed.ts).
    markBatchEnd(ring.bytes, ring.offsetOf(last));
    const [a, b] = ring.batchViews(first, last);
    await wal.appendRecords(first, COMMAND_SLOT_BYTES, a!, b);
    stats[Stat.durable] = last;
    stats[Stat.walBatches]!++;
    stats[Stat.walRecords] = last - firstSequence + 1;
    stats[Stat.walBytes] = walBytes;
    samples.maybeFlush();
  }, policy.options);
  policy.outcome(result);
}

async function writeSnapshots(wal: Wal): Promise<void> {
  const ring = RingBuffer.attach(data.shared.snapshotRing);
  const sequences = SequenceSet.attach(data.shared.sequences);
  const assembler = new SnapshotAssembler(ring);
  const crashDuringSnapshot = crashPoint('snapshot-write');
  /** The snapshot being made ready (outputs durable, then written): never superseded. */
  let current: Promise<void> | null = null;
  /** The newest one that arrived meanwhile: a newer one supersedes it. */
  let waiting: HandedSnapshot | null = null;
  const write = async (snapshot: HandedSnapshot): Promise<void> => {
    // A snapshot lets the WAL drop the records a lost output line would be rebuilt from: the
    // outputs it covers must be durable first.
    for (;;) {
      const reached = await sequences.waitForAsync(EngineSequence.outputsDurable, snapshot.sequence, OUTPUTS_DURABLE_TIMEOUT_MS);
      if (reached === HALTED) return;
      if (reached === TIMEOUT)
        throw new Error(
          `snapshot ${snapshot.sequence}: its outputs were not durable within ${OUTPUTS_DURABLE_TIMEOUT_MS} ms (outputs durable through ${sequences.sequence(EngineSequence.outputsDurable).get()})`,
        );
      if (reached >= snapshot.sequence) break;
    }
    const written = wal.writeSnapshot(snapshot.sequence, snapshot.data, snapshot.sourceState);
    setImmediate(crashDuringSnapshot); // tests: lands while the write is under way
    const result = await written;
    stats[Stat.snapshots]!++;
    parentPort!.postMessage({
      type: 'snapshot-written',
      sequence: result.sequence,
      file: result.file,
      bytes: result.bytes,
      deletedSegments: result.deletedSegments,
    });
  };
  let failure: unknown = null;
  const next = (): void => {
    if (current !== null || waiting === null) return;
    const snapshot = waiting;
    waiting = null;
    current = write(snapshot).then(
      () => {
        current = null;
        next();
      },
      (error: unknown) => {
        failure ??= error;
        current = null;
        ring.halt(); // ends this processor; the error is thrown below
      },
    );
  };
  const policy = processorPolicy();
  const result = await ring.stage(SNAPSHOT_WRITER).runAsync((_bytes, first, last) => {
    for (const snapshot of assembler.take(first, last)) {
      waiting = snapshot;
      next();
    }
  }, policy.options);
  policy.outcome(result);
  while (current !== null) await current;
  if (failure) throw failure;
}

runWorker(JOURNALER, async () => {
  const wal = await openWal(data.walDir, {
    backend: data.backend,
    segmentSize,
    recovery: data.recovery,
    onSync: (info) => {
      samples.wal(info.durationNs, info.records);
      walBytes += info.bytes;
    },
  });
  parentPort!.postMessage({ type: 'opened', backend: wal.recovery.backend });
  const gc = new GcMeter();
  gc.start();
  await Promise.all([journal(wal), writeSnapshots(wal)]);
  stats[Stat.gcMsJournaler] = gc.stop();
  samples.maybeFlush(true);
  await wal.close();
  parentPort!.postMessage({ type: 'closed', durable: wal.durableSequence });
});
