// JSON encoders for outputs (NDJSON files and the Kafka trades topic): stable field order,
// integers only, and a `reason` text next to the `reasonCode` of rejects / cancels.
import { OutputKind, createReport, createTrade, fieldName, reasonText, type ExecutionReport, type Trade, type Side, type OrderType, type TimeInForce, type ExecStatus } from './types.js';
import type { SymbolTable } from './symbols.js';
import { SIDE_TEXT, TIF_TEXT, TYPE_TEXT } from './wire.js';

export const STATUS_TEXT = ['', 'accepted', 'rejected', 'partially_filled', 'filled', 'cancelled', 'amended', 'expired', 'triggered'] as const;

function symbolPart(symbolId: number, symbols?: SymbolTable): string {
  const name = symbols?.nameOf(symbolId);
  return name === undefined ? `"symbolId":${symbolId}` : `"symbol":${JSON.stringify(name)},"symbolId":${symbolId}`;
}

/**
 * `{"type":"report","seq":..,"ts":..,["symbol":..,]"symbolId":..,"orderId":..,"account":..,
 *   "status":..,"side":..,"orderType":..,"tif":..,"price":..,"stopPrice":..,"qty":..,"cumQty":..,
 *   "leavesQty":..,"lastQty":..,"lastPrice":..,"tradeId":..,"reasonCode":..,"reason":..[,"field":..]}`
 */
export function encodeReportJson(r: ExecutionReport, symbols?: SymbolTable): string {
  let s = `{"type":"report","seq":${r.seq},"ts":${r.timestamp},${symbolPart(r.symbolId, symbols)},"orderId":${r.orderId},"account":${r.accountId},"status":"${STATUS_TEXT[r.status] ?? r.status}","side":"${SIDE_TEXT[r.side] ?? r.side}","orderType":"${TYPE_TEXT[r.type] ?? r.type}","tif":"${TIF_TEXT[r.tif] ?? r.tif}","price":${r.price},"stopPrice":${r.stopPrice},"qty":${r.qty},"cumQty":${r.cumQty},"leavesQty":${r.leavesQty},"lastQty":${r.lastQty},"lastPrice":${r.lastPrice},"tradeId":${r.tradeId},"reasonCode":${r.reason},"reason":${r.reason ? JSON.stringify(reasonText(r.reason)) : '""'}`;
  if (r.field) s += `,"field":${JSON.stringify(fieldName(r.field))}`;
  return `${s}}`;
}

/**
 * `{"type":"trade","seq":..,"ts":..,"tradeId":..,["symbol":..,]"symbolId":..,"price":..,"qty":..,
 *   "makerOrderId":..,"takerOrderId":..,"makerAccount":..,"takerAccount":..,"takerSide":..}`
 */
export function encodeTradeJson(t: Trade, symbols?: SymbolTable): string {
  return `{"type":"trade","seq":${t.seq},"ts":${t.timestamp},"tradeId":${t.tradeId},${symbolPart(t.symbolId, symbols)},"price":${t.price},"qty":${t.qty},"makerOrderId":${t.makerOrderId},"takerOrderId":${t.takerOrderId},"makerAccount":${t.makerAccountId},"takerAccount":${t.takerAccountId},"takerSide":"${SIDE_TEXT[t.takerSide]}"}`;
}

export type ParsedOutput = { kind: typeof OutputKind.Report; report: ExecutionReport } | { kind: typeof OutputKind.Trade; trade: Trade };

const FIELD_CODES: Record<string, number> = {};
['', 'op', 'side', 'type', 'tif', 'stp', 'symbol', 'orderId', 'account', 'price', 'qty', 'stopPrice', 'ts', 'message', 'version', 'batch'].forEach((n, i) => {
  if (n) FIELD_CODES[n] = i;
});

/** Parses one line written by encodeReportJson / encodeTradeJson (tests, tools). Throws on bad input. */
export function parseOutputJson(line: string): ParsedOutput {
  const o = JSON.parse(line) as Record<string, unknown>;
  const n = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`output field ${k} is not an integer`);
    return v;
  };
  if (o.type === 'trade') {
    return {
      kind: OutputKind.Trade,
      trade: createTrade({
        seq: n('seq'),
        timestamp: n('ts'),
        tradeId: n('tradeId'),
        symbolId: n('symbolId'),
        price: n('price'),
        qty: n('qty'),
        makerOrderId: n('makerOrderId'),
        takerOrderId: n('takerOrderId'),
        makerAccountId: n('makerAccount'),
        takerAccountId: n('takerAccount'),
        takerSide: SIDE_TEXT.indexOf(o.takerSide as 'buy') as Side,
      }),
    };
  }
  if (o.type !== 'report') throw new TypeError('not a report or trade');
  const status = STATUS_TEXT.indexOf(o.status as 'filled');
  if (status < 1) throw new TypeError(`unknown status ${String(o.status)}`);
  return {
    kind: OutputKind.Report,
    report: createReport({
      seq: n('seq'),
      timestamp: n('ts'),
      status: status as ExecStatus,
      reason: n('reasonCode'),
      field: typeof o.field === 'string' ? (FIELD_CODES[o.field] ?? 0) : 0,
      symbolId: n('symbolId'),
      orderId: n('orderId'),
      accountId: n('account'),
      side: SIDE_TEXT.indexOf(o.side as 'buy') as Side,
      type: TYPE_TEXT.indexOf(o.orderType as 'limit') as OrderType,
      tif: TIF_TEXT.indexOf(o.tif as 'gtc') as TimeInForce,
      price: n('price'),
      stopPrice: n('stopPrice'),
      qty: n('qty'),
      cumQty: n('cumQty'),
      leavesQty: n('leavesQty'),
      lastQty: n('lastQty'),
      lastPrice: n('lastPrice'),
      tradeId: n('tradeId'),
    }),
  };
}


const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const TRADE_HEAD = ascii('{"n":');
const TRADE_TYPE_SEQ = ascii(',"type":"trade","seq":');
const TRADE_TS = ascii(',"ts":');
const TRADE_ID = ascii(',"tradeId":');
const TRADE_PRICE = ascii(',"price":');
const TRADE_QTY = ascii(',"qty":');
const TRADE_MAKER = ascii(',"makerOrderId":');
const TRADE_TAKER = ascii(',"takerOrderId":');
const TRADE_MAKER_ACCOUNT = ascii(',"makerAccount":');
const TRADE_TAKER_ACCOUNT = ascii(',"takerAccount":');
const TRADE_SIDE = SIDE_TEXT.map((side) => ascii(`,"takerSide":"${side}"}\n`));
const DIGITS = new Uint8Array(24);

/** Writes a safe integer in decimal at `offset`; returns the offset after it. */
function writeInteger(out: Uint8Array, offset: number, value: number): number {
  let v = value;
  if (v < 0) {
    out[offset++] = 45; // '-'
    v = -v;
  }
  let n = 0;
  while (v > 2147483647) {
    const q = Math.floor(v / 10);
    DIGITS[n++] = 48 + (v - q * 10);
    v = q;
  }
  let small = v | 0; // int32 arithmetic for the common case
  do {
    const q = (small / 10) | 0;
    DIGITS[n++] = 48 + small - q * 10;
    small = q;
  } while (small > 0);
  while (n > 0) out[offset++] = DIGITS[--n]!;
  return offset;
}

/** Copies a short constant fragment (a loop beats TypedArray.set at these sizes). */
function put(out: Uint8Array, offset: number, fragment: Uint8Array): number {
  for (let i = 0; i < fragment.length; i++) out[offset + i] = fragment[i]!;
  return offset + fragment.length;
}

/**
 * Writes trade NDJSON lines straight into bytes: the same text as
 * `{"n":<n>,` + encodeTradeJson(trade).slice(1) + "\n", without building strings (the sink's hot
 * path: the string version cost about 2 us and 1 KB of garbage per trade).
 */
export class TradeLineEncoder {
  /** Longest line this encoder can write (bytes): reserve this much before calling write(). */
  readonly maxLineBytes: number;
  private readonly symbolParts: Uint8Array[] = [];

  constructor(private readonly symbols?: SymbolTable) {
    let longest = 0;
    for (const def of symbols?.list() ?? []) {
      const part = ascii(`,${symbolPart(def.id, symbols)}`);
      this.symbolParts[def.id] = part;
      longest = Math.max(longest, part.length);
    }
    // Fixed text + 9 integers of at most 17 characters + the longest symbol part.
    this.maxLineBytes = 200 + 9 * 17 + Math.max(longest, 32);
  }

  private symbol(symbolId: number): Uint8Array {
    let part = this.symbolParts[symbolId];
    if (!part) this.symbolParts[symbolId] = part = ascii(`,${symbolPart(symbolId, this.symbols)}`);
    return part;
  }

  /** Writes one line at `offset` (at least maxLineBytes must be free); returns the new offset. */
  write(out: Uint8Array, offset: number, n: number, t: Trade): number {
    let o = writeInteger(out, put(out, offset, TRADE_HEAD), n);
    o = writeInteger(out, put(out, o, TRADE_TYPE_SEQ), t.seq);
    o = writeInteger(out, put(out, o, TRADE_TS), t.timestamp);
    o = writeInteger(out, put(out, o, TRADE_ID), t.tradeId);
    o = put(out, o, this.symbol(t.symbolId));
    o = writeInteger(out, put(out, o, TRADE_PRICE), t.price);
    o = writeInteger(out, put(out, o, TRADE_QTY), t.qty);
    o = writeInteger(out, put(out, o, TRADE_MAKER), t.makerOrderId);
    o = writeInteger(out, put(out, o, TRADE_TAKER), t.takerOrderId);
    o = writeInteger(out, put(out, o, TRADE_MAKER_ACCOUNT), t.makerAccountId);
    o = writeInteger(out, put(out, o, TRADE_TAKER_ACCOUNT), t.takerAccountId);
    return put(out, o, TRADE_SIDE[t.takerSide]!);
  }
}
