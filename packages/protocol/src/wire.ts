// Kafka wire codecs for commands: JSON (default, validated with field-level errors) and a compact
// binary codec. A message carries one command or a batch. Every decode failure is a DecodeError
// (typed: reason + field + batch index); nothing else is ever thrown by the decoders.
import {
  CommandKind,
  Field,
  OrderType,
  Reason,
  Side,
  StpMode,
  TimeInForce,
  createCommand,
  fieldName,
  reasonText,
  type Command,
  type DecodeReason,
} from './types.js';
import type { SymbolTable } from './symbols.js';

export type WireFormat = 'json' | 'binary';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    /** A decode Reason code (Reason.Malformed ...). */
    readonly reason: DecodeReason,
    /** A Field code (Field.None when the message as a whole is bad). */
    readonly field: number,
    /** Index of the bad command inside a batch (0 for a single command). */
    readonly index: number = 0,
    detail?: string,
  ) {
    super(`${reasonText(reason)}${field ? ` in field "${fieldName(field)}"` : ''}${index ? ` (batch index ${index})` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

export interface DecodeOptions {
  /** Needed to resolve symbol names in JSON (`"symbol": "BTC-USD"`); ids are always accepted. */
  symbols?: SymbolTable;
  /** Stamped on every decoded command (default -1 / -1). */
  partition?: number;
  offset?: number;
  /** Largest accepted batch (default 65535). */
  maxBatch?: number;
}

const MAX_BATCH = 0xffff;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// JSON

const OP_NAMES: Record<string, CommandKind> = { new: CommandKind.New, cancel: CommandKind.Cancel, amend: CommandKind.Amend };
const SIDE_NAMES: Record<string, Side> = { buy: Side.Buy, sell: Side.Sell };
const TYPE_NAMES: Record<string, OrderType> = {
  limit: OrderType.Limit,
  market: OrderType.Market,
  stop: OrderType.Stop,
  stop_market: OrderType.Stop,
  stop_limit: OrderType.StopLimit,
};
const TIF_NAMES: Record<string, TimeInForce> = {
  gtc: TimeInForce.GTC,
  ioc: TimeInForce.IOC,
  fok: TimeInForce.FOK,
  post_only: TimeInForce.PostOnly,
};
const STP_NAMES: Record<string, StpMode> = {
  default: StpMode.Default,
  none: StpMode.None,
  cancel_newest: StpMode.CancelNewest,
  cancel_oldest: StpMode.CancelOldest,
  cancel_both: StpMode.CancelBoth,
};
export const OP_TEXT = ['', 'new', 'cancel', 'amend', 'invalid'] as const;
export const SIDE_TEXT = ['buy', 'sell'] as const;
export const TYPE_TEXT = ['limit', 'market', 'stop', 'stop_limit'] as const;
export const TIF_TEXT = ['gtc', 'ioc', 'fok', 'post_only'] as const;
export const STP_TEXT = ['default', 'none', 'cancel_newest', 'cancel_oldest', 'cancel_both'] as const;

const hasOwn = Object.prototype.hasOwnProperty;

function fail(reason: DecodeReason, field: number, index: number, detail?: string): never {
  throw new DecodeError(reason, field, index, detail);
}

function enumField<T>(obj: Record<string, unknown>, key: string, field: number, table: Record<string, T>, dflt: T | undefined, index: number): T {
  if (!hasOwn.call(obj, key) || obj[key] === undefined) {
    if (dflt === undefined) fail(Reason.MissingField, field, index);
    return dflt;
  }
  const v = obj[key];
  if (typeof v !== 'string') fail(Reason.WrongType, field, index, 'expected a string');
  const k = v.toLowerCase();
  if (!hasOwn.call(table, k)) fail(Reason.UnknownEnum, field, index, JSON.stringify(v).slice(0, 40));
  return table[k]!;
}

function intField(obj: Record<string, unknown>, key: string, field: number, dflt: number | undefined, min: number, max: number, index: number): number {
  if (!hasOwn.call(obj, key) || obj[key] === undefined || obj[key] === null) {
    if (dflt === undefined) fail(Reason.MissingField, field, index);
    return dflt;
  }
  const v = obj[key];
  if (typeof v !== 'number') fail(Reason.WrongType, field, index, 'expected an integer');
  if (!Number.isInteger(v)) fail(Reason.NotInteger, field, index, String(v));
  if (!Number.isSafeInteger(v) || v < min || v > max) fail(Reason.OutOfRange, field, index, String(v));
  return v;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function symbolField(obj: Record<string, unknown>, opts: DecodeOptions | undefined, index: number): number {
  const key = hasOwn.call(obj, 'symbol') ? 'symbol' : 'symbolId';
  if (!hasOwn.call(obj, key) || obj[key] === undefined) fail(Reason.MissingField, Field.Symbol, index);
  const v = obj[key];
  if (typeof v === 'string') {
    const id = opts?.symbols?.idOf(v) ?? -1;
    if (id < 0) fail(Reason.UnknownSymbolName, Field.Symbol, index, JSON.stringify(v).slice(0, 40));
    return id;
  }
  return intField(obj, key, Field.Symbol, undefined, 1, 0xffff, index);
}

/** Validates one parsed JSON command object into `into`. */
export function commandFromJson(value: unknown, into: Command, opts?: DecodeOptions, index = 0): Command {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(Reason.WrongType, Field.Message, index, 'expected an object');
  const obj = value as Record<string, unknown>;
  const kind = enumField(obj, 'op', Field.Op, OP_NAMES, undefined, index);
  const symbolId = symbolField(obj, opts, index);
  const orderId = intField(obj, 'orderId', Field.OrderId, undefined, 0, MAX_SAFE, index);
  const accountId = intField(obj, 'account', Field.Account, undefined, 0, 0xffffffff, index);
  const timestamp = intField(obj, 'ts', Field.Timestamp, 0, -MAX_SAFE, MAX_SAFE, index);
  resetCommand(into, opts?.partition ?? -1, opts?.offset ?? -1);
  into.kind = kind;
  into.symbolId = symbolId;
  into.orderId = orderId;
  into.accountId = accountId;
  into.timestamp = timestamp;
  if (kind === CommandKind.New) {
    into.side = enumField(obj, 'side', Field.Side, SIDE_NAMES, undefined, index);
    const type = enumField(obj, 'type', Field.Type, TYPE_NAMES, OrderType.Limit, index);
    into.type = type;
    into.tif = enumField(obj, 'tif', Field.Tif, TIF_NAMES, TimeInForce.GTC, index);
    into.stp = enumField(obj, 'stp', Field.Stp, STP_NAMES, StpMode.Default, index);
    const needsPrice = type === OrderType.Limit || type === OrderType.StopLimit;
    into.price = intField(obj, 'price', Field.Price, needsPrice ? undefined : 0, -MAX_SAFE, MAX_SAFE, index);
    into.qty = intField(obj, 'qty', Field.Qty, undefined, -MAX_SAFE, MAX_SAFE, index);
    const needsStop = type === OrderType.Stop || type === OrderType.StopLimit;
    into.stopPrice = intField(obj, 'stopPrice', Field.StopPrice, needsStop ? undefined : 0, -MAX_SAFE, MAX_SAFE, index);
  } else if (kind === CommandKind.Amend) {
    into.price = intField(obj, 'price', Field.Price, 0, -MAX_SAFE, MAX_SAFE, index);
    into.qty = intField(obj, 'qty', Field.Qty, 0, -MAX_SAFE, MAX_SAFE, index);
    if (!hasOwn.call(obj, 'price') && !hasOwn.call(obj, 'qty')) fail(Reason.MissingField, Field.Qty, index, 'amend needs price and/or qty');
  }
  return into;
}

// ---------------------------------------------------------------------------------------------
// JSON fast path. A single flat command object whose values are plain ASCII strings and integers
// (what every well-behaved producer sends) is scanned straight from the bytes into the command:
// no UTF-8 decode, no JSON.parse object, no strings. Anything else (arrays, batches, escapes,
// non-ASCII, fractions, exponents, null/true/false, nesting, duplicate keys) and every command
// that would fail validation returns false, and the general path (JSON.parse + commandFromJson)
// decides, with its exact errors. So the fast path only ever has to agree on valid commands,
// which a differential property test checks. Profiled: JSON.parse was the Kafka poller's largest
// cost, and the poller is the pipeline's critical path.

const K_OP = 0, K_SYMBOL = 1, K_SYMBOL_ID = 2, K_ORDER_ID = 3, K_ACCOUNT = 4, K_TS = 5, K_SIDE = 6, K_TYPE = 7, K_TIF = 8, K_STP = 9, K_PRICE = 10, K_QTY = 11, K_STOP = 12, K_BATCH = 13;
const FAST_KEYS = ['op', 'symbol', 'symbolId', 'orderId', 'account', 'ts', 'side', 'type', 'tif', 'stp', 'price', 'qty', 'stopPrice', 'batch'].map((k) => utf8Enc.encode(k));
const enumEntries = <T>(table: Record<string, T>): Array<[Uint8Array, T]> => Object.entries(table).map(([k, v]) => [utf8Enc.encode(k), v]);
const FAST_OP = enumEntries(OP_NAMES);
const FAST_SIDE = enumEntries(SIDE_NAMES);
const FAST_TYPE = enumEntries(TYPE_NAMES);
const FAST_TIF = enumEntries(TIF_NAMES);
const FAST_STP = enumEntries(STP_NAMES);

/** Scan results per known key (reused): 0 absent, 1 string [start, end), 2 integer. */
const fastKind = new Uint8Array(FAST_KEYS.length);
const fastStart = new Int32Array(FAST_KEYS.length);
const fastEnd = new Int32Array(FAST_KEYS.length);
const fastInt = new Float64Array(FAST_KEYS.length);
/** Symbol names seen, by FNV-1a hash of their bytes (verified on hit), bounded. */
const symbolCache = new Map<number, { bytes: Uint8Array; id: number; table: SymbolTable }>();

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function skipSpace(bytes: Uint8Array, p: number): number {
  while (p < bytes.length && isSpace(bytes[p]!)) p++;
  return p;
}

/**
 * Index of the closing quote of a JSON string starting at `start` (after its opening quote), or
 * -1 unless it is plain: printable ASCII, no escapes (the rest is the general path's).
 */
function plainStringEnd(bytes: Uint8Array, start: number): number {
  let p = start;
  while (p < bytes.length && bytes[p] !== 0x22) {
    const b = bytes[p]!;
    if (b === 0x5c || b < 0x20 || b > 0x7e) return -1;
    p++;
  }
  return p < bytes.length ? p : -1;
}

/** Index of the known key bytes[start, end) names, -1 for another key. */
function keyIndex(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  outer: for (let k = 0; k < FAST_KEYS.length; k++) {
    const key = FAST_KEYS[k]!;
    if (key.length !== len) continue;
    for (let i = 0; i < len; i++) if (key[i] !== bytes[start + i]) continue outer;
    return k;
  }
  return -1;
}

/** enumField's case-insensitive match of a scanned string, or undefined. */
function matchEnum<T>(bytes: Uint8Array, key: number, entries: Array<[Uint8Array, T]>): T | undefined {
  const start = fastStart[key]!;
  const len = fastEnd[key]! - start;
  outer: for (const [name, value] of entries) {
    if (name.length !== len) continue;
    for (let i = 0; i < len; i++) {
      let b = bytes[start + i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20; // ASCII only here, so toLowerCase is this
      if (b !== name[i]) continue outer;
    }
    return value;
  }
  return undefined;
}

function symbolIdOf(bytes: Uint8Array, start: number, end: number, symbols: SymbolTable): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  const hit = symbolCache.get(h);
  if (hit && hit.table === symbols && hit.bytes.length === end - start) {
    let same = true;
    for (let i = 0; i < hit.bytes.length && same; i++) same = hit.bytes[i] === bytes[start + i];
    if (same) return hit.id;
  }
  const name = bytes.subarray(start, end);
  const id = symbols.idOf(utf8.decode(name));
  if (symbolCache.size >= 4096) symbolCache.clear();
  symbolCache.set(h, { bytes: name.slice(), id, table: symbols });
  return id;
}

/** Integer of a known key if present as an integer in [min, max]; `dflt` if absent; NaN otherwise. */
function fastIntField(key: number, dflt: number, min: number, max: number): number {
  const kind = fastKind[key]!;
  if (kind === 0) return dflt;
  if (kind !== 2) return NaN;
  const v = fastInt[key]!;
  return v >= min && v <= max ? v : NaN;
}

/**
 * Decodes one flat JSON command object from `bytes` into `into` without JSON.parse when it is
 * plainly valid (see above); false when the general path must decide (the command is then
 * unspecified). A true result equals `commandFromJson(JSON.parse(text), into, opts)`.
 */
export function decodeJsonCommandFast(bytes: Uint8Array, into: Command, opts?: DecodeOptions): boolean {
  fastKind.fill(0);
  let p = skipSpace(bytes, 0);
  if (bytes[p] !== 0x7b) return false; // {
  p = skipSpace(bytes, p + 1);
  if (bytes[p] === 0x7d) return false; // {}: let the general path report it
  for (;;) {
    if (bytes[p] !== 0x22) return false; // key
    const keyStart = p + 1;
    p = plainStringEnd(bytes, keyStart);
    if (p < 0) return false;
    const key = keyIndex(bytes, keyStart, p);
    p = skipSpace(bytes, p + 1);
    if (bytes[p] !== 0x3a) return false; // :
    p = skipSpace(bytes, p + 1);
    const b = bytes[p];
    if (b === 0x22) {
      const start = p + 1;
      p = plainStringEnd(bytes, start);
      if (p < 0) return false;
      if (key >= 0) {
        if (fastKind[key] !== 0) return false; // duplicate: JSON.parse keeps the last one
        fastKind[key] = 1;
        fastStart[key] = start;
        fastEnd[key] = p;
      }
      p++;
    } else if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) {
      const negative = b === 0x2d;
      if (negative) p++;
      const start = p;
      let v = 0;
      while (p < bytes.length && bytes[p]! >= 0x30 && bytes[p]! <= 0x39) v = v * 10 + (bytes[p++]! - 0x30);
      const digits = p - start;
      // Up to 16 digits: exact while the value is a safe integer (every prefix is smaller), and a
      // larger true value rounds to at least 2^53, which is caught here (the general path rejects it).
      if (digits === 0 || digits > 16 || v > MAX_SAFE || (digits > 1 && bytes[start] === 0x30)) return false;
      if (negative && v === 0) return false; // -0
      const next = bytes[p];
      if (next === 0x2e || next === 0x65 || next === 0x45) return false; // fraction / exponent
      if (key >= 0) {
        if (fastKind[key] !== 0) return false;
        fastKind[key] = 2;
        fastInt[key] = negative ? -v : v;
      }
    } else {
      return false; // object, array, true, false, null, garbage
    }
    p = skipSpace(bytes, p);
    if (bytes[p] === 0x2c) {
      p = skipSpace(bytes, p + 1);
      continue;
    }
    if (bytes[p] !== 0x7d) return false;
    if (skipSpace(bytes, p + 1) !== bytes.length) return false;
    break;
  }
  if (fastKind[K_BATCH] !== 0) return false;
  // Validation: exactly commandFromJson's rules for a valid command; any failure -> false.
  if (fastKind[K_OP] !== 1) return false;
  const kind = matchEnum(bytes, K_OP, FAST_OP);
  if (kind === undefined) return false;
  let symbolId: number;
  if (fastKind[K_SYMBOL] === 1) {
    if (!opts?.symbols) return false;
    symbolId = symbolIdOf(bytes, fastStart[K_SYMBOL]!, fastEnd[K_SYMBOL]!, opts.symbols);
    if (symbolId < 0) return false;
  } else if (fastKind[K_SYMBOL] === 2) {
    symbolId = fastIntField(K_SYMBOL, NaN, 1, 0xffff);
  } else {
    symbolId = fastIntField(K_SYMBOL_ID, NaN, 1, 0xffff);
  }
  const orderId = fastIntField(K_ORDER_ID, NaN, 0, MAX_SAFE);
  const accountId = fastIntField(K_ACCOUNT, NaN, 0, 0xffffffff);
  const timestamp = fastIntField(K_TS, 0, -MAX_SAFE, MAX_SAFE);
  if (Number.isNaN(symbolId) || Number.isNaN(orderId) || Number.isNaN(accountId) || Number.isNaN(timestamp)) return false;
  let side: Side = Side.Buy;
  let type: OrderType = OrderType.Limit;
  let tif: TimeInForce = TimeInForce.GTC;
  let stp: StpMode = StpMode.Default;
  let price = 0;
  let qty = 0;
  let stopPrice = 0;
  if (kind === CommandKind.New) {
    if (fastKind[K_SIDE] !== 1) return false;
    const sd = matchEnum(bytes, K_SIDE, FAST_SIDE);
    const ty = fastKind[K_TYPE] === 0 ? OrderType.Limit : fastKind[K_TYPE] === 1 ? matchEnum(bytes, K_TYPE, FAST_TYPE) : undefined;
    const tf = fastKind[K_TIF] === 0 ? TimeInForce.GTC : fastKind[K_TIF] === 1 ? matchEnum(bytes, K_TIF, FAST_TIF) : undefined;
    const sp = fastKind[K_STP] === 0 ? StpMode.Default : fastKind[K_STP] === 1 ? matchEnum(bytes, K_STP, FAST_STP) : undefined;
    if (sd === undefined || ty === undefined || tf === undefined || sp === undefined) return false;
    side = sd;
    type = ty;
    tif = tf;
    stp = sp;
    price = fastIntField(K_PRICE, type === OrderType.Limit || type === OrderType.StopLimit ? NaN : 0, -MAX_SAFE, MAX_SAFE);
    qty = fastIntField(K_QTY, NaN, -MAX_SAFE, MAX_SAFE);
    stopPrice = fastIntField(K_STOP, type === OrderType.Stop || type === OrderType.StopLimit ? NaN : 0, -MAX_SAFE, MAX_SAFE);
    if (Number.isNaN(price) || Number.isNaN(qty) || Number.isNaN(stopPrice)) return false;
  } else if (kind === CommandKind.Amend) {
    price = fastIntField(K_PRICE, 0, -MAX_SAFE, MAX_SAFE);
    qty = fastIntField(K_QTY, 0, -MAX_SAFE, MAX_SAFE);
    if (Number.isNaN(price) || Number.isNaN(qty) || (fastKind[K_PRICE] === 0 && fastKind[K_QTY] === 0)) return false;
  }
  into.kind = kind;
  into.symbolId = symbolId;
  into.orderId = orderId;
  into.accountId = accountId;
  into.timestamp = timestamp;
  into.partition = opts?.partition ?? -1;
  into.offset = opts?.offset ?? -1;
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

/** Canonical JSON of one command (stable field order; symbol by name when a table is given). */
export function commandToJson(c: Command, symbols?: SymbolTable): string {
  const sym = symbols?.nameOf(c.symbolId);
  const symbol = sym === undefined ? `"symbolId":${c.symbolId}` : `"symbol":${JSON.stringify(sym)}`;
  const head = `{"op":"${OP_TEXT[c.kind]}",${symbol},"orderId":${c.orderId},"account":${c.accountId}`;
  if (c.kind === CommandKind.New) {
    let s = `${head},"side":"${SIDE_TEXT[c.side]}","type":"${TYPE_TEXT[c.type]}","tif":"${TIF_TEXT[c.tif]}"`;
    if (c.stp !== StpMode.Default) s += `,"stp":"${STP_TEXT[c.stp]}"`;
    if (c.type === OrderType.Limit || c.type === OrderType.StopLimit || c.price !== 0) s += `,"price":${c.price}`;
    s += `,"qty":${c.qty}`;
    if (c.type === OrderType.Stop || c.type === OrderType.StopLimit) s += `,"stopPrice":${c.stopPrice}`;
    return `${s},"ts":${c.timestamp}}`;
  }
  if (c.kind === CommandKind.Amend) return `${head},"price":${c.price},"qty":${c.qty},"ts":${c.timestamp}}`;
  if (c.kind === CommandKind.Cancel) return `${head},"ts":${c.timestamp}}`;
  throw new RangeError(`cannot encode command kind ${c.kind}`);
}

function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    fail(Reason.Malformed, Field.Message, 0, 'invalid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(Reason.Malformed, Field.Message, 0, String((e as Error)?.message ?? e).slice(0, 80));
  }
}

function jsonItems(parsed: unknown, opts: DecodeOptions | undefined): unknown[] {
  let items: unknown[];
  if (Array.isArray(parsed)) items = parsed;
  else if (typeof parsed === 'object' && parsed !== null && hasOwn.call(parsed, 'batch')) {
    const b = (parsed as { batch: unknown }).batch;
    if (!Array.isArray(b)) fail(Reason.WrongType, Field.Batch, 0, 'expected an array');
    items = b;
  } else return [parsed];
  if (items.length === 0) fail(Reason.EmptyBatch, Field.Batch, 0);
  if (items.length > (opts?.maxBatch ?? MAX_BATCH)) fail(Reason.TooLarge, Field.Batch, 0, `${items.length} commands`);
  return items;
}

// ---------------------------------------------------------------------------------------------
// Binary
//
// Message: u8 magic 0xB7 | u8 version 1 | u16 count | count records. Record (little-endian):
//   u8 kind | u8 flags (slot flags: side | type<<1 | tif<<3 | stp<<5) | u16 symbolId |
//   u32 accountId | f64 orderId | f64 timestamp |
//   New: f64 price, f64 qty, and f64 stopPrice only when type is Stop/StopLimit
//   Amend: f64 price, f64 qty            Cancel: nothing more
// All f64 must be integer-valued safe integers.

export const BINARY_MAGIC = 0xb7;
export const BINARY_VERSION = 1;

function binaryRecordSize(c: Command): number {
  if (c.kind === CommandKind.New) return c.type === OrderType.Stop || c.type === OrderType.StopLimit ? 48 : 40;
  if (c.kind === CommandKind.Amend) return 40;
  if (c.kind === CommandKind.Cancel) return 24;
  throw new RangeError(`cannot encode command kind ${c.kind}`);
}

export function encodeBinary(cmds: readonly Command[]): Uint8Array {
  if (cmds.length === 0 || cmds.length > MAX_BATCH) throw new RangeError(`batch must hold 1..${MAX_BATCH} commands`);
  let size = 4;
  for (const c of cmds) size += binaryRecordSize(c);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint8(0, BINARY_MAGIC);
  v.setUint8(1, BINARY_VERSION);
  v.setUint16(2, cmds.length, true);
  let p = 4;
  for (const c of cmds) {
    v.setUint8(p, c.kind);
    v.setUint8(p + 1, (c.side & 1) | ((c.type & 3) << 1) | ((c.tif & 3) << 3) | ((c.stp & 7) << 5));
    v.setUint16(p + 2, c.symbolId, true);
    v.setUint32(p + 4, c.accountId, true);
    v.setFloat64(p + 8, c.orderId, true);
    v.setFloat64(p + 16, c.timestamp, true);
    p += 24;
    if (c.kind === CommandKind.New || c.kind === CommandKind.Amend) {
      v.setFloat64(p, c.price, true);
      v.setFloat64(p + 8, c.qty, true);
      p += 16;
      if (c.kind === CommandKind.New && (c.type === OrderType.Stop || c.type === OrderType.StopLimit)) {
        v.setFloat64(p, c.stopPrice, true);
        p += 8;
      }
    }
  }
  return out;
}

function binF64(v: DataView, p: number, field: number, index: number, min: number): number {
  const x = v.getFloat64(p, true);
  if (!Number.isInteger(x)) fail(Reason.NotInteger, field, index, String(x));
  if (!Number.isSafeInteger(x) || x < min) fail(Reason.OutOfRange, field, index, String(x));
  return x;
}

/** Sets every field of `c` to createCommand's defaults (a reused scratch command). */
function resetCommand(c: Command, partition: number, offset: number): Command {
  c.seq = 0;
  c.kind = CommandKind.New;
  c.side = Side.Buy;
  c.type = OrderType.Limit;
  c.tif = TimeInForce.GTC;
  c.stp = StpMode.Default;
  c.symbolId = 0;
  c.orderId = 0;
  c.accountId = 0;
  c.price = 0;
  c.qty = 0;
  c.stopPrice = 0;
  c.timestamp = 0;
  c.partition = partition;
  c.offset = offset;
  c.reason = 0;
  c.field = 0;
  return c;
}

type Emit = (c: Command) => void;

/** Binary records -> `emit` (a fresh command each, or `scratch` reused when given). */
function decodeBinaryInto(bytes: Uint8Array, emit: Emit, opts: DecodeOptions | undefined, lenient: boolean, scratch?: Command): void {
  if (bytes.length < 4) fail(Reason.Truncated, Field.Message, 0, `${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(0) !== BINARY_MAGIC) fail(Reason.Malformed, Field.Message, 0, 'bad magic');
  if (v.getUint8(1) !== BINARY_VERSION) fail(Reason.UnsupportedVersion, Field.Version, 0, String(v.getUint8(1)));
  const count = v.getUint16(2, true);
  if (count === 0) fail(Reason.EmptyBatch, Field.Batch, 0);
  if (count > (opts?.maxBatch ?? MAX_BATCH)) fail(Reason.TooLarge, Field.Batch, 0, `${count} commands`);
  let p = 4;
  for (let i = 0; i < count; i++) {
    const c = scratch ? resetCommand(scratch, opts?.partition ?? -1, opts?.offset ?? -1) : createCommand({ partition: opts?.partition ?? -1, offset: opts?.offset ?? -1 });
    if (p + 24 > bytes.length) fail(Reason.Truncated, Field.Message, i);
    // Recoverable ids first, so a lenient decode can carry them in the Invalid command.
    c.symbolId = v.getUint16(p + 2, true);
    c.accountId = v.getUint32(p + 4, true);
    const oid = v.getFloat64(p + 8, true);
    c.orderId = Number.isSafeInteger(oid) && oid >= 0 ? oid : 0;
    try {
      const kind = v.getUint8(p);
      if (kind !== CommandKind.New && kind !== CommandKind.Cancel && kind !== CommandKind.Amend) fail(Reason.UnknownEnum, Field.Op, i, String(kind));
      c.kind = kind;
      const flags = v.getUint8(p + 1);
      c.side = (flags & 1) as Side;
      c.type = ((flags >> 1) & 3) as OrderType;
      c.tif = ((flags >> 3) & 3) as TimeInForce;
      const stp = (flags >> 5) & 7;
      if (stp > StpMode.CancelBoth) fail(Reason.UnknownEnum, Field.Stp, i, String(stp));
      c.stp = stp as StpMode;
      if (c.symbolId === 0) fail(Reason.OutOfRange, Field.Symbol, i, '0');
      binF64(v, p + 8, Field.OrderId, i, 0);
      c.timestamp = binF64(v, p + 16, Field.Timestamp, i, -MAX_SAFE);
      const size = kind === CommandKind.Cancel ? 24 : kind === CommandKind.Amend ? 40 : c.type === OrderType.Stop || c.type === OrderType.StopLimit ? 48 : 40;
      if (p + size > bytes.length) fail(Reason.Truncated, Field.Message, i);
      if (kind !== CommandKind.Cancel) {
        c.price = binF64(v, p + 24, Field.Price, i, -MAX_SAFE);
        c.qty = binF64(v, p + 32, Field.Qty, i, -MAX_SAFE);
        if (size === 48) c.stopPrice = binF64(v, p + 40, Field.StopPrice, i, -MAX_SAFE);
      }
      if (kind !== CommandKind.New) {
        c.side = Side.Buy;
        c.type = OrderType.Limit;
        c.tif = TimeInForce.GTC;
        c.stp = StpMode.Default;
      }
      p += size;
      emit(c);
    } catch (e) {
      if (!lenient || !(e instanceof DecodeError) || e.reason === Reason.Truncated) throw e;
      emit(invalidCommand(e, c.partition, c.offset, c));
      // The record length is only known when kind/type decoded; stop at an unknown kind.
      const kind = v.getUint8(p);
      if (kind !== CommandKind.New && kind !== CommandKind.Cancel && kind !== CommandKind.Amend) return;
      const type = (v.getUint8(p + 1) >> 1) & 3;
      p += kind === CommandKind.Cancel ? 24 : kind === CommandKind.Amend ? 40 : type === OrderType.Stop || type === OrderType.StopLimit ? 48 : 40;
    }
  }
  if (p !== bytes.length) fail(Reason.TrailingBytes, Field.Message, count - 1, `${bytes.length - p} bytes`);
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * Decodes one Kafka message (one command or a batch). Throws only DecodeError (on the first bad
 * command; `error.index` says which).
 */
export function decodeMessage(bytes: Uint8Array, format: WireFormat = 'json', opts?: DecodeOptions): Command[] {
  try {
    if (format === 'binary') {
      const out: Command[] = [];
      decodeBinaryInto(bytes, (c) => out.push(c), opts, false);
      return out;
    }
    const items = jsonItems(parseJsonBytes(bytes), opts);
    const out: Command[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = commandFromJson(items[i], createCommand(), opts, i);
    return out;
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Defensive: anything unexpected is still reported as the typed error.
    throw new DecodeError(Reason.Malformed, Field.Message, 0, String((e as Error)?.message ?? e).slice(0, 80));
  }
}

/**
 * Like decodeMessage but never throws: each command that fails to decode becomes an `Invalid`
 * command (reason, field, recovered ids, partition/offset) in its place; a message that cannot be
 * split into commands at all becomes a single `Invalid` command. Nothing is dropped.
 */
export function decodeMessageLenient(bytes: Uint8Array, format: WireFormat = 'json', opts?: DecodeOptions): Command[] {
  const out: Command[] = [];
  decodeMessageEach(bytes, format, opts, null, (c) => out.push(c));
  return out;
}

/**
 * decodeMessageLenient without the array: each command (or `Invalid` command) goes to `emit`, in
 * order; returns how many. With a `scratch` command, decoded commands are written into it and
 * it is passed to every `emit` call (valid only during the call: copy what you keep), so the
 * hot path allocates no command objects (the Kafka poller writes each straight into a slot).
 * `Invalid` commands are always fresh objects.
 */
export function decodeMessageEach(bytes: Uint8Array, format: WireFormat, opts: DecodeOptions | undefined, scratch: Command | null, emit: Emit): number {
  const partition = opts?.partition ?? -1;
  const offset = opts?.offset ?? -1;
  let count = 0;
  const counted: Emit = (c) => {
    count++;
    emit(c);
  };
  try {
    if (format === 'binary') {
      try {
        decodeBinaryInto(bytes, counted, opts, true, scratch ?? undefined);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e; // from emit: not a decode error
        // Truncated / trailing / header errors: keep what decoded, then one Invalid for the rest.
        counted(invalidCommand(e, partition, offset));
      }
      return count;
    }
    if (scratch !== null && decodeJsonCommandFast(bytes, scratch, opts)) {
      counted(scratch);
      return count;
    }
    const items = jsonItems(parseJsonBytes(bytes), opts);
    for (let i = 0; i < items.length; i++) {
      let c: Command;
      try {
        c = commandFromJson(items[i], scratch ?? createCommand(), opts, i);
      } catch (e) {
        c = invalidCommand(e, partition, offset, recoverJsonIds(items[i], opts));
      }
      counted(c);
    }
    return count;
  } catch (e) {
    if (count > 0) throw e; // an emit failed: not a decode error
    counted(invalidCommand(e, partition, offset));
    return count;
  }
}

function recoverJsonIds(item: unknown, opts: DecodeOptions | undefined): Partial<Command> {
  const ids: Partial<Command> = {};
  if (typeof item !== 'object' || item === null) return ids;
  const o = item as Record<string, unknown>;
  const num = (x: unknown, max: number): number | undefined => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= max ? x : undefined);
  const oid = num(o.orderId, MAX_SAFE);
  if (oid !== undefined) ids.orderId = oid;
  const acc = num(o.account, 0xffffffff);
  if (acc !== undefined) ids.accountId = acc;
  const sym = typeof o.symbol === 'string' ? opts?.symbols?.idOf(o.symbol) : num(o.symbol ?? o.symbolId, 0xffff);
  if (sym !== undefined && sym > 0) ids.symbolId = sym;
  const ts = num(o.ts, MAX_SAFE);
  if (ts !== undefined) ids.timestamp = ts;
  return ids;
}

/** Builds an `Invalid` command from a decode failure (any thrown value; non-DecodeErrors map to Malformed). */
export function invalidCommand(error: unknown, partition = -1, offset = -1, recovered?: Partial<Command>): Command {
  const c = createCommand({ kind: CommandKind.Invalid, partition, offset });
  if (recovered) {
    c.symbolId = recovered.symbolId ?? 0;
    c.orderId = recovered.orderId ?? 0;
    c.accountId = recovered.accountId ?? 0;
    c.timestamp = recovered.timestamp ?? 0;
  }
  c.side = Side.Buy;
  c.type = OrderType.Limit;
  c.tif = TimeInForce.GTC;
  c.stp = StpMode.Default;
  c.price = 0;
  c.qty = 0;
  c.stopPrice = 0;
  if (error instanceof DecodeError) {
    c.reason = error.reason;
    c.field = error.field;
  } else {
    c.reason = Reason.Malformed;
    c.field = Field.Message;
  }
  return c;
}

/** Encodes commands as one Kafka message: JSON (a single object, or an array for a batch) or binary. */
export function encodeMessage(cmds: Command | readonly Command[], format: WireFormat = 'json', symbols?: SymbolTable): Uint8Array {
  const list = Array.isArray(cmds) ? (cmds as readonly Command[]) : [cmds as Command];
  if (format === 'binary') return encodeBinary(list);
  if (list.length === 1 && !Array.isArray(cmds)) return utf8Enc.encode(commandToJson(list[0]!, symbols));
  return utf8Enc.encode(`[${list.map((c) => commandToJson(c, symbols)).join(',')}]`);
}
