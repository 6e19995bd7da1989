// The WAL writer: opening for appending (after recovery), group-commit appends through the write
// backend chosen at open, segment rollover, snapshots.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { WalError, WalFatalError } from './errors.js';
import { segmentFiles } from './files.js';
import { FRAME_HEADER_SIZE, SEGMENT_HEADER_SIZE, fillFrameHeader, fillFrameHeaderParts, framePadding } from './format.js';
import type { BackendName, NativeModule } from './native-module.js';
import { firstSequenceOption, keepSnapshotsOption, segmentSizeOption, type WalOptions } from './options.js';
import { SpareSegment, createSegment } from './preallocation.js';
import { readFrames, readRecords, type WalFrame, type WalRecord } from './reader.js';
import { recoverLog, type RecoveryResult } from './recover.js';
import { deleteSegmentsCoveredBy, oldestValidSnapshotSequence, pruneSnapshots, writeSnapshotFile } from './snapshot-write.js';
import { createWriteBackend, selectNative, type WriteBackend, type WriteHost } from './write-backend.js';

/** The next segment starts being preallocated once this fraction (1/N) of the active one is written. */
const SPARE_AFTER_FRACTION = 8;

export interface SnapshotWriteResult {
  file: string;
  sequence: number;
  bytes: number;
  deletedSnapshots: string[];
  deletedSegments: string[];
}

/** Where the next frame goes: an fd open on the active segment, the byte offset in it, its size. */
interface ActiveSegment {
  fd: number;
  file: string;
  position: number;
  segmentSize: number;
}

/**
 * Opens (creating if needed) the WAL in `dir` for appending. With `options.recovery` (the result of
 * `recoverLog(dir)` just before, under the data dir's lock) it trusts that result and does not scan
 * the log again; without it, it recovers the directory first (see `recoverLog`). The recovery is
 * available as `wal.recovery`, with the backend chosen.
 */
export async function openWal(dir: string, options: WalOptions = {}): Promise<Wal> {
  const segmentSize = segmentSizeOption(options);
  firstSequenceOption(options); // checked even when a given recovery makes it unused: a bad value is a caller's bug
  const keepSnapshots = keepSnapshotsOption(options);
  const native = await selectNative(options.backend ?? 'auto');
  const recovery = options.recovery ?? recoverLog(dir, options);
  const active = openActiveSegment(dir, recovery, segmentSize);
  return new Wal(dir, { ...options, segmentSize, keepSnapshots }, native, { ...recovery, backend: native ? 'native' : 'fs' }, active);
}

/** Opens the segment appending resumes in, or creates the next one. */
function openActiveSegment(dir: string, recovery: RecoveryResult, segmentSize: number): ActiveSegment {
  const at = recovery.appendAt;
  if (at === null) {
    // A recovery result opens once: its segment must not exist yet (else it is stale).
    if (segmentFiles(dir).some((s) => s.firstSequence >= recovery.nextSequence))
      throw staleRecovery(dir, `a segment at or after sequence ${recovery.nextSequence} exists`);
    const created = createSegment(dir, recovery.nextSequence, segmentSize);
    return { fd: created.fd, file: created.file, position: SEGMENT_HEADER_SIZE, segmentSize };
  }
  const fd = openSync(path.join(dir, at.segment), 'r+');
  try {
    // Cheap staleness check, not a scan: where the next frame goes must still be the zeros after the log's end.
    const probe = Buffer.alloc(Math.min(FRAME_HEADER_SIZE, at.segmentSize - at.offset));
    readSync(fd, probe, 0, probe.length, at.offset);
    if (probe.some((b) => b !== 0)) throw staleRecovery(dir, `${at.segment} holds data at byte ${at.offset}, where the recovered log ends`);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return { fd, file: at.segment, position: at.offset, segmentSize: at.segmentSize };
}

function staleRecovery(dir: string, why: string): WalError {
  return new WalError('WAL_INVALID', `options.recovery does not describe ${dir} any more (${why}): recover again`);
}

/**
 * The WAL writer. Append contract (group commit, double buffering):
 * - `appendRecords(first, recordSize, a, b?)` frames one batch (header + CRC32C over the payload,
 *   the payload itself is not copied) and writes it with one writev + one fdatasync;
 *   `appendRecordParts(first, recordSize, parts)` the same for a payload in any number of parts.
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
  /** What recovery found (see `RecoveryResult`), and the backend this writer uses. */
  readonly recovery: RecoveryResult & { backend: BackendName };
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
  private readonly writer: WriteBackend;
  private readonly spare: SpareSegment;
  private fd: number;
  private file: string;
  private position: number;
  private segmentSize: number;
  private attempts = 0;
  /** Segment fds replaced by a rollover, closed once no batch writes to them. */
  private retired: number[] = [];
  private closed = false;

  /** Use `openWal`. */
  constructor(
    dir: string,
    options: WalOptions & { segmentSize: number; keepSnapshots: number },
    native: NativeModule | null,
    recovery: RecoveryResult & { backend: BackendName },
    active: ActiveSegment,
  ) {
    this.dir = dir;
    this.options = options;
    // The backend reports through these: the Wal's bookkeeping stays private.
    const host: WriteHost = {
      synced: (t0, records, bytes, lastSequence) => this.synced(t0, records, bytes, lastSequence),
      fail: (error) => this.fail(error),
      settled: () => {
        this.releaseFilesIfFailed();
        if (!this.failed) this.closeRetired();
      },
    };
    this.writer = createWriteBackend(native, host);
    this.backend = this.writer.name;
    this.spare = new SpareSegment(dir, options.segmentSize);
    this.recovery = recovery;
    this.nextSequence = recovery.nextSequence;
    this.durableSequence = recovery.lastSequence;
    this.fd = active.fd;
    this.file = active.file;
    this.position = active.position;
    this.segmentSize = active.segmentSize;
  }

  /** Batches not yet settled (0, 1 or 2). */
  get pending(): number {
    return this.writer.pending;
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
    return this.appendFrame(firstSequence, recordSize, b && b.length > 0 ? [a, b] : [a]);
  }

  /**
   * appendRecords for a payload in any number of parts (e.g. batches that arrived one by one, each
   * in its own buffer), written back to back as one frame by the same writev, with no copy.
   */
  appendRecordParts(firstSequence: number, recordSize: number, parts: readonly Uint8Array[]): Promise<number> {
    const nonEmpty = parts.filter((p) => p.length > 0);
    return this.appendFrame(firstSequence, recordSize, nonEmpty.length > 0 ? nonEmpty : [new Uint8Array(0)]);
  }

  private appendFrame(firstSequence: number, recordSize: number, parts: Uint8Array[]): Promise<number> {
    if (this.failed) throw this.failed;
    if (this.closed) throw new WalError('WAL_CLOSED', 'the WAL is closed');
    if (this.writer.pending >= 2) throw new WalError('WAL_BUSY', 'two batches are already outstanding: await the oldest before appending');
    if (firstSequence !== this.nextSequence) {
      throw new WalError('WAL_SEQUENCE', `batch starts at sequence ${firstSequence}, the log expects ${this.nextSequence}`);
    }
    if (!Number.isInteger(recordSize) || recordSize <= 0) throw new WalError('WAL_INVALID', `recordSize must be a positive integer, got ${recordSize}`);
    let bytes = 0;
    for (const part of parts) bytes += part.length;
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
    if (parts.length <= 2) fillFrameHeader(header, firstSequence, recordSize, count, parts[0]!, parts[1] ?? null, padding);
    else fillFrameHeaderParts(header, firstSequence, recordSize, count, parts, padding);
    const chunks = [header, ...parts];
    // The padding bytes are zero on disk already (preallocated segment): they need not be written.
    const position = this.position;
    this.position += frameBytes + padding;
    this.nextSequence += count;
    // Once an eighth of the active segment is written, the next one is preallocated in the
    // background: a short run never makes one, and a long one gives it 7/8 of a segment's time.
    // (From half full, a 64 MiB zero-fill that took longer than the half left found the spare not
    // ready at rollover about once in 20 s at 1M orders/s, and the journaler stopped for 300 ms
    // while the segment was made synchronously.)
    if (this.position >= this.segmentSize / SPARE_AFTER_FRACTION && !this.closed && !this.failed) this.spare.prepare();
    const failSync = ++this.attempts === this.options.faults?.failSyncAt;
    return this.writer.write(this.fd, position, chunks, count, frameBytes, firstSequence + count - 1, failSync);
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

  /** After a fatal error: close the files once no batch is using them (never retry). */
  private releaseFilesIfFailed(): void {
    if (!this.failed || this.writer.pending > 0 || this.fd < 0) return;
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

  private rollover(): void {
    const created = this.spare.next(this.nextSequence);
    this.retired.push(this.fd);
    this.fd = created.fd;
    this.file = created.file;
    this.position = SEGMENT_HEADER_SIZE;
    this.segmentSize = this.options.segmentSize;
    this.closeRetired();
  }

  private closeRetired(): void {
    if (this.retired.length === 0) return;
    this.retired = this.retired.filter((fd) => {
      if (this.writer.writing(fd)) return true;
      closeSync(fd);
      return false;
    });
  }

  /** Waits for the outstanding batches (ignoring their errors: they reach the append promises). */
  async flush(): Promise<void> {
    await this.writer.settle();
  }

  /** Waits for outstanding batches, then closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.spare.settle(); // a leftover spare is removed by the next recovery
    this.writer.close();
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
   * `sequence` (<= durableSequence), with `sourceState`: opaque bytes where the input source resumes
   * after that sequence (possibly empty), returned as is by recovery. Atomic: temp file, fsync,
   * rename, fsync directory. Then keeps the newest `keepSnapshots` snapshots and deletes the
   * segments whose records are all covered by the oldest snapshot kept (so a corrupt newest
   * snapshot can still fall back to the previous one plus the log).
   */
  async writeSnapshot(sequence: number, data: Uint8Array, sourceState: Uint8Array = new Uint8Array(0)): Promise<SnapshotWriteResult> {
    if (!Number.isSafeInteger(sequence) || sequence < 0) throw new WalError('WAL_INVALID', `snapshot sequence must be a safe integer >= 0, got ${sequence}`);
    if (sequence > this.durableSequence) {
      throw new WalError('WAL_INVALID', `snapshot at ${sequence} is past the durable sequence ${this.durableSequence}`);
    }
    const { file, bytes } = await writeSnapshotFile(this.dir, sequence, data, sourceState);
    const deletedSnapshots = pruneSnapshots(this.dir, this.options.keepSnapshots);
    // Segments are deleted only up to the oldest kept snapshot that verifies.
    const cover = oldestValidSnapshotSequence(this.dir);
    const deletedSegments = cover >= 0 ? this.deleteSegmentsCoveredBy(cover) : [];
    return { file, sequence, bytes, deletedSnapshots, deletedSegments };
  }

  /**
   * Deletes the segments whose records all have sequences <= `sequence` (never the active one).
   * Only call it with a sequence a valid snapshot covers; `writeSnapshot` does it for you.
   */
  deleteSegmentsCoveredBy(sequence: number): string[] {
    return deleteSegmentsCoveredBy(this.dir, sequence, this.file);
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
