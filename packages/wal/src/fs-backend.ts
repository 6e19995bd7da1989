// The node:fs write backend: writev + fdatasync synchronously on the calling thread, so a batch is
// durable (or has failed) when `write` returns and its promise is already settled.
import { fdatasyncSync, writevSync } from 'node:fs';
import type { WriteBackend, WriteHost } from './write-backend.js';

export class FsBackend implements WriteBackend {
  readonly name = 'fs';
  readonly pending = 0;
  private readonly host: WriteHost;

  constructor(host: WriteHost) {
    this.host = host;
  }

  write(fd: number, position: number, chunks: Uint8Array[], records: number, bytes: number, lastSequence: number, failSync: boolean): Promise<number> {
    const t0 = process.hrtime.bigint();
    try {
      fsWriteAndSync(fd, position, chunks, failSync);
    } catch (error) {
      return Promise.reject(this.host.fail(error));
    }
    this.host.synced(t0, records, bytes, lastSequence);
    return Promise.resolve(lastSequence);
  }

  writing(_fd: number): boolean {
    return false;
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

/** Error thrown by an injected fdatasync failure (tests). */
function injectedSyncError(): NodeJS.ErrnoException {
  const error = new Error('EIO: fdatasync: injected failure') as NodeJS.ErrnoException;
  error.code = 'EIO';
  error.syscall = 'fdatasync';
  return error;
}

/** writev every byte of `chunks` at `position` (loops on a short write), then fdatasync. */
function fsWriteAndSync(fd: number, position: number, chunks: Uint8Array[], failSync: boolean): number {
  let total = 0;
  for (const c of chunks) total += c.length;
  let written = writevSync(fd, chunks, position);
  if (written < total) {
    // Short write (rare on regular files): finish the rest chunk by chunk.
    let skip = written;
    const rest: Uint8Array[] = [];
    for (const c of chunks) {
      if (skip >= c.length) skip -= c.length;
      else {
        rest.push(skip > 0 ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    while (written < total) {
      const n = writevSync(fd, rest, position + written);
      if (n <= 0) throw new Error(`writev wrote ${n} bytes`);
      written += n;
      let drop = n;
      while (drop > 0 && rest.length > 0) {
        if (drop >= rest[0]!.length) drop -= rest.shift()!.length;
        else {
          rest[0] = rest[0]!.subarray(drop);
          drop = 0;
        }
      }
    }
  }
  if (failSync) throw injectedSyncError();
  fdatasyncSync(fd);
  return written;
}
