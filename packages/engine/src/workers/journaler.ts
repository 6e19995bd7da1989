// Journaler worker: opens (recovers) the WAL, then appends every published command slot to it with
// group commit - one write + one fdatasync per batch - and only then advances its cursor, which is
// the durable cursor the matcher reads behind. At most two batches are in flight (the native
// backend syncs one on its thread while the next is framed).
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { HALTED, RingBuffer } from '@ringmatch/ring';
import { COMMAND_SLOT_BYTES } from '@ringmatch/protocol';
import { FRAME_HEADER_SIZE, SEGMENT_HEADER_SIZE, openWal, type Wal } from '@ringmatch/wal';
import type { WalBackendName } from '../config.js';
import { Stat } from '../stats.js';
import { crashPoint, walSegmentBytes } from '../test-hooks.js';
import { JOURNALER, SampleCollector, fatal, slotSourcePosition, type SharedState } from '../shared.js';

export interface JournalerData {
  walDir: string;
  backend: WalBackendName;
  maxBatch: number;
  segmentSize?: number;
  /** Snapshot requests from the matcher: { type: 'snapshot', sequence, data, offsets }. */
  snapshotPort: MessagePort;
  /** Output files a snapshot must find durable (none for Kafka output: acknowledged means durable there). */
  outputFiles: string[];
  /** Sync them in small steps as they grow (when periodic snapshots will need them durable). */
  syncOutputsInSteps: boolean;
}

export interface SnapshotRequest {
  type: 'snapshot';
  sequence: number;
  data: Uint8Array;
  offsets: [number, number][];
  final: boolean;
}

const data = workerData as JournalerData;
/** Output bytes written that trigger a background fdatasync of the output files. */
const OUTPUT_SYNC_STEP = 4 * 1024 * 1024;
const samples = new SampleCollector();
let wal: Wal | null = null;
let walBytes = 0;

const segmentSize = data.segmentSize ?? walSegmentBytes();
/** A batch is one frame, and a frame must fit in a segment (small segments in tests). */
const maxBatch = segmentSize === undefined ? data.maxBatch : Math.min(data.maxBatch, Math.floor((segmentSize - SEGMENT_HEADER_SIZE - FRAME_HEADER_SIZE) / COMMAND_SLOT_BYTES));

async function main(): Promise<void> {
  wal = await openWal(data.walDir, {
    backend: data.backend,
    offsetOf: slotSourcePosition,
    segmentSize,
    onSync: (info) => {
      samples.wal(info.durationNs, info.records);
      walBytes += info.bytes;
    },
  });
  const r = wal.recovery;
  const snapshot = r.snapshot ? { sequence: r.snapshot.sequence, data: r.snapshot.data.slice(), offsets: [...r.snapshot.offsets] } : null;
  parentPort!.postMessage({
    type: 'recovered',
    backend: r.backend,
    lastSequence: r.lastSequence,
    nextSequence: r.nextSequence,
    firstLogSequence: r.firstLogSequence,
    offsets: [...r.offsets],
    truncated: r.truncated,
    skippedSnapshots: r.skippedSnapshots,
    warnings: r.warnings,
    segments: r.segments,
    records: r.records,
    snapshot,
  });
  // The ring is built after recovery (it starts at nextSequence): wait for it.
  const start = await new Promise<{ shared: SharedState }>((resolve) => parentPort!.once('message', resolve));
  await journal(wal, start.shared);
}

async function journal(log: Wal, shared: SharedState): Promise<void> {
  const ring = RingBuffer.attach(shared.commandRing);
  const stage = ring.stage(JOURNALER);
  const stats = new Float64Array(shared.stats);
  let next = stage.nextSequence();
  if (next !== log.nextSequence) throw new Error(`ring starts at ${next} but the WAL expects ${log.nextSequence}`);
  const inflight: { promise: Promise<number>; last: number }[] = [];
  let snapshotWrite: Promise<void> | null = null;
  /** The request being made ready (its outputs synced, then written); it is never superseded. */
  let queuedSnapshot: SnapshotRequest | null = null;
  /** The newest request that arrived meanwhile (a newer one supersedes it). */
  let nextSnapshot: SnapshotRequest | null = null;

  // Outputs a snapshot covers must be durable first: a snapshot lets the WAL drop the records a
  // lost output line would be rebuilt from. The sink only writes the files (fdatasync on its hot
  // path would stall the pipeline); here they are synced, off the critical path, only when a
  // snapshot waits for them.
  let outputsDurable = -1;
  let outputSync: Promise<void> | null = null;
  let outputBytesSynced = 0;
  const crashBeforeOutputSync = crashPoint('output-sync');
  const outputsDurableThrough = (): number => (data.outputFiles.length === 0 ? stats[Stat.flushed]! : outputsDurable);
  const syncOutputs = (): void => {
    const target = stats[Stat.flushed]!;
    outputBytesSynced = stats[Stat.outputBytes]!;
    crashBeforeOutputSync(); // tests: lines written, not yet durable
    outputSync = Promise.all(data.outputFiles.map(datasyncFile)).then(() => {
      outputsDurable = Math.max(outputsDurable, target);
      outputSync = null;
    });
    outputSync.catch((error: unknown) => fatal(error, { durable: log.durableSequence }));
  };
  const crashDuringSnapshot = crashPoint('snapshot-write');
  const startSnapshot = (request: SnapshotRequest): void => {
    const offsets = new Map(request.offsets);
    const write = log.writeSnapshot(request.sequence, request.data, offsets);
    setImmediate(crashDuringSnapshot); // tests: lands while the write is under way
    snapshotWrite = write.then((result) => {
      stats[Stat.snapshots]!++;
      parentPort!.postMessage({ type: 'snapshot-written', sequence: result.sequence, file: result.file, bytes: result.bytes, deletedSegments: result.deletedSegments, final: request.final });
      snapshotWrite = null;
    });
    snapshotWrite.catch((error: unknown) => fatal(error, { durable: log.durableSequence }));
  };
  const pollSnapshots = (): void => {
    for (let m = receiveMessageOnPort(data.snapshotPort); m; m = receiveMessageOnPort(data.snapshotPort)) {
      // Superseding the request whose outputs are being synced could postpone every snapshot for
      // as long as the load lasts (each sync would chase a newer one): only the waiting one goes.
      if (queuedSnapshot === null) queuedSnapshot = m.message as SnapshotRequest;
      else nextSnapshot = m.message as SnapshotRequest;
    }
    // A snapshot may cover only sequences that are durable and whose outputs are durable too (a
    // restart replays from the snapshot on, so earlier outputs must already be safe in the files).
    if (queuedSnapshot && !snapshotWrite && queuedSnapshot.sequence <= log.durableSequence) {
      if (queuedSnapshot.sequence <= outputsDurableThrough()) {
        const request = queuedSnapshot;
        queuedSnapshot = nextSnapshot;
        nextSnapshot = null;
        startSnapshot(request);
      } else if (outputSync === null && queuedSnapshot.sequence <= stats[Stat.flushed]!) {
        syncOutputs();
      }
    }
    // Between snapshots, in small steps: one large writeback burst would queue ahead of the WAL's
    // own fdatasyncs (the same reason the spare segment is flushed in 4 MiB steps). Without
    // periodic snapshots nothing needs them durable before the final one.
    if (data.syncOutputsInSteps && outputSync === null && stats[Stat.outputBytes]! - outputBytesSynced >= OUTPUT_SYNC_STEP) syncOutputs();
  };

  for (;;) {
    pollSnapshots();
    samples.maybeFlush();
    if (inflight.length < 2) {
      const available = stage.barrier.available(next);
      if (available >= next) {
        const hi = Math.min(available, next + maxBatch - 1);
        const [a, b] = ring.batchViews(next, hi);
        inflight.push({ promise: log.appendRecords(next, COMMAND_SLOT_BYTES, a!, b), last: hi });
        next = hi + 1;
        continue;
      }
    }
    if (inflight.length > 0) {
      const done = inflight.shift()!;
      await done.promise;
      stage.cursor.set(done.last); // durable: the matcher may now read up to here
      stats[Stat.durable] = done.last;
      stats[Stat.walBatches]!++;
      stats[Stat.walRecords] = done.last - stats[Stat.firstSequence]! + 1;
      stats[Stat.walBytes] = walBytes;
      continue;
    }
    // Idle: park without blocking the event loop (native completions and messages need it).
    const got = await stage.barrier.waitForAsync(next, 100);
    if (got === HALTED) break;
  }
  while (inflight.length > 0) {
    const done = inflight.shift()!;
    await done.promise;
    stage.cursor.set(done.last);
    stats[Stat.durable] = done.last;
  }
  // Last snapshot requests (the final one is sent before the halt); bounded.
  pollSnapshots();
  const deadline = Date.now() + 10_000;
  while ((snapshotWrite || queuedSnapshot || nextSnapshot) && Date.now() < deadline) {
    if (snapshotWrite) await snapshotWrite;
    else if (outputSync) await outputSync;
    else await new Promise((resolve) => setTimeout(resolve, 5));
    pollSnapshots();
  }
  samples.maybeFlush(true);
  await log.close();
  parentPort!.postMessage({ type: 'closed', durable: log.durableSequence });
}

/** fdatasync of a file through a descriptor of our own (Linux writes back the file, whoever wrote it). */
async function datasyncFile(file: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing written yet
    throw error;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => fatal(error, { durable: wal?.durableSequence ?? null }));
