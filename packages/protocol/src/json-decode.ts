// The general JSON path: UTF-8 decode + JSON.parse, then each command object validated field by
// field with the exact error (reason + field + batch index). Decides everything the fast scanner
// (json-scanner.ts) steps aside for.
import { MAX_BATCH, fail, type DecodeOptions } from './decoding.js';
import { OP_NAMES, SIDE_NAMES, STP_NAMES, TIF_NAMES, TYPE_NAMES } from './enum-names.js';
import { CommandKind, Field, OrderType, Reason, StpMode, TimeInForce, resetCommand, type Command } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const hasOwn = Object.prototype.hasOwnProperty;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

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
  resetCommand(into, opts?.sourceStream ?? -1, opts?.sourcePosition ?? -1);
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

/** The message's bytes as parsed JSON; DecodeError (Malformed) for invalid UTF-8 or JSON. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
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

/** The command objects of a parsed message: a single object, an array, or `{"batch": [...]}`. */
export function jsonItems(parsed: unknown, opts: DecodeOptions | undefined): unknown[] {
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

/** The ids a command object that failed validation still carries, for its Invalid command. */
export function recoverJsonIds(item: unknown, opts: DecodeOptions | undefined): Partial<Command> {
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
