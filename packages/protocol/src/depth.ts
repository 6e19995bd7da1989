// L2 market data: the changes of a symbol's top price levels, as the matcher publishes them after
// each command (the depth stream, book.ndjson and the <topic>.book Kafka topic). A level update
// sets one level of one side to its aggregate open quantity and order count (quantity 0: the
// level left the top N); a snapshot line says the symbol's full top N follows (its bid levels,
// then its ask levels, best first, all at the snapshot's sequence), so a reader can start there.
//
// Output slot, kind 4 (see slot.ts for the other kinds):
//   off type  field
//    0  f64   seq        engine sequence the update is exact at
//    8  f64   price      level (Level)
//   16  f64   qty        aggregate open quantity, 0 = removed (Level)
//   24  u32   orders     orders at the level (Level)
//   28  u32   bids       bid levels that follow (Snapshot)
//   32  u32   asks       ask levels that follow (Snapshot)
//   76  u16   symbolId
//   78  u8    kind = 4
//   79  u8    depth kind: 0 Level, 1 Snapshot
//   82  u8    side (Level)
import { SIDE_TEXT } from './enum-names.js';
import { symbolPart } from './output-json.js';
import { viewOf } from './slot.js';
import type { SymbolTable } from './symbols.js';
import { OutputKind, Side } from './types.js';

export const DepthKind = { Level: 0, Snapshot: 1 } as const;
export type DepthKind = (typeof DepthKind)[keyof typeof DepthKind];

/** One line of the depth stream. The matcher reuses one instance: copy it if you keep it. */
export interface DepthUpdate {
  seq: number;
  symbolId: number;
  kind: DepthKind;
  side: Side;
  price: number;
  qty: number;
  orders: number;
  /** Snapshot: how many bid and ask level lines follow. */
  bids: number;
  asks: number;
}

export function createDepthUpdate(init?: Partial<DepthUpdate>): DepthUpdate {
  const d: DepthUpdate = { seq: 0, symbolId: 0, kind: DepthKind.Level, side: Side.Buy, price: 0, qty: 0, orders: 0, bids: 0, asks: 0 };
  if (init) Object.assign(d, init);
  return d;
}

export function writeDepth(bytes: Uint8Array, offset: number, d: DepthUpdate): void {
  const v = viewOf(bytes);
  v.setFloat64(offset, d.seq, true);
  v.setFloat64(offset + 8, d.price, true);
  v.setFloat64(offset + 16, d.qty, true);
  v.setUint32(offset + 24, d.orders, true);
  v.setUint32(offset + 28, d.bids, true);
  v.setUint32(offset + 32, d.asks, true);
  v.setUint16(offset + 76, d.symbolId, true);
  v.setUint8(offset + 78, OutputKind.Depth);
  v.setUint8(offset + 79, d.kind);
  v.setUint8(offset + 82, d.side);
}

export function readDepth(bytes: Uint8Array, offset: number, into: DepthUpdate): DepthUpdate {
  const v = viewOf(bytes);
  into.seq = v.getFloat64(offset, true);
  into.price = v.getFloat64(offset + 8, true);
  into.qty = v.getFloat64(offset + 16, true);
  into.orders = v.getUint32(offset + 24, true);
  into.bids = v.getUint32(offset + 28, true);
  into.asks = v.getUint32(offset + 32, true);
  into.symbolId = v.getUint16(offset + 76, true);
  into.kind = v.getUint8(offset + 79) as DepthKind;
  into.side = v.getUint8(offset + 82) as Side;
  return into;
}

/** Parses a line written by encodeDepthJson (tests, tools; symbols by id). Throws on bad input. */
export function parseDepthJson(line: string): DepthUpdate {
  const o = JSON.parse(line) as Record<string, unknown>;
  const n = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`depth field ${k} is not an integer >= 0`);
    return v;
  };
  if (o.type === 'snapshot') return createDepthUpdate({ seq: n('seq'), symbolId: n('symbolId'), kind: DepthKind.Snapshot, bids: n('bids'), asks: n('asks') });
  if (o.type !== 'level') throw new TypeError('not a depth line');
  const side = SIDE_TEXT.indexOf(o.side as 'buy');
  if (side < 0) throw new TypeError(`unknown side ${String(o.side)}`);
  return createDepthUpdate({ seq: n('seq'), symbolId: n('symbolId'), side: side as Side, price: n('price'), qty: n('qty'), orders: n('orders') });
}

/**
 * `{"type":"level","seq":..,["symbol":..,]"symbolId":..,"side":..,"price":..,"qty":..,"orders":..}` or
 * `{"type":"snapshot","seq":..,["symbol":..,]"symbolId":..,"bids":..,"asks":..}`.
 */
export function encodeDepthJson(d: DepthUpdate, symbols?: SymbolTable): string {
  const head = `"seq":${d.seq},${symbolPart(d.symbolId, symbols)}`;
  if (d.kind === DepthKind.Snapshot) return `{"type":"snapshot",${head},"bids":${d.bids},"asks":${d.asks}}`;
  return `{"type":"level",${head},"side":"${SIDE_TEXT[d.side] ?? d.side}","price":${d.price},"qty":${d.qty},"orders":${d.orders}}`;
}
