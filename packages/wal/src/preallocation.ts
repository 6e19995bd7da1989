// Segments are preallocated, zero-filled and fsync'ed before a batch goes in, so an fdatasync never
// has to update the file's size or blocks. The next one is prepared off the JS thread (the spare)
// while the active segment fills, and adopted at rollover.
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import path from 'node:path';
import { SEGMENT_HEADER_SIZE, SEGMENT_VERSION, SPARE_SEGMENT_NAME, encodeSegmentHeader, segmentName } from './format.js';
import { fsyncDir, zeroRange } from './log-cut.js';

interface OpenSegment {
  fd: number;
  file: string;
}

const ZERO_CHUNK = new Uint8Array(1024 * 1024);
const SPARE_FLUSH_EVERY = 4 * 1024 * 1024;

/** Creates a preallocated, zero-filled segment (temp file, fsync, rename, fsync dir); returns an fd open for writing. */
export function createSegment(dir: string, firstSequence: number, segmentSize: number): OpenSegment {
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
function adoptSpare(dir: string, spare: string, firstSequence: number, segmentSize: number): OpenSegment {
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

/** The next segment of one WAL directory: prepared in the background, adopted at rollover. */
export class SpareSegment {
  private readonly dir: string;
  private readonly segmentSize: number;
  /** null, in preparation, or ready (its path). */
  private spare: { promise: Promise<void>; ready: string | null } | null = null;

  constructor(dir: string, segmentSize: number) {
    this.dir = dir;
    this.segmentSize = segmentSize;
  }

  /** Starts preparing the spare unless one is ready or on its way. */
  prepare(): void {
    if (this.spare !== null) return;
    const spare: { promise: Promise<void>; ready: string | null } = { promise: Promise.resolve(), ready: null };
    spare.promise = prepareSpare(this.dir, this.segmentSize).then(
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

  /** The segment starting at `firstSequence`: the spare when it is ready, else created now (synchronously). */
  next(firstSequence: number): OpenSegment {
    let created: OpenSegment | null = null;
    if (this.spare?.ready) {
      const ready = this.spare.ready;
      this.spare = null;
      try {
        created = adoptSpare(this.dir, ready, firstSequence, this.segmentSize);
      } catch {
        created = null;
      }
    }
    return created ?? createSegment(this.dir, firstSequence, this.segmentSize);
  }

  /** Waits for a preparation in progress (a spare left over is removed by the next recovery). */
  async settle(): Promise<void> {
    if (this.spare) await this.spare.promise;
  }
}
