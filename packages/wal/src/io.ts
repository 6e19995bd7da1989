// The two I/O backends: node:fs (synchronous writev + fdatasync on the calling thread) and the
// optional napi-rs module @ringmatch/native (pwritev + fdatasync on a libuv worker thread).
import { fdatasyncSync, writevSync } from 'node:fs';

export type BackendName = 'fs' | 'native';

/** @ringmatch/native's writer thread: batches run back to back in submission order. */
export interface NativeSyncWriter {
  submit(id: number, fd: number, position: number, chunks: Uint8Array[], failSync?: boolean | null): void;
  close(): void;
}

/** The subset of @ringmatch/native the WAL uses (native/index.d.ts). */
export interface NativeModule {
  SyncWriter: new (onDone: (id: number, bytesWritten: number, error: string) => void) => NativeSyncWriter;
  writeAndSync(fd: number, position: number, chunks: Uint8Array[], failSync?: boolean | null): Promise<number>;
  writeOnly(fd: number, position: number, chunks: Uint8Array[]): Promise<number>;
  viewSum(view: Uint8Array): number;
  viewFill(view: Uint8Array, value: number): void;
  nativeInfo(): string;
}

let nativeLoad: Promise<NativeModule | null> | null = null;
let nativeLoadError: unknown = null;

/**
 * Loads @ringmatch/native with a dynamic import (once per thread). Resolves null when it is not
 * built or cannot load; `nativeLoadFailure()` then tells why.
 */
export function loadNative(): Promise<NativeModule | null> {
  if (nativeLoad === null) {
    // A variable specifier keeps tsc from resolving the (optional, generated) module at build time.
    const specifier = '@ringmatch/native';
    nativeLoad = import(specifier).then(
      (mod: Record<string, unknown>) => {
        const m = (mod.default && typeof (mod as { writeAndSync?: unknown }).writeAndSync !== 'function' ? mod.default : mod) as NativeModule;
        if (typeof m.writeAndSync !== 'function' || typeof m.SyncWriter !== 'function') {
          nativeLoadError = new Error('@ringmatch/native loaded but lacks writeAndSync/SyncWriter (rebuild it)');
          return null;
        }
        return m;
      },
      (error: unknown) => {
        nativeLoadError = error;
        return null;
      },
    );
  }
  return nativeLoad;
}

export function nativeLoadFailure(): unknown {
  return nativeLoadError;
}

/** Backends usable here: 'fs' always, 'native' when the module loads. */
export async function availableBackends(): Promise<BackendName[]> {
  return (await loadNative()) ? ['fs', 'native'] : ['fs'];
}

/** Error thrown by an injected fdatasync failure (tests). */
export function injectedSyncError(): NodeJS.ErrnoException {
  const error = new Error('EIO: fdatasync: injected failure') as NodeJS.ErrnoException;
  error.code = 'EIO';
  error.syscall = 'fdatasync';
  return error;
}

/** writev every byte of `chunks` at `position` (loops on a short write), then fdatasync. */
export function fsWriteAndSync(fd: number, position: number, chunks: Uint8Array[], failSync: boolean): number {
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
