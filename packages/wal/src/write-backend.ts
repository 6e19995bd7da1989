// How a framed batch reaches the disk: one interface, two strategies (fs-backend.ts,
// native-backend.ts), chosen once when the WAL opens so an append makes one monomorphic call.
import { WalError, type WalFatalError } from './errors.js';
import { FsBackend } from './fs-backend.js';
import { NativeBackend } from './native-backend.js';
import { loadNative, nativeLoadFailure, type BackendName, type NativeModule } from './native-module.js';

/** What a backend reports back to the WAL that owns it. */
export interface WriteHost {
  /** The batch ending at `lastSequence` is written and fdatasync'ed; `t0` is when its write started. */
  synced(t0: bigint, records: number, bytes: number, lastSequence: number): void;
  /** A write or sync failed: the WAL stops for good. Returns the error to reject with. */
  fail(error: unknown): WalFatalError;
  /** A batch settled asynchronously: files no batch uses any more may be closed. */
  settled(): void;
}

export interface WriteBackend {
  readonly name: BackendName;
  /** Batches handed over and not yet settled. */
  readonly pending: number;
  /**
   * Writes `chunks` at `position` of `fd`, then fdatasyncs, and reports to the host. Resolves with
   * `lastSequence` once durable, rejects with the host's fatal error. `failSync`: tests' injected EIO.
   */
  write(fd: number, position: number, chunks: Uint8Array[], records: number, bytes: number, lastSequence: number, failSync: boolean): Promise<number>;
  /** True while a batch handed over may still write to `fd` (it must stay open). */
  writing(fd: number): boolean;
  /** Resolves once every batch handed over has settled (their errors reach their own promises). */
  settle(): Promise<void>;
  close(): void;
}

/**
 * The native module when `requested` (after RINGMATCH_WAL_BACKEND for 'auto') calls for it and it
 * loads, null for node:fs. Throws WAL_INVALID for a bad env value, WAL_BACKEND when 'native' is
 * requested and the module does not load.
 */
export async function selectNative(requested: 'auto' | BackendName): Promise<NativeModule | null> {
  let choice = requested;
  if (choice === 'auto') {
    const env = process.env.RINGMATCH_WAL_BACKEND;
    if (env === 'fs' || env === 'native') choice = env;
    else if (env !== undefined && env !== '' && env !== 'auto')
      throw new WalError('WAL_INVALID', `RINGMATCH_WAL_BACKEND must be fs or native, got ${JSON.stringify(env)}`);
  }
  if (choice === 'fs') return null;
  const native = await loadNative();
  if (native === null && choice === 'native') {
    throw new WalError('WAL_BACKEND', `native WAL backend requested but @ringmatch/native did not load: ${String(nativeLoadFailure())}`, {
      cause: nativeLoadFailure(),
    });
  }
  return native;
}

export function createWriteBackend(native: NativeModule | null, host: WriteHost): WriteBackend {
  return native ? new NativeBackend(native, host) : new FsBackend(host);
}
