// A class exported by the optional @ringmatch/native module (the JSON scanner, the JSON writer),
// or why there is none: the module is not built or does not load, or it predates that class.
import { loadNative, nativeLoadFailure } from '@ringmatch/wal';

export async function nativeExport<T>(name: string): Promise<{ make: T | null; why: string }> {
  const native = (await loadNative()) as unknown as Record<string, unknown> | null;
  if (native === null) {
    const failure = nativeLoadFailure();
    return { make: null, why: (failure instanceof Error ? failure.message : String(failure ?? 'not built')).split('\n')[0]! };
  }
  if (typeof native[name] !== 'function') return { make: null, why: `@ringmatch/native lacks ${name} (rebuild it)` };
  return { make: native[name] as T, why: '' };
}
