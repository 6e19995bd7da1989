// Commands as JSON text: the canonical form of one command, the one the decoders' fast path scans.
import { OP_TEXT, SIDE_TEXT, STP_TEXT, TIF_TEXT, TYPE_TEXT } from './enum-names.js';
import type { SymbolTable } from './symbols.js';
import { CommandKind, OrderType, StpMode, type Command } from './types.js';

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
