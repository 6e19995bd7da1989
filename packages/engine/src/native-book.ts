// The native book (@ringmatch/native's NativeBook, native/src/book): the JS book's matching rules
// in Rust, driven in batches of command slots that it turns straight into output slots. The JS
// book (@ringmatch/book) stays the reference and the fallback; the differential tests hold the two
// to the same output bytes.
import type { SymbolTable } from '@ringmatch/protocol';
import { nativeExport } from './native-export.js';

/** @ringmatch/native's NativeBook (native/index.d.ts). */
export interface NativeBookHandle {
  /**
   * Processes `count` command slots of `commands` from slot `from` on; their outputs go into `out`
   * from slot `outSlot` on (wrapping at its end), at most `outRoom` of them, the rest wait for
   * `drain`. Returns the commands processed; `progress` gets [outputs written, outputs waiting].
   */
  process(commands: Uint8Array, from: number, count: number, out: Uint8Array, outSlot: number, outRoom: number, progress: Float64Array): number;
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
}

type NativeBookConstructor = new (ids: number[], tickSizes: number[], lotSizes: number[], initialOrders?: number, initialLevels?: number) => NativeBookHandle;

/** The EngineCounters keys in the order readCounters writes them. */
export const NATIVE_COUNTER_KEYS = [
  'commands',
  'newOrders',
  'cancels',
  'amends',
  'invalid',
  'rejected',
  'trades',
  'volume',
  'triggered',
  'expired',
  'stpCancels',
] as const;

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
