// Outputs as JSON text (NDJSON files and the Kafka trades topic): stable field order, integers
// only, and a `reason` text next to the `reasonCode` of rejects / cancels; and the parser of
// that text back into outputs (tests, tools).
import { SIDE_TEXT, STATUS_TEXT, TIF_TEXT, TYPE_TEXT } from './enum-names.js';
import type { DepthUpdate } from './depth.js';
import type { SymbolTable } from './symbols.js';
import {
  OutputKind,
  createReport,
  createTrade,
  fieldName,
  reasonText,
  type ExecStatus,
  type ExecutionReport,
  type OrderType,
  type Side,
  type TimeInForce,
  type Trade,
} from './types.js';

/** An output's symbol fields: its name when the table knows it, and its id. */
export function symbolPart(symbolId: number, symbols?: SymbolTable): string {
  const name = symbols?.nameOf(symbolId);
  return name === undefined ? `"symbolId":${symbolId}` : `"symbol":${JSON.stringify(name)},"symbolId":${symbolId}`;
}

/**
 * `{"type":"report","seq":..,"ts":..,["symbol":..,]"symbolId":..,"orderId":..,"account":..,
 *   "status":..,"side":..,"orderType":..,"tif":..,"price":..,"stopPrice":..,"qty":..,"cumQty":..,
 *   "leavesQty":..,"lastQty":..,"lastPrice":..,"tradeId":..,"reasonCode":..,"reason":..[,"field":..]
 *   [,"source":{"partition":..,"offset":..}]}`
 * `source` is on REJECTED reports for undecodable input only: where the input came from (Kafka
 * partition and offset; a file source is partition 0 and the 0-based line number as offset).
 */
export function encodeReportJson(r: ExecutionReport, symbols?: SymbolTable): string {
  let s = `{"type":"report","seq":${r.seq},"ts":${r.timestamp},${symbolPart(r.symbolId, symbols)},"orderId":${r.orderId},"account":${r.accountId},"status":"${STATUS_TEXT[r.status] ?? r.status}","side":"${SIDE_TEXT[r.side] ?? r.side}","orderType":"${TYPE_TEXT[r.type] ?? r.type}","tif":"${TIF_TEXT[r.tif] ?? r.tif}","price":${r.price},"stopPrice":${r.stopPrice},"qty":${r.qty},"cumQty":${r.cumQty},"leavesQty":${r.leavesQty},"lastQty":${r.lastQty},"lastPrice":${r.lastPrice},"tradeId":${r.tradeId},"reasonCode":${r.reason},"reason":${r.reason ? JSON.stringify(reasonText(r.reason)) : '""'}`;
  if (r.field) s += `,"field":${JSON.stringify(fieldName(r.field))}`;
  if (r.sourcePosition >= 0) s += `,"source":{"partition":${r.sourceStream},"offset":${r.sourcePosition}}`;
  return `${s}}`;
}

/**
 * `{"type":"trade","seq":..,"ts":..,"tradeId":..,["symbol":..,]"symbolId":..,"price":..,"qty":..,
 *   "makerOrderId":..,"takerOrderId":..,"makerAccount":..,"takerAccount":..,"takerSide":..}`
 */
export function encodeTradeJson(t: Trade, symbols?: SymbolTable): string {
  return `{"type":"trade","seq":${t.seq},"ts":${t.timestamp},"tradeId":${t.tradeId},${symbolPart(t.symbolId, symbols)},"price":${t.price},"qty":${t.qty},"makerOrderId":${t.makerOrderId},"takerOrderId":${t.takerOrderId},"makerAccount":${t.makerAccountId},"takerAccount":${t.takerAccountId},"takerSide":"${SIDE_TEXT[t.takerSide]}"}`;
}

export type ParsedOutput =
  | { kind: typeof OutputKind.Report; report: ExecutionReport }
  | { kind: typeof OutputKind.Trade; trade: Trade }
  | { kind: typeof OutputKind.Depth; depth: DepthUpdate };

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
  let sourceStream = -1;
  let sourcePosition = -1;
  if (o.source !== undefined) {
    const src = o.source as Record<string, unknown> | null;
    if (typeof src !== 'object' || src === null || !Number.isSafeInteger(src.partition) || !Number.isSafeInteger(src.offset))
      throw new TypeError('output field source is not {"partition":int,"offset":int}');
    sourceStream = src.partition as number;
    sourcePosition = src.offset as number;
  }
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
      sourceStream,
      sourcePosition,
    }),
  };
}
