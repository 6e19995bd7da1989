// The native book (@ringmatch/native's NativeBook, native/src/book): the JS book's matching rules
// in Rust, driven in batches of command slots that it turns straight into output slots. The JS
// book (@ringmatch/book) stays the reference and the fallback; the differential tests hold the two
// to the same output bytes.
import { COUNTER_KEYS, SnapshotError, type EngineCounters } from '@ringmatch/book';
import type { SymbolTable } from '@ringmatch/protocol';
import type { BookChoice } from './config.js';
import { nativeExport } from './native-export.js';

/** @ringmatch/native's NativeBook (native/index.d.ts). */
export interface NativeBookHandle {
  /**
   * Processes `count` command slots of `commands` from slot `from` on; their outputs go into `out`
   * from slot `outSlot` on (wrapping at its end), at most `outRoom` of them, the rest wait for
   * `drain`. Returns the commands processed; `progress` (5 or 6 long) gets [outputs written,
   * outputs waiting, then readOutputCounts' three, then 1 if it stopped at a mark]. With `firstSeq`
   * (> 0), slot k must carry sequence `firstSeq` + k or it throws before that slot; with
   * `stopMarks`, it stops after a slot carrying one of those mark bits.
   */
  process(
    commands: Uint8Array,
    from: number,
    count: number,
    out: Uint8Array,
    outSlot: number,
    outRoom: number,
    progress: Float64Array,
    firstSeq?: number,
    stopMarks?: number,
  ): number;
  /** The source position of the last command processed per stream 0.. (NaN: none) into `into`; returns the stream count. */
  readSourcePositions(into: Float64Array): number;
  /** Outputs waiting for `drain`. */
  readonly waiting: number;
  /** Moves up to `outRoom` waiting outputs into `out` from slot `outSlot` on; returns how many. */
  drain(out: Uint8Array, outSlot: number, outRoom: number): number;
  /** The counters in EngineCounters key order. */
  readCounters(into: Float64Array): void;
  setAccountStp(accountId: number, mode: number): void;
  accountStpMode(accountId: number): number;
  readonly openOrders: number;
  lastTradePrice(symbolId: number): number;
  bestPrice(symbolId: number, side: number): number;
  topLevels(symbolId: number, side: number, max: number, prices: Float64Array, qtys: Float64Array, orders: Int32Array, at: number): number;
  levelCount(symbolId: number, side: number): number;
  /** Reports are written (the default), or only counted. */
  emitReports: boolean;
  /** [reports (written or not), rejects among them, trades] made so far. */
  readOutputCounts(into: Float64Array): void;
  /** The complete state, in the JS book's snapshot format. */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot's; throws with SnapshotError's message on a bad one. */
  restore(bytes: Uint8Array): void;
}

type NativeBookConstructor = new (ids: number[], tickSizes: number[], lotSizes: number[], initialOrders?: number, initialLevels?: number) => NativeBookHandle;

/** The EngineCounters keys in the order readCounters writes them: the snapshot's order. */
export const NATIVE_COUNTER_KEYS = COUNTER_KEYS;

/** Thrown when --book native was asked for and the module (or its book) does not load. */
export class NativeBookUnavailable extends Error {
  override readonly name = 'NativeBookUnavailable';
}

/** Which book the run matches with, and one line for the log saying so (and why, for a fallback). */
export async function resolveBook(asked: BookChoice): Promise<{ book: 'js' | 'native'; line: string }> {
  if (asked === 'js') return { book: 'js', line: 'book: js (--book js)' };
  const { make, why } = await nativeExport<NativeBookConstructor>('NativeBook');
  if (make) return { book: 'native', line: 'book: native (@ringmatch/native)' };
  if (asked === 'native') {
    throw new NativeBookUnavailable(
      `--book native: @ringmatch/native does not load (${why}); build it with \`npm run build:native -w @ringmatch/native\` (needs cargo), or run with --book js`,
    );
  }
  return { book: 'js', line: `book: js (native not loaded: ${why})` };
}

/** A native book over `symbols`, or null and why (module not built, or built before NativeBook). */
export async function createNativeBook(symbols: SymbolTable, initialOrders?: number): Promise<{ book: NativeBookHandle | null; why: string }> {
  const { make, why } = await nativeExport<NativeBookConstructor>('NativeBook');
  if (!make) return { book: null, why };
  const defs = symbols.list();
  const book = new make(
    defs.map((d) => d.id),
    defs.map((d) => d.tickSize),
    defs.map((d) => d.lotSize),
    initialOrders,
  );
  return { book, why: '' };
}

/**
 * The native book seen as the engine's book: the parts of MatchingEngine the matcher, the depth
 * stream and snapshots use (symbols, counters, topLevels, snapshot, restore). Commands go through
 * `handle` in batches of slots (RingOutputWriter.writeNative).
 */
export class NativeEngineBook {
  private readonly counterValues = new Float64Array(NATIVE_COUNTER_KEYS.length);

  constructor(
    readonly handle: NativeBookHandle,
    readonly symbols: SymbolTable,
  ) {}

  get counters(): EngineCounters {
    this.handle.readCounters(this.counterValues);
    const counters = {} as EngineCounters;
    NATIVE_COUNTER_KEYS.forEach((key, i) => {
      counters[key] = this.counterValues[i]!;
    });
    return counters;
  }

  topLevels(symbolId: number, side: number, max: number, prices: Float64Array, qtys: Float64Array, orders: Int32Array, at: number): number {
    return this.handle.topLevels(symbolId, side, max, prices, qtys, orders, at);
  }

  snapshot(): Uint8Array {
    return this.handle.snapshot();
  }

  /** As MatchingEngine.restore: a bad snapshot throws SnapshotError. */
  restore(bytes: Uint8Array): void {
    try {
      this.handle.restore(bytes);
    } catch (error) {
      throw new SnapshotError(error instanceof Error ? error.message : String(error));
    }
  }
}
