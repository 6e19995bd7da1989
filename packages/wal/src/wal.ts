// The WAL writer: recovery on open, group-commit appends (fs or native backend), snapshots,
// deletion of covered segments.
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open as openAsync, rename as renameAsync, unlink as unlinkAsync } from 'node:fs/promises';
import path from 'node:path';
import { WalCorruptError, WalError, WalFatalError } from './errors.js';
import {
  FRAME_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  SEGMENT_VERSION,
  SPARE_SEGMENT_NAME,
  encodeSegmentHeader,
  encodeSnapshot,
  fillFrameHeader,
  framePadding,
  segmentName,
  snapshotName,
} from './format.js';
import { fsWriteAndSync, loadNative, nativeLoadFailure, type BackendName, type NativeModule, type NativeSyncWriter } from './io.js';
import { segmentFiles, snapshotFiles } from './files.js';
import { cutLog, fsyncDir, zeroRange } from './log-cut.js';
import { scanLog, type LogWarning } from './log-scan.js';
import { readFrames, readRecords, readSnapshotFile, type LoadedSnapshot, type WalFrame, type WalRecord } from './reader.js';

export type OffsetExtractor = (payload: Uint8Array, sequence: number) => { partition: number; offset: number } | null;

export interface WalOptions {
  /** Size of each preallocated segment file in bytes (default 64 MiB). A batch must fit in one. */
  segmentSize?: number;
  /**
   * 'auto' (default): `RINGMATCH_WAL_BACKEND` (fs|native) if set, else native when
   * @ringmatch/native loads, else fs. 'native' throws WAL_BACKEND when the module is missing.
   */
  backend?: 'auto' | BackendName;
  /** Reads the Kafka (partition, offset) a record carries, null when it carries none. */
  offsetOf?: OffsetExtractor;
  /** Sequence of the first record of a new, empty log (default 1). */
  firstSequence?: number;
  /** Snapshots kept after a new one is written (default 2, at least 1). */
  keepSnapshots?: number;
  /** Called after every successful write + fdatasync. */
  onSync?: (info: { durationNs: number; records: number; bytes: number; durableSequence: number }) => void;
  /** Tests only: the N-th write+sync (1-based) fails with EIO at the fdatasync step. */
  faults?: { failSyncAt?: number };
}

export interface Truncation {
  /** Segment file where the log was cut. */
  segment: string;
  /** Byte offset in that segment where the cut starts. */
  offset: number;
  /** First sequence that is not in the log any more (the next one to append). */
  sequence: number;
  reason: string;
  /** Later segment files deleted because of the cut. */
  removedSegments: string[];
}

export interface RecoveryResult {
  backend: BackendName;
  /** Last durable sequence: the last valid record, or the snapshot's sequence, or firstSequence - 1. */
  lastSequence: number;
  /** Sequence the next append must start at (lastSequence + 1). */
  nextSequence: number;
  /** Sequence of the oldest record still in the log, null when it holds none. */
  firstLogSequence: number | null;
  /** Newest valid snapshot (its data, sequence and offsets), null when none. */
  snapshot: LoadedSnapshot | null;
  /** Newer snapshot files that were not valid (fallen back from). */
  skippedSnapshots: { file: string; reason: string }[];
  /** Last Kafka offset per partition: max of the snapshot's offsets and the extractor over every record in the log. */
  offsets: Map<number, number>;
  /** The torn tail recovery cut (a crash artifact: records never durable), null when there was none. */
  truncated: Truncation | null;
  /** Oddities that affect no record (non-zero bytes in a frame's padding), reported, not fatal. */
  warnings: LogWarning[];
  segments: number;
  records: number;
}

export interface SnapshotWriteResult {
  file: string;
  sequence: number;
  bytes: number;
  deletedSnapshots: string[];
  deletedSegments: string[];
}

interface Job {
  id: number;
  t0: bigint;
  fd: number;
  position: number;
  chunks: Uint8Array[];
  records: number;
  bytes: number;
  lastSequence: number;
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
  promise: Promise<number>;
}

const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
const ZERO_CHUNK = new Uint8Array(1024 * 1024);

/** Creates a preallocated, zero-filled segment (temp file, fsync, rename, fsync dir); returns an fd open for writing. */
function createSegment(dir: string, firstSequence: number, segmentSize: number): { fd: number; file: string } {
  const file = segmentName(firstSequence);
  const tmp = path.join(dir, `${file}.tmp`);
  const fd = openSync(tmp, 'w+');
  try {
    zeroRange(fd, 0, segmentSize);
    writeSync(fd, encodeSegmentHeader({ version: SEGMENT_VERSION, segmentSize, firstSequence, createdAtMs: Date.now() }), 0, SEGMENT_HEADER_SIZE, 0);
    fsyncSync(fd); // data and size: later fdatasyncs need not touch metadata
    renameSync(tmp, path.join(dir, file));
    fsyncDir(dir);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return { fd, file };
}

const SPARE_FLUSH_EVERY = 4 * 1024 * 1024;

/** Preallocates a zero-filled spare segment file off the JS thread (libuv), fsync'ed; its header is written at rollover. */
async function prepareSpare(dir: string, segmentSize: number): Promise<string> {
  const spare = path.join(dir, SPARE_SEGMENT_NAME);
  const handle = await openAsync(spare, 'w+');
  try {
    let pos = 0;
    while (pos < segmentSize) {
      const n = Math.min(ZERO_CHUNK.length, segmentSize - pos);
      const { bytesWritten } = await handle.write(ZERO_CHUNK, 0, n, pos);
      pos += bytesWritten;
      // Flush in small steps: one 64 MiB writeback burst would sit in the device queue ahead of the
      // log's own fdatasync (its cache flush waits for it).
      if (pos % SPARE_FLUSH_EVERY === 0) await handle.datasync();
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return spare;
}

/** Turns a prepared spare into the segment starting at `firstSequence`: header, fdatasync, rename, fsync dir. */
function adoptSpare(dir: string, spare: string, firstSequence: number, segmentSize: number): { fd: number; file: string } {
  const file = segmentName(firstSequence);
  const fd = openSync(spare, 'r+');
  try {
    if (fstatSync(fd).size !== segmentSize) throw new Error('spare segment has the wrong size');
    writeSync(fd, encodeSegmentHeader({ version: SEGMENT_VERSION, segmentSize, firstSequence, createdAtMs: Date.now() }), 0, SEGMENT_HEADER_SIZE, 0);
    fdatasyncSync(fd);
    renameSync(spare, path.join(dir, file));
    fsyncDir(dir);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return { fd, file };
}

function mergeMax(into: Map<number, number>, partition: number, offset: number): void {
  const prev = into.get(partition);
  if (prev === undefined || offset > prev) into.set(partition, offset);
}

/**
 * Opens (creating if needed) the WAL in `dir`: recovers it (see `RecoveryResult`, available as
 * `wal.recovery`), then returns the writer.
 */
export async function openWal(dir: string, options: WalOptions = {}): Promise<Wal> {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isSafeInteger(segmentSize) || segmentSize < SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE + 1 || segmentSize > 2 ** 32) {
    throw new WalError('WAL_INVALID', `segmentSize must be an integer in [${SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE + 1}, 2^32], got ${segmentSize}`);
  }
  const firstSequence = options.firstSequence ?? 1;
  if (!Number.isSafeInteger(firstSequence) || firstSequence < 0) throw new WalError('WAL_INVALID', `firstSequence must be a safe integer >= 0`);
  const keepSnapshots = options.keepSnapshots ?? 2;
  if (!Number.isInteger(keepSnapshots) || keepSnapshots < 1) throw new WalError('WAL_INVALID', 'keepSnapshots must be an integer >= 1');

  let requested = options.backend ?? 'auto';
  if (requested === 'auto') {
    const env = process.env.RINGMATCH_WAL_BACKEND;
    if (env === 'fs' || env === 'native') requested = env;
    else if (env !== undefined && env !== '' && env !== 'auto') throw new WalError('WAL_INVALID', `RINGMATCH_WAL_BACKEND must be fs or native, got ${JSON.stringify(env)}`);
  }
  let native: NativeModule | null = null;
  if (requested !== 'fs') {
    native = await loadNative();
    if (native === null && requested === 'native') {
      throw new WalError('WAL_BACKEND', `native WAL backend requested but @ringmatch/native did not load: ${String(nativeLoadFailure())}`, { cause: nativeLoadFailure() });
    }
  }

  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name.endsWith('.tmp')) unlinkSync(path.join(dir, name));

  // 1. Snapshot: newest valid one, falling back to older ones.
  const skippedSnapshots: { file: string; reason: string }[] = [];
  let snapshot: LoadedSnapshot | null = null;
  for (const f of snapshotFiles(dir)) {
    const s = readSnapshotFile(f);
    if (typeof s === 'string') skippedSnapshots.push({ file: f.file, reason: s });
    else {
      snapshot = s;
      break;
    }
  }

  // 2. Segments: scan and classify where the log stops (read-only so far).
  const offsets = new Map<number, number>();
  if (snapshot) for (const [p, o] of snapshot.offsets) offsets.set(p, o);
  const offsetOf = options.offsetOf;
  const segs = segmentFiles(dir);
  let firstLogSequence: number | null = null;
  const log = scanLog(segs, (frame) => {
    firstLogSequence ??= frame.firstSequence;
    if (offsetOf) {
      for (let r = 0; r < frame.count; r++) {
        const o = offsetOf(frame.data.subarray(r * frame.recordSize, (r + 1) * frame.recordSize), frame.firstSequence + r);
        if (o !== null) mergeMax(offsets, o.partition, o.offset);
      }
    }
  });
  // Corruption is never cut here: that would drop acknowledged records. Nothing has changed on disk.
  if (log.stop?.kind === 'corrupt') throw new WalCorruptError(log.stop);

  // 3. Snapshot and log must agree: the snapshot covers every record before the log's first one.
  const firstInLog = log.firstSequence;
  if (firstInLog !== null && firstInLog > (snapshot ? snapshot.sequence + 1 : firstSequence)) {
    const found = snapshotFiles(dir).map((f) => {
      const skipped = skippedSnapshots.find((s) => s.file === f.file);
      return `${f.file} (${skipped ? skipped.reason : 'ok'})`;
    });
    const from = snapshot ? snapshot.sequence + 1 : firstSequence;
    throw new WalError(
      'WAL_RECOVERY',
      `records ${from}..${firstInLog - 1} are missing: the log starts at sequence ${firstInLog} (${segs[0]!.file}) and no valid snapshot covers them (snapshots: ${found.length > 0 ? found.join(', ') : 'none'})`,
    );
  }

  // 4. Cut a torn tail (a crash artifact), exactly as far as the scan stopped.
  let truncated: Truncation | null = null;
  let kept = log.scanned.length;
  let records = log.records;
  let active: { file: string; end: number; segmentSize: number } | null = null;
  const last = log.scanned[log.scanned.length - 1];
  if (last) active = { file: last.file.file, end: last.end, segmentSize: last.header.segmentSize };
  if (log.stop) {
    const { cut } = log.stop;
    const cutSeg = log.scanned[cut.index];
    const removedSegments = cutLog(dir, segs, cut, cutSeg?.header.segmentSize ?? segmentSize);
    truncated = {
      segment: segs[cut.index]!.file,
      offset: cut.offset,
      sequence: log.stop.sequence,
      reason: log.stop.reason,
      removedSegments,
    };
    kept = cut.offset === 0 ? cut.index : cut.index + 1;
    active = cutSeg && cut.offset > 0 ? { file: cutSeg.file.file, end: cut.offset, segmentSize: cutSeg.header.segmentSize } : null;
  }
  // A file longer than its segment size (never written by the WAL): back to its size.
  for (const s of log.scanned.slice(0, kept)) {
    if (s.fileSize > s.header.segmentSize) {
      const fd = openSync(s.file.path, 'r+');
      try {
        ftruncateSync(fd, s.header.segmentSize);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  // 5. Stitch snapshot and log together.
  let lastSequence: number;
  let needNewSegment = active === null;
  const nextInLog = kept > 0 ? log.nextSequence : null;
  if (nextInLog === null) {
    lastSequence = snapshot ? snapshot.sequence : firstSequence - 1;
  } else {
    lastSequence = nextInLog - 1;
    if (snapshot && snapshot.sequence > lastSequence) {
      // The log ends before the snapshot (its tail was cut): every record left is covered by the
      // snapshot, so drop those segments and continue after the snapshot in a new segment.
      for (const s of segmentFiles(dir)) unlinkSync(s.path);
      fsyncDir(dir);
      lastSequence = snapshot.sequence;
      needNewSegment = true;
      kept = 0;
      records = 0;
      firstLogSequence = null;
    }
  }
  const recovery: RecoveryResult = {
    backend: native ? 'native' : 'fs',
    lastSequence,
    nextSequence: lastSequence + 1,
    firstLogSequence,
    snapshot,
    skippedSnapshots,
    offsets,
    truncated,
    warnings: log.warnings,
    segments: kept,
    records,
  };

  let fd: number;
  let file: string;
  let position: number;
  let activeSegmentSize: number;
  if (needNewSegment || active === null) {
    const created = createSegment(dir, lastSequence + 1, segmentSize);
    fd = created.fd;
    file = created.file;
    position = SEGMENT_HEADER_SIZE;
    activeSegmentSize = segmentSize;
  } else {
    fd = openSync(path.join(dir, active.file), 'r+');
    file = active.file;
    position = active.end;
    activeSegmentSize = active.segmentSize;
  }
  return new Wal(dir, { ...options, segmentSize, keepSnapshots }, native, recovery, fd, file, position, activeSegmentSize);
}

/**
 * The WAL writer. Append contract (group commit, double buffering):
 * - `appendRecords(first, recordSize, a, b?)` frames one batch (header + CRC32C over the payload,
 *   the payload itself is not copied) and writes it with one writev + one fdatasync.
 * - At most two batches are outstanding: one writing/syncing and one framed, waiting for it. A third
 *   call before the oldest settles throws WAL_BUSY: await the oldest promise first.
 * - Promises resolve in append order with the batch's last sequence once it is durable; the caller
 *   must not modify the views until then (the ring's gate on the durable cursor ensures it).
 * - With the fs backend the write and sync happen inside the call (the promise is already settled
 *   when it returns). With the native backend the call frames the batch and hands it to the native
 *   writer thread, which runs batches back to back: the second outstanding batch starts writing as
 *   soon as the first one's fdatasync returns, while this thread is free (double buffering).
 * - Any write or fdatasync error is fatal: the batch and any waiting batch reject with WalFatalError,
 *   `failed` is set, and every later append throws it. Nothing is retried.
 */
export class Wal {
  readonly dir: string;
  readonly recovery: RecoveryResult;
  readonly backend: BackendName;
  /** Sequence the next append must start at. Advances when a batch is framed. */
  nextSequence: number;
  /** Highest sequence known durable (written and fdatasync'ed). */
  durableSequence: number;
  /** The fatal error that stopped the writer, null while healthy. */
  failed: WalFatalError | null = null;
  /** Batches written and synced so far. */
  syncs = 0;

  private readonly options: WalOptions & { segmentSize: number; keepSnapshots: number };
  private readonly native: NativeModule | null;
  private fd: number;
  private file: string;
  private position: number;
  private segmentSize: number;
  private attempts = 0;
  /** Native batches submitted and not yet reported, oldest first (at most 2). */
  private jobs: Job[] = [];
  private writer: NativeSyncWriter | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private nextJobId = 1;
  private retired: number[] = [];
  private closed = false;
  /** Preallocated next segment: null, in preparation, or ready (its path). */
  private spare: { promise: Promise<void>; ready: string | null } | null = null;

  /** Use `openWal`. */
  constructor(
    dir: string,
    options: WalOptions & { segmentSize: number; keepSnapshots: number },
    native: NativeModule | null,
    recovery: RecoveryResult,
    fd: number,
    file: string,
    position: number,
    segmentSize: number,
  ) {
    this.dir = dir;
    this.options = options;
    this.native = native;
    this.backend = native ? 'native' : 'fs';
    this.recovery = recovery;
    this.nextSequence = recovery.nextSequence;
    this.durableSequence = recovery.lastSequence;
    this.fd = fd;
    this.file = file;
    this.position = position;
    this.segmentSize = segmentSize;
  }

  /** Batches not yet settled (0, 1 or 2). */
  get pending(): number {
    return this.jobs.length;
  }

  /** The segment being appended to. */
  get activeSegment(): string {
    return this.file;
  }

  /** Appends one record (any length) as its own batch. */
  append(payload: Uint8Array): Promise<number> {
    return this.appendRecords(this.nextSequence, payload.length, payload);
  }

  /**
   * Appends `count = (a.length + b.length) / recordSize` records with sequences `firstSequence ..
   * firstSequence + count - 1` as one frame (one writev + one fdatasync). `b` is the second part of a
   * run that wraps the ring's end. Resolves with the last sequence once durable.
   */
  appendRecords(firstSequence: number, recordSize: number, a: Uint8Array, b?: Uint8Array | null): Promise<number> {
    if (this.failed) throw this.failed;
    if (this.closed) throw new WalError('WAL_CLOSED', 'the WAL is closed');
    if (this.pending >= 2) throw new WalError('WAL_BUSY', 'two batches are already outstanding: await the oldest before appending');
    if (firstSequence !== this.nextSequence) {
      throw new WalError('WAL_SEQUENCE', `batch starts at sequence ${firstSequence}, the log expects ${this.nextSequence}`);
    }
    if (!Number.isInteger(recordSize) || recordSize <= 0) throw new WalError('WAL_INVALID', `recordSize must be a positive integer, got ${recordSize}`);
    const second = b && b.length > 0 ? b : null;
    const bytes = a.length + (second ? second.length : 0);
    if (bytes === 0 || bytes % recordSize !== 0) {
      throw new WalError('WAL_INVALID', `batch of ${bytes} bytes is not a positive whole number of ${recordSize}-byte records`);
    }
    const frameBytes = FRAME_HEADER_SIZE + bytes;
    if (frameBytes > this.options.segmentSize - SEGMENT_HEADER_SIZE) {
      throw new WalError('WAL_INVALID', `batch of ${bytes} bytes does not fit in a ${this.options.segmentSize}-byte segment`);
    }
    const count = bytes / recordSize;
    if (this.position + frameBytes > this.segmentSize) {
      try {
        this.rollover();
      } catch (error) {
        throw this.fail(error); // e.g. ENOSPC creating the next segment: stop, report
      }
    }
    let padding = framePadding(this.position, frameBytes);
    if (this.position + frameBytes + padding > this.segmentSize) padding = 0;

    const header = new Uint8Array(FRAME_HEADER_SIZE);
    fillFrameHeader(header, firstSequence, recordSize, count, a, second, padding);
    const chunks = second ? [header, a, second] : [header, a];
    // The padding bytes are zero on disk already (preallocated segment): they need not be written.
    const position = this.position;
    this.position += frameBytes + padding;
    this.nextSequence += count;
    const lastSequence = firstSequence + count - 1;
    this.maybePrepareSpare();

    if (!this.native) {
      const failSync = ++this.attempts === this.options.faults?.failSyncAt;
      const t0 = process.hrtime.bigint();
      try {
        fsWriteAndSync(this.fd, position, chunks, failSync);
      } catch (error) {
        return Promise.reject(this.fail(error));
      }
      this.synced(t0, count, frameBytes, lastSequence);
      return Promise.resolve(lastSequence);
    }

    let resolve!: (seq: number) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { id: this.nextJobId++, fd: this.fd, position, chunks, records: count, bytes: frameBytes, lastSequence, resolve, reject, promise, t0: 0n };
    const failSync = ++this.attempts === this.options.faults?.failSyncAt;
    // The writer thread runs batches back to back: this one starts as soon as the previous one's
    // fdatasync returns, with no round trip through this thread.
    this.writer ??= new this.native.SyncWriter((id, written, error) => this.onNativeDone(id, written, error));
    job.t0 = process.hrtime.bigint();
    this.jobs.push(job);
    this.keepAlive ??= setInterval(() => undefined, 1 << 30); // the callback alone does not hold the event loop
    try {
      this.writer.submit(job.id, job.fd, position, chunks, failSync);
    } catch (error) {
      this.jobs.pop();
      throw this.fail(error);
    }
    return promise;
  }

  private onNativeDone(id: number, _written: number, error: string): void {
    const job = this.jobs.shift();
    if (!job || job.id !== id) {
      // Cannot happen (FIFO thread); never carry on with a confused writer.
      this.fail(new Error(`native writer reported batch ${id}, expected ${job?.id}`));
      job?.reject(this.failed);
      return;
    }
    if (this.jobs.length === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
    if (error !== '') {
      const cause = new Error(error) as NodeJS.ErrnoException;
      cause.code = /^([A-Z]+):/.exec(error)?.[1] ?? 'EIO';
      job.reject(this.fail(cause));
      return;
    }
    const t0 = job.t0;
    // The next batch's write starts when this one completes: time it from here.
    const now = process.hrtime.bigint();
    if (this.jobs.length > 0 && this.jobs[0]!.t0 < now) this.jobs[0]!.t0 = now;
    this.synced(t0, job.records, job.bytes, job.lastSequence);
    this.releaseFilesIfFailed();
    if (!this.failed) this.closeRetired();
    job.resolve(job.lastSequence);
  }

  private synced(t0: bigint, records: number, bytes: number, lastSequence: number): void {
    this.durableSequence = lastSequence;
    this.syncs++;
    if (this.options.onSync) {
      this.options.onSync({ durationNs: Number(process.hrtime.bigint() - t0), records, bytes, durableSequence: lastSequence });
    }
  }

  private fail(error: unknown): WalFatalError {
    if (!this.failed) {
      const message = error instanceof Error ? error.message : String(error);
      this.failed = new WalFatalError(`WAL writer stopped after an I/O error (durable up to ${this.durableSequence}): ${message}`, error);
    }
    this.releaseFilesIfFailed();
    return this.failed;
  }

  /** After a fatal error: close the files once no native write is using them (never retry). */
  private releaseFilesIfFailed(): void {
    if (!this.failed || this.jobs.length > 0 || this.fd < 0) return;
    for (const fd of [this.fd, ...this.retired]) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fd = -1;
    this.retired = [];
  }

  /** Starts preallocating the next segment in the background once the active one is half full. */
  private maybePrepareSpare(): void {
    if (this.spare !== null || this.closed || this.failed || this.position < this.segmentSize / 2) return;
    const spare: { promise: Promise<void>; ready: string | null } = { promise: Promise.resolve(), ready: null };
    spare.promise = prepareSpare(this.dir, this.options.segmentSize).then(
      (file) => {
        spare.ready = file;
      },
      () => {
        // Not fatal: rollover then creates the segment synchronously.
        if (this.spare === spare) this.spare = null;
      },
    );
    this.spare = spare;
  }

  private rollover(): void {
    let created: { fd: number; file: string } | null = null;
    if (this.spare?.ready) {
      const ready = this.spare.ready;
      this.spare = null;
      try {
        created = adoptSpare(this.dir, ready, this.nextSequence, this.options.segmentSize);
      } catch {
        created = null;
      }
    }
    created ??= createSegment(this.dir, this.nextSequence, this.options.segmentSize);
    this.retired.push(this.fd);
    this.fd = created.fd;
    this.file = created.file;
    this.position = SEGMENT_HEADER_SIZE;
    this.segmentSize = this.options.segmentSize;
    this.closeRetired();
  }

  private closeRetired(): void {
    if (this.retired.length === 0) return;
    const busy = new Set<number>();
    for (const job of this.jobs) busy.add(job.fd);
    this.retired = this.retired.filter((fd) => {
      if (busy.has(fd)) return true;
      closeSync(fd);
      return false;
    });
  }

  /** Waits for the outstanding batches (ignoring their errors: they reach the append promises). */
  async flush(): Promise<void> {
    const waits = this.jobs.map((j) => j.promise);
    await Promise.allSettled(waits);
  }

  /** Waits for outstanding batches, then closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    if (this.spare) await this.spare.promise; // a leftover spare is removed by the next open
    this.writer?.close();
    this.writer = null;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    if (!this.failed && this.fd >= 0) {
      closeSync(this.fd);
      for (const fd of this.retired) closeSync(fd);
      this.retired = [];
    }
  }

  /** Durable frames from `fromSequence` (read from disk). */
  frames(fromSequence = 0): Generator<WalFrame> {
    return readFrames(this.dir, fromSequence, this.durableSequence);
  }

  /** Durable records from `fromSequence` (read from disk), for replay. */
  records(fromSequence = 0): Generator<WalRecord> {
    return readRecords(this.dir, fromSequence, this.durableSequence);
  }

  /**
   * Writes a snapshot (opaque `data`: e.g. the books' serialized state) covering every record up to
   * `sequence` (<= durableSequence), with the Kafka offsets it reflects. Atomic: temp file, fsync,
   * rename, fsync directory. Then keeps the newest `keepSnapshots` snapshots and deletes the
   * segments whose records are all covered by the oldest snapshot kept (so a corrupt newest
   * snapshot can still fall back to the previous one plus the log).
   */
  async writeSnapshot(sequence: number, data: Uint8Array, offsets: Map<number, number> = new Map()): Promise<SnapshotWriteResult> {
    if (!Number.isSafeInteger(sequence) || sequence < 0) throw new WalError('WAL_INVALID', `snapshot sequence must be a safe integer >= 0, got ${sequence}`);
    if (sequence > this.durableSequence) {
      throw new WalError('WAL_INVALID', `snapshot at ${sequence} is past the durable sequence ${this.durableSequence}`);
    }
    for (const [p, o] of offsets) {
      if (!Number.isInteger(p) || p < 0 || p >= 2 ** 32 || !Number.isSafeInteger(o) || o < 0) {
        throw new WalError('WAL_INVALID', `bad snapshot offset entry partition=${p} offset=${o}`);
      }
    }
    const file = snapshotName(sequence);
    const finalPath = path.join(this.dir, file);
    const tmp = `${finalPath}.tmp`;
    const chunks = encodeSnapshot(sequence, data, offsets);
    const handle = await openAsync(tmp, 'w');
    let bytes = 0;
    try {
      for (const chunk of chunks) {
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, bytes + done);
          done += bytesWritten;
        }
        bytes += chunk.length;
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlinkAsync(tmp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await renameAsync(tmp, finalPath);
    fsyncDir(this.dir);

    // Keep the newest `keepSnapshots` snapshots.
    const all = snapshotFiles(this.dir);
    const deletedSnapshots: string[] = [];
    for (const f of all.slice(this.options.keepSnapshots)) {
      unlinkSync(f.path);
      deletedSnapshots.push(f.file);
    }
    if (deletedSnapshots.length > 0) fsyncDir(this.dir);
    // Segments are deleted only up to the oldest kept snapshot that verifies.
    const kept = snapshotFiles(this.dir);
    let cover = -1;
    for (let i = kept.length - 1; i >= 0; i--) {
      const s = readSnapshotFile(kept[i]!);
      if (typeof s !== 'string') {
        cover = s.sequence;
        break;
      }
    }
    const deletedSegments = cover >= 0 ? this.deleteSegmentsCoveredBy(cover) : [];
    return { file, sequence, bytes, deletedSnapshots, deletedSegments };
  }

  /**
   * Deletes the segments whose records all have sequences <= `sequence` (never the active one).
   * Only call it with a sequence a valid snapshot covers; `writeSnapshot` does it for you.
   */
  deleteSegmentsCoveredBy(sequence: number): string[] {
    const segs = segmentFiles(this.dir);
    const deleted: string[] = [];
    for (let i = 0; i + 1 < segs.length; i++) {
      const seg = segs[i]!;
      if (seg.file === this.file) break;
      if (segs[i + 1]!.firstSequence - 1 > sequence) break;
      unlinkSync(seg.path);
      deleted.push(seg.file);
    }
    if (deleted.length > 0) fsyncDir(this.dir);
    return deleted;
  }

  /** Bytes used in the active segment (header + frames). */
  get activeSegmentUsed(): number {
    return this.position;
  }

  /** Current size of the active segment file (its preallocated size). */
  activeSegmentFileSize(): number {
    return fstatSync(this.fd).size;
  }
}
