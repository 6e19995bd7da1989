// The optional napi-rs module @ringmatch/native (pwritev + fdatasync on a writer thread): its
// types, loading it once per thread, and which backends are therefore available.

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
