// Which writer turns output slots into JSON (--json-writer): the native one in the optional
// @ringmatch/native module, or the JS OutputJsonEncoder. Both write the same bytes (the native
// writer takes every piece of its text from the JS encoder; a differential test holds them equal).
// Resolved once on the main thread before the workers start, so the run says which it uses.
import { OutputJsonEncoder, type OutputJsonText, type SymbolTable } from '@ringmatch/protocol';
import { nativeExport } from './native-export.js';
import type { JsonWriterChoice } from './config.js';

/** @ringmatch/native's OutputJsonWriter (native/src/output_json.rs). */
export interface NativeOutputJsonWriter {
  /** Most bytes one output can take, newline included. */
  readonly maxBytes: number;
  /**
   * Writes the trades and reports of the slots at `slotOffsets[from .. from + count)` of `ring`
   * into `out` from `at`. Without `indexes`: NDJSON record values (a newline between outputs, and
   * one first when `lead`). With `indexes`: file lines, line i numbered `"n":indexes[i]` and ended
   * by a newline. Stops before a slot the JS encoder must write, or when fewer than maxBytes + 1
   * bytes are left. Returns the outputs written; `progress[0]` gets the end.
   */
  writeRun(
    ring: Uint8Array,
    slotOffsets: Int32Array,
    indexes: Int32Array | null,
    from: number,
    count: number,
    out: Uint8Array,
    at: number,
    lead: boolean,
    progress: Float64Array,
  ): number;
}

type WriterConstructor = new (text: OutputJsonText) => NativeOutputJsonWriter;

export interface JsonWriterResolution {
  writer: 'js' | 'native';
  /** One line for the log: the writer and, for a fallback, why. */
  line: string;
}

/** Thrown when --json-writer native was asked for and the module (or its writer) does not load. */
export class NativeWriterUnavailable extends Error {
  override readonly name = 'NativeWriterUnavailable';
}

export async function resolveJsonWriter(asked: JsonWriterChoice): Promise<JsonWriterResolution> {
  if (asked === 'js') return { writer: 'js', line: 'json writer: js (--json-writer js)' };
  const { make, why } = await nativeExport<WriterConstructor>('OutputJsonWriter');
  if (make) return { writer: 'native', line: 'json writer: native (@ringmatch/native)' };
  if (asked === 'native') {
    throw new NativeWriterUnavailable(
      `--json-writer native: @ringmatch/native does not load (${why}); build it with \`npm run build:native -w @ringmatch/native\` (needs cargo), or run with --json-writer js`,
    );
  }
  return { writer: 'js', line: `json writer: js (native not loaded: ${why})` };
}

/** A native writer with the text of `encoder`, in a worker of a run resolved to it (it loaded on the main thread). */
export async function createNativeWriter(encoder: OutputJsonEncoder): Promise<NativeOutputJsonWriter> {
  const { make, why } = await nativeExport<WriterConstructor>('OutputJsonWriter');
  if (!make) throw new NativeWriterUnavailable(`--json-writer native: @ringmatch/native did not load in this worker: ${why}`);
  return new make(encoder.text());
}

/** A writer for `symbols` when `choice` is native (tests and benches), else null. */
export async function nativeWriterFor(choice: 'js' | 'native', symbols: SymbolTable): Promise<NativeOutputJsonWriter | null> {
  return choice === 'native' ? createNativeWriter(new OutputJsonEncoder(symbols)) : null;
}
