// The JSON fast path. A single flat command object whose values are plain ASCII strings and integers
// (what every well-behaved producer sends) is scanned straight from the bytes into the command:
// no UTF-8 decode, no JSON.parse object, no strings. Anything else (arrays, batches, escapes,
// non-ASCII, fractions, exponents, null/true/false, nesting, duplicate keys) and every command
// that would fail validation returns false, and the general path (json-decode.ts) decides, with
// its exact errors. So the fast path only ever has to agree on valid commands, which a
// differential property test checks. Profiled: JSON.parse was the Kafka poller's largest cost, and
// the poller is the pipeline's critical path.
import type { DecodeOptions } from './decoding.js';
import { OP_NAMES, SIDE_NAMES, STP_NAMES, TIF_NAMES, TYPE_NAMES } from './enum-names.js';
import type { SymbolTable } from './symbols.js';
import { CommandKind, OrderType, Side, StpMode, TimeInForce, type Command } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Enc = new TextEncoder();
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const K_OP = 0,
  K_SYMBOL = 1,
  K_SYMBOL_ID = 2,
  K_ORDER_ID = 3,
  K_ACCOUNT = 4,
  K_TS = 5,
  K_SIDE = 6,
  K_TYPE = 7,
  K_TIF = 8,
  K_STP = 9,
  K_PRICE = 10,
  K_QTY = 11,
  K_STOP = 12,
  K_BATCH = 13;
const KEYS = ['op', 'symbol', 'symbolId', 'orderId', 'account', 'ts', 'side', 'type', 'tif', 'stp', 'price', 'qty', 'stopPrice', 'batch'].map((k) =>
  utf8Enc.encode(k),
);
const KEY_LENGTHS = KEYS.map((k) => k.length);
/** Most keys per object whose order the scanner remembers (see JsonCommandScanner.shape). */
const SHAPE_KEYS = 32;
/** Key orders remembered: one per op (new, cancel and amend differ), chosen by the op's first letter. */
const SHAPE_ROWS = 8;
/** An enum's names (lower case bytes), their lengths and values, as parallel arrays. */
interface EnumTable<T> {
  names: Uint8Array[];
  lengths: number[];
  values: T[];
}
const enumEntries = <T>(table: Record<string, T>): EnumTable<T> => {
  const names = Object.keys(table).map((k) => utf8Enc.encode(k));
  return { names, lengths: names.map((n) => n.length), values: Object.values(table) };
};
const OPS = enumEntries(OP_NAMES);
const SIDES = enumEntries(SIDE_NAMES);
const TYPES = enumEntries(TYPE_NAMES);
const TIFS = enumEntries(TIF_NAMES);
const STPS = enumEntries(STP_NAMES);
/** Symbol names remembered per scanner before its cache starts over. */
const SYMBOL_CACHE_SIZE = 4096;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** First non-space index at or after p, at most `end`. */
function skipSpace(bytes: Uint8Array, p: number, end: number): number {
  while (p < end && isSpace(bytes[p]!)) p++;
  return p;
}

/**
 * Index of the closing quote of a JSON string starting at `start` (after its opening quote), or
 * -1 unless it is plain: printable ASCII, no escapes (the rest is the general path's).
 */
function plainStringEnd(bytes: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end && bytes[p] !== 0x22) {
    const b = bytes[p]!;
    if (b === 0x5c || b < 0x20 || b > 0x7e) return -1;
    p++;
  }
  return p < end ? p : -1;
}

/** End (the closing quote's index) of the known key `k` when the string at `start` is exactly it, else -1. */
function keyEndIfKey(bytes: Uint8Array, start: number, to: number, k: number): number {
  const key = KEYS[k]!;
  const end = start + KEY_LENGTHS[k]!;
  if (end >= to || bytes[end] !== 0x22) return -1;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[start + i]) return -1;
  return end;
}

/** Index of the known key bytes[start, end) names, -1 for another key. */
function keyIndex(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  outer: for (let k = 0; k < KEYS.length; k++) {
    const key = KEYS[k]!;
    if (key.length !== len) continue;
    for (let i = 0; i < len; i++) if (key[i] !== bytes[start + i]) continue outer;
    return k;
  }
  return -1;
}

/** The general path's case-insensitive enum match of bytes[start, end), or undefined. */
function matchEnum<T>(bytes: Uint8Array, start: number, end: number, table: EnumTable<T>): T | undefined {
  const len = end - start;
  const names = table.names;
  outer: for (let e = 0; e < names.length; e++) {
    const name = names[e]!;
    if (table.lengths[e] !== len) continue;
    for (let i = 0; i < len; i++) {
      let b = bytes[start + i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20; // ASCII only here, so toLowerCase is this
      if (b !== name[i]) continue outer;
    }
    return table.values[e];
  }
  return undefined;
}

/** Integer of a known key if scanned as an integer in [min, max]; `dflt` if absent; NaN otherwise. */
function intAt(kinds: Uint8Array, ints: Float64Array, key: number, dflt: number, min: number, max: number): number {
  const kind = kinds[key]!;
  if (kind === 0) return dflt;
  if (kind !== 2) return NaN;
  const v = ints[key]!;
  return v >= min && v <= max ? v : NaN;
}

/**
 * Decodes one flat JSON command object from bytes into a command without JSON.parse when it is
 * plainly valid (see above). Each scanner owns its scratch (what the scan found per known key, and
 * a cache of symbol names), so two scanners never share state: give each decoder its own.
 */
export class JsonCommandScanner {
  /** Per known key: 0 absent, 1 string bytes [start, end), 2 integer. */
  private readonly kind = new Uint8Array(KEYS.length);
  /** The known keys the last scan set (cleared at the next one instead of the whole table). */
  private readonly setKeys = new Uint8Array(KEYS.length);
  private setCount = 0;
  private readonly start = new Int32Array(KEYS.length);
  private readonly end = new Int32Array(KEYS.length);
  private readonly int = new Float64Array(KEYS.length);
  /** Symbol names seen, by FNV-1a hash of their bytes (verified on hit), bounded. */
  private readonly symbolCache = new Map<number, { bytes: Uint8Array; id: number; table: SymbolTable }>();
  /**
   * The known key found at each position of the previous object (-1: unknown or none). A stream's
   * messages come from one encoder, so the n-th key is nearly always the same one: checking that
   * guess first replaces the search over every known key.
   */
  private readonly shape = new Int8Array(SHAPE_ROWS * SHAPE_KEYS).fill(-1);

  /**
   * Writes the command `bytes` holds into `into` and returns true when it is plainly valid; false
   * when the general path must decide (`into` is then unspecified). A true result equals
   * `commandFromJson(JSON.parse(text), into, opts)`. The message is bytes[from, to) (default: all
   * of `bytes`), so that a caller holding many messages in one buffer makes no view per message.
   */
  scan(bytes: Uint8Array, into: Command, opts?: DecodeOptions, from = 0, to = bytes.length): boolean {
    const kinds = this.kind;
    const starts = this.start;
    const ends = this.end;
    const ints = this.int;
    const setKeys = this.setKeys;
    for (let i = 0; i < this.setCount; i++) kinds[setKeys[i]!] = 0;
    this.setCount = 0; // counted as keys are set: every early return leaves it right
    let p = skipSpace(bytes, from, to);
    if (p >= to || bytes[p] !== 0x7b) return false; // {
    p = skipSpace(bytes, p + 1, to);
    if (p < to && bytes[p] === 0x7d) return false; // {}: let the general path report it
    const shape = this.shape;
    let row = 0; // the op's key order once its value is seen
    for (let position = 0; ; position++) {
      if (p >= to || bytes[p] !== 0x22) return false; // key
      const keyStart = p + 1;
      let key = position < SHAPE_KEYS ? shape[row + position]! : -1;
      p = key >= 0 ? keyEndIfKey(bytes, keyStart, to, key) : -1;
      if (p < 0) {
        p = plainStringEnd(bytes, keyStart, to);
        if (p < 0) return false;
        key = keyIndex(bytes, keyStart, p);
        if (position < SHAPE_KEYS) shape[row + position] = key;
      }
      p = skipSpace(bytes, p + 1, to);
      if (p >= to || bytes[p] !== 0x3a) return false; // :
      p = skipSpace(bytes, p + 1, to);
      const b = p < to ? bytes[p] : undefined;
      if (b === 0x22) {
        const start = p + 1;
        p = plainStringEnd(bytes, start, to);
        if (p < 0) return false;
        if (key >= 0) {
          if (kinds[key] !== 0) return false; // duplicate: JSON.parse keeps the last one
          kinds[key] = 1;
          setKeys[this.setCount++] = key;
          starts[key] = start;
          ends[key] = p;
          if (key === K_OP && p > start) row = (bytes[start]! & (SHAPE_ROWS - 1)) * SHAPE_KEYS;
        }
        p++;
      } else if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) {
        const negative = b === 0x2d;
        if (negative) p++;
        const start = p;
        let v = 0;
        while (p < to && bytes[p]! >= 0x30 && bytes[p]! <= 0x39) v = v * 10 + (bytes[p++]! - 0x30);
        const digits = p - start;
        // Up to 16 digits: exact while the value is a safe integer (every prefix is smaller), and a
        // larger true value rounds to at least 2^53, which is caught here (the general path rejects it).
        if (digits === 0 || digits > 16 || v > MAX_SAFE || (digits > 1 && bytes[start] === 0x30)) return false;
        if (negative && v === 0) return false; // -0
        const next = p < to ? bytes[p] : undefined;
        if (next === 0x2e || next === 0x65 || next === 0x45) return false; // fraction / exponent
        if (key >= 0) {
          if (kinds[key] !== 0) return false;
          kinds[key] = 2;
          setKeys[this.setCount++] = key;
          ints[key] = negative ? -v : v;
        }
      } else {
        return false; // object, array, true, false, null, garbage
      }
      p = skipSpace(bytes, p, to);
      if (p < to && bytes[p] === 0x2c) {
        p = skipSpace(bytes, p + 1, to);
        continue;
      }
      if (p >= to || bytes[p] !== 0x7d) return false;
      if (skipSpace(bytes, p + 1, to) !== to) return false;
      break;
    }
    if (kinds[K_BATCH] !== 0) return false;
    // Validation: exactly commandFromJson's rules for a valid command; any failure -> false.
    if (kinds[K_OP] !== 1) return false;
    const kind = matchEnum(bytes, starts[K_OP]!, ends[K_OP]!, OPS);
    if (kind === undefined) return false;
    let symbolId: number;
    if (kinds[K_SYMBOL] === 1) {
      if (!opts?.symbols) return false;
      symbolId = this.symbolIdOf(bytes, starts[K_SYMBOL]!, ends[K_SYMBOL]!, opts.symbols);
      if (symbolId < 0) return false;
    } else if (kinds[K_SYMBOL] === 2) {
      symbolId = intAt(kinds, ints, K_SYMBOL, NaN, 1, 0xffff);
    } else {
      symbolId = intAt(kinds, ints, K_SYMBOL_ID, NaN, 1, 0xffff);
    }
    const orderId = intAt(kinds, ints, K_ORDER_ID, NaN, 0, MAX_SAFE);
    const accountId = intAt(kinds, ints, K_ACCOUNT, NaN, 0, 0xffffffff);
    const timestamp = intAt(kinds, ints, K_TS, 0, -MAX_SAFE, MAX_SAFE);
    if (Number.isNaN(symbolId) || Number.isNaN(orderId) || Number.isNaN(accountId) || Number.isNaN(timestamp)) return false;
    let side: Side = Side.Buy;
    let type: OrderType = OrderType.Limit;
    let tif: TimeInForce = TimeInForce.GTC;
    let stp: StpMode = StpMode.Default;
    let price = 0;
    let qty = 0;
    let stopPrice = 0;
    if (kind === CommandKind.New) {
      if (kinds[K_SIDE] !== 1) return false;
      const sd = matchEnum(bytes, starts[K_SIDE]!, ends[K_SIDE]!, SIDES);
      const ty = kinds[K_TYPE] === 0 ? OrderType.Limit : kinds[K_TYPE] === 1 ? matchEnum(bytes, starts[K_TYPE]!, ends[K_TYPE]!, TYPES) : undefined;
      const tf = kinds[K_TIF] === 0 ? TimeInForce.GTC : kinds[K_TIF] === 1 ? matchEnum(bytes, starts[K_TIF]!, ends[K_TIF]!, TIFS) : undefined;
      const sp = kinds[K_STP] === 0 ? StpMode.Default : kinds[K_STP] === 1 ? matchEnum(bytes, starts[K_STP]!, ends[K_STP]!, STPS) : undefined;
      if (sd === undefined || ty === undefined || tf === undefined || sp === undefined) return false;
      side = sd;
      type = ty;
      tif = tf;
      stp = sp;
      price = intAt(kinds, ints, K_PRICE, type === OrderType.Limit || type === OrderType.StopLimit ? NaN : 0, -MAX_SAFE, MAX_SAFE);
      qty = intAt(kinds, ints, K_QTY, NaN, -MAX_SAFE, MAX_SAFE);
      stopPrice = intAt(kinds, ints, K_STOP, type === OrderType.Stop || type === OrderType.StopLimit ? NaN : 0, -MAX_SAFE, MAX_SAFE);
      if (Number.isNaN(price) || Number.isNaN(qty) || Number.isNaN(stopPrice)) return false;
    } else if (kind === CommandKind.Amend) {
      price = intAt(kinds, ints, K_PRICE, 0, -MAX_SAFE, MAX_SAFE);
      qty = intAt(kinds, ints, K_QTY, 0, -MAX_SAFE, MAX_SAFE);
      if (Number.isNaN(price) || Number.isNaN(qty) || (kinds[K_PRICE] === 0 && kinds[K_QTY] === 0)) return false;
    }
    into.kind = kind;
    into.symbolId = symbolId;
    into.orderId = orderId;
    into.accountId = accountId;
    into.timestamp = timestamp;
    into.sourceStream = opts?.sourceStream ?? -1;
    into.sourcePosition = opts?.sourcePosition ?? -1;
    into.reason = 0;
    into.field = 0;
    into.seq = 0;
    into.side = side;
    into.type = type;
    into.tif = tif;
    into.stp = stp;
    into.price = price;
    into.qty = qty;
    into.stopPrice = stopPrice;
    return true;
  }

  private symbolIdOf(bytes: Uint8Array, start: number, end: number, symbols: SymbolTable): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    const hit = this.symbolCache.get(h);
    if (hit && hit.table === symbols && hit.bytes.length === end - start) {
      let same = true;
      for (let i = 0; i < hit.bytes.length && same; i++) same = hit.bytes[i] === bytes[start + i];
      if (same) return hit.id;
    }
    const name = bytes.subarray(start, end);
    const id = symbols.idOf(utf8.decode(name));
    if (this.symbolCache.size >= SYMBOL_CACHE_SIZE) this.symbolCache.clear();
    this.symbolCache.set(h, { bytes: name.slice(), id, table: symbols });
    return id;
  }
}
