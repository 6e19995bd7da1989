// Which scanner turns JSON orders (a file's lines, the native Kafka client's messages) into command
// slots (--json-scanner): the native one in the optional @ringmatch/native module, or the JS byte
// scanner. Resolved once on the main thread before the workers start, so the run says which it
// uses; the poller then loads the same module.
import type { SymbolTable } from '@ringmatch/protocol';
import { nativeExport } from './native-export.js';
import type { JsonScannerChoice } from './config.js';

/** @ringmatch/native's CommandScanner (native/src/command_lines.rs). */
export interface NativeCommandScanner {
  scanLines(
    input: Uint8Array,
    from: number,
    to: number,
    firstLine: number,
    sourceStream: number,
    out: Uint8Array,
    outSlot: number,
    maxSlots: number,
    progress: Float64Array,
    /** Slot `outSlot` + k gets sequence `firstSeq` + k (absent or 0: sequence 0). */
    firstSeq?: number,
  ): number;
  scanRecords(
    input: Uint8Array,
    from: number,
    count: number,
    takes: Uint8Array,
    nextOffsets: Float64Array,
    out: Uint8Array,
    outSlot: number,
    maxSlots: number,
    progress: Float64Array,
  ): number;
}

type ScannerConstructor = new (names: string[], ids: number[]) => NativeCommandScanner;

export interface JsonScannerResolution {
  scanner: 'js' | 'native';
  /** One line for the log: the scanner and, for a fallback, why. */
  line: string;
}

/** Thrown when --json-scanner native was asked for and the module (or its scanner) does not load. */
export class NativeScannerUnavailable extends Error {
  override readonly name = 'NativeScannerUnavailable';
}

export async function resolveJsonScanner(asked: JsonScannerChoice): Promise<JsonScannerResolution> {
  if (asked === 'js') return { scanner: 'js', line: 'json scanner: js (--json-scanner js)' };
  const { make, why } = await nativeExport<ScannerConstructor>('CommandScanner');
  if (make) return { scanner: 'native', line: 'json scanner: native (@ringmatch/native)' };
  if (asked === 'native') {
    throw new NativeScannerUnavailable(
      `--json-scanner native: @ringmatch/native does not load (${why}); build it with \`npm run build:native -w @ringmatch/native\` (needs cargo), or run with --json-scanner js`,
    );
  }
  return { scanner: 'js', line: `json scanner: js (native not loaded: ${why})` };
}

/** A native scanner over `symbols`, in a worker of a run resolved to it (it loaded on the main thread). */
export async function createNativeScanner(symbols: SymbolTable): Promise<NativeCommandScanner> {
  const { make, why } = await nativeExport<ScannerConstructor>('CommandScanner');
  if (!make) throw new NativeScannerUnavailable(`--json-scanner native: @ringmatch/native did not load in this worker: ${why}`);
  const defs = symbols.list();
  return new make(
    defs.map((d) => d.name),
    defs.map((d) => d.id),
  );
}
