// Output JSON written straight into bytes (the sinks' hot path): the text of output-json.ts
// without building strings.
import { SIDE_TEXT, STATUS_TEXT, TIF_TEXT, TYPE_TEXT } from './enum-names.js';
import { symbolPart } from './output-json.js';
import type { SymbolTable } from './symbols.js';
import { fieldName, reasonText, type ExecutionReport, type Trade } from './types.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const N_HEAD = ascii('{"n":');
const TRADE_OPEN = ascii('{"type":"trade","seq":');
const TRADE_AFTER_N = ascii(',"type":"trade","seq":');
const REPORT_OPEN = ascii('{"type":"report","seq":');
const REPORT_AFTER_N = ascii(',"type":"report","seq":');
const F_TS = ascii(',"ts":');
const TRADE_ID = ascii(',"tradeId":');
const TRADE_PRICE = ascii(',"price":');
const TRADE_QTY = ascii(',"qty":');
const TRADE_MAKER = ascii(',"makerOrderId":');
const TRADE_TAKER = ascii(',"takerOrderId":');
const TRADE_MAKER_ACCOUNT = ascii(',"makerAccount":');
const TRADE_TAKER_ACCOUNT = ascii(',"takerAccount":');
const R_ORDER = ascii(',"orderId":');
const R_ACCOUNT = ascii(',"account":');
const R_PRICE = ascii(',"price":');
const R_STOP = ascii(',"stopPrice":');
const R_QTY = ascii(',"qty":');
const R_CUM = ascii(',"cumQty":');
const R_LEAVES = ascii(',"leavesQty":');
const R_LAST_QTY = ascii(',"lastQty":');
const R_LAST_PRICE = ascii(',"lastPrice":');
const R_TRADE_ID = ascii(',"tradeId":');
const R_REASON_CODE = ascii(',"reasonCode":');
const R_SOURCE_PARTITION = ascii(',"source":{"partition":');
const R_SOURCE_OFFSET = ascii(',"offset":');
const CLOSE = ascii('}');
const CLOSE_SOURCE = ascii('}}');
/** tailPart key bit: the reason + field fragment without the closing brace (a source follows). */
const TAIL_OPEN = 1 << 16;
const NEWLINE = 10;
const DIGITS = new Uint8Array(24);
/** Decimal digits of 0 <= v < 2^31. */
function digitCount(v: number): number {
  if (v < 100000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** Writes a safe integer in decimal at `offset`; returns the offset after it. */
function writeInteger(out: Uint8Array, offset: number, value: number): number {
  let v = value;
  if (v < 0) {
    out[offset++] = 45; // '-'
    v = -v;
  }
  if (v <= 2147483647) {
    // Common case: int32 arithmetic, digits written in place from the end.
    let small = v | 0;
    const end = offset + digitCount(small);
    let o = end;
    do {
      const q = (small / 10) | 0;
      out[--o] = 48 + small - q * 10;
      small = q;
    } while (small > 0);
    return end;
  }
  let n = 0;
  while (v > 2147483647) {
    const q = Math.floor(v / 10);
    DIGITS[n++] = 48 + (v - q * 10);
    v = q;
  }
  let small = v | 0;
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

/** Concatenates fragments into one, cached under `key`. */
function joined(cache: Map<number, Uint8Array>, key: number, parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) at = put(whole, at, p);
  cache.set(key, whole);
  return whole;
}

/** A fragment per small enum value, built on first use (unknown values included). */
class Fragments {
  private readonly parts: Uint8Array[] = [];
  constructor(private readonly make: (value: number) => string) {}
  get(value: number): Uint8Array {
    let part = this.parts[value];
    if (!part) this.parts[value] = part = ascii(this.make(value));
    return part;
  }
  /** Longest fragment over values 0..255 (enums are u8 in the output slot). */
  longest(): number {
    let max = 0;
    for (let v = 0; v < 256; v++) max = Math.max(max, this.get(v).length);
    return max;
  }
}

/**
 * Writes output JSON straight into bytes: exactly the text of encodeTradeJson / encodeReportJson,
 * optionally with a leading `"n":<n>` field (the file sink's per-file line index) and a trailing
 * newline, without building strings (the sinks' hot path: the string versions cost about 2 us and
 * 1 KB of garbage per output, and the garbage made GC a third of the Kafka sink's time).
 */
export class OutputJsonEncoder {
  /** Longest output this encoder can write (bytes, newline included): reserve this much. */
  readonly maxBytes: number;
  private readonly symbolParts: Fragments;
  private readonly status = new Fragments((v) => `,"status":"${STATUS_TEXT[v] ?? v}"`);
  private readonly side = new Fragments((v) => `,"side":"${SIDE_TEXT[v] ?? v}"`);
  private readonly orderType = new Fragments((v) => `,"orderType":"${TYPE_TEXT[v] ?? v}"`);
  private readonly tif = new Fragments((v) => `,"tif":"${TIF_TEXT[v] ?? v}"`);
  private readonly reason = new Fragments((v) => `,"reason":${v ? JSON.stringify(reasonText(v)) : '""'}`);
  private readonly field = new Fragments((v) => (v ? `,"field":${JSON.stringify(fieldName(v))}` : ''));
  private readonly takerSide = new Fragments((v) => `,"takerSide":"${SIDE_TEXT[v]}"}`);
  /** status + side + orderType + tif as one fragment (one copy instead of four). */
  private readonly orderPart = new Map<number, Uint8Array>();
  /** reason + field + closing brace as one fragment (without the brace when a source follows). */
  private readonly tailPart = new Map<number, Uint8Array>();

  constructor(symbols?: SymbolTable) {
    this.symbolParts = new Fragments((id) => `,${symbolPart(id, symbols)}`);
    let longestSymbol = 32;
    for (const def of symbols?.list() ?? []) longestSymbol = Math.max(longestSymbol, this.symbolParts.get(def.id).length);
    const enums =
      this.takerSide.longest() +
      this.status.longest() +
      this.side.longest() +
      this.orderType.longest() +
      this.tif.longest() +
      this.reason.longest() +
      this.field.longest();
    // Fixed text (under 300 bytes, a report with its source included) + at most 16 integers of at
    // most 17 characters each (a report: "n", 13 numeric fields and the source's two).
    this.maxBytes = 300 + 16 * 17 + longestSymbol + enums;
  }

  /** Writes a trade at `offset` (maxBytes must be free); `n` >= 0 adds the "n" field. Returns the end. */
  writeTrade(out: Uint8Array, offset: number, t: Trade, n = -1, newline = false): number {
    let o = n >= 0 ? put(out, writeInteger(out, put(out, offset, N_HEAD), n), TRADE_AFTER_N) : put(out, offset, TRADE_OPEN);
    o = writeInteger(out, o, t.seq);
    o = writeInteger(out, put(out, o, F_TS), t.timestamp);
    o = writeInteger(out, put(out, o, TRADE_ID), t.tradeId);
    o = put(out, o, this.symbolParts.get(t.symbolId));
    o = writeInteger(out, put(out, o, TRADE_PRICE), t.price);
    o = writeInteger(out, put(out, o, TRADE_QTY), t.qty);
    o = writeInteger(out, put(out, o, TRADE_MAKER), t.makerOrderId);
    o = writeInteger(out, put(out, o, TRADE_TAKER), t.takerOrderId);
    o = writeInteger(out, put(out, o, TRADE_MAKER_ACCOUNT), t.makerAccountId);
    o = writeInteger(out, put(out, o, TRADE_TAKER_ACCOUNT), t.takerAccountId);
    o = put(out, o, this.takerSide.get(t.takerSide));
    if (newline) out[o++] = NEWLINE;
    return o;
  }

  /** Writes an execution report at `offset` (maxBytes must be free); see writeTrade. */
  writeReport(out: Uint8Array, offset: number, r: ExecutionReport, n = -1, newline = false): number {
    let o = n >= 0 ? put(out, writeInteger(out, put(out, offset, N_HEAD), n), REPORT_AFTER_N) : put(out, offset, REPORT_OPEN);
    o = writeInteger(out, o, r.seq);
    o = writeInteger(out, put(out, o, F_TS), r.timestamp);
    o = put(out, o, this.symbolParts.get(r.symbolId));
    o = writeInteger(out, put(out, o, R_ORDER), r.orderId);
    o = writeInteger(out, put(out, o, R_ACCOUNT), r.accountId);
    const orderKey = ((r.status * 256 + r.side) * 256 + r.type) * 256 + r.tif;
    o = put(
      out,
      o,
      this.orderPart.get(orderKey) ??
        joined(this.orderPart, orderKey, [this.status.get(r.status), this.side.get(r.side), this.orderType.get(r.type), this.tif.get(r.tif)]),
    );
    o = writeInteger(out, put(out, o, R_PRICE), r.price);
    o = writeInteger(out, put(out, o, R_STOP), r.stopPrice);
    o = writeInteger(out, put(out, o, R_QTY), r.qty);
    o = writeInteger(out, put(out, o, R_CUM), r.cumQty);
    o = writeInteger(out, put(out, o, R_LEAVES), r.leavesQty);
    o = writeInteger(out, put(out, o, R_LAST_QTY), r.lastQty);
    o = writeInteger(out, put(out, o, R_LAST_PRICE), r.lastPrice);
    o = writeInteger(out, put(out, o, R_TRADE_ID), r.tradeId);
    o = writeInteger(out, put(out, o, R_REASON_CODE), r.reason);
    if (r.sourcePosition >= 0) {
      const openKey = TAIL_OPEN + r.reason * 256 + r.field;
      o = put(out, o, this.tailPart.get(openKey) ?? joined(this.tailPart, openKey, [this.reason.get(r.reason), this.field.get(r.field)]));
      o = writeInteger(out, put(out, o, R_SOURCE_PARTITION), r.sourceStream);
      o = put(out, writeInteger(out, put(out, o, R_SOURCE_OFFSET), r.sourcePosition), CLOSE_SOURCE);
    } else {
      const tailKey = r.reason * 256 + r.field;
      o = put(out, o, this.tailPart.get(tailKey) ?? joined(this.tailPart, tailKey, [this.reason.get(r.reason), this.field.get(r.field), CLOSE]));
    }
    if (newline) out[o++] = NEWLINE;
    return o;
  }
}
