// Output JSON written straight into bytes (the sinks' hot path): the text of output-json.ts
// without building strings.
import { SIDE_TEXT, STATUS_TEXT, TIF_TEXT, TYPE_TEXT } from './enum-names.js';
import { symbolPart } from './output-json.js';
import type { SymbolTable } from './symbols.js';
import { Fragment, WORD_SLACK, writeInteger } from './json-bytes.js';
import { DepthKind, type DepthUpdate } from './depth.js';
import { fieldName, reasonText, type ExecutionReport, type Trade } from './types.js';

/** The constant text of trades and reports, by piece (shared with the native writer). */
const TEXT = {
  nHead: '{"n":',
  tradeOpen: '{"type":"trade","seq":',
  tradeAfterN: ',"type":"trade","seq":',
  reportOpen: '{"type":"report","seq":',
  reportAfterN: ',"type":"report","seq":',
  ts: ',"ts":',
  tradeId: ',"tradeId":',
  tradePrice: ',"price":',
  tradeQty: ',"qty":',
  tradeMaker: ',"makerOrderId":',
  tradeTaker: ',"takerOrderId":',
  tradeMakerAccount: ',"makerAccount":',
  tradeTakerAccount: ',"takerAccount":',
  order: ',"orderId":',
  account: ',"account":',
  price: ',"price":',
  stop: ',"stopPrice":',
  qty: ',"qty":',
  cum: ',"cumQty":',
  leaves: ',"leavesQty":',
  lastQty: ',"lastQty":',
  lastPrice: ',"lastPrice":',
  reportTradeId: ',"tradeId":',
  reasonCode: ',"reasonCode":',
  sourcePartition: ',"source":{"partition":',
  sourceOffset: ',"offset":',
  close: '}',
  closeSource: '}}',
} as const;

const N_HEAD = Fragment.of(TEXT.nHead);
const TRADE_OPEN = Fragment.of(TEXT.tradeOpen);
const TRADE_AFTER_N = Fragment.of(TEXT.tradeAfterN);
const REPORT_OPEN = Fragment.of(TEXT.reportOpen);
const REPORT_AFTER_N = Fragment.of(TEXT.reportAfterN);
const F_TS = Fragment.of(TEXT.ts);
const TRADE_ID = Fragment.of(TEXT.tradeId);
const TRADE_PRICE = Fragment.of(TEXT.tradePrice);
const TRADE_QTY = Fragment.of(TEXT.tradeQty);
const TRADE_MAKER = Fragment.of(TEXT.tradeMaker);
const TRADE_TAKER = Fragment.of(TEXT.tradeTaker);
const TRADE_MAKER_ACCOUNT = Fragment.of(TEXT.tradeMakerAccount);
const TRADE_TAKER_ACCOUNT = Fragment.of(TEXT.tradeTakerAccount);
const R_ORDER = Fragment.of(TEXT.order);
const R_ACCOUNT = Fragment.of(TEXT.account);
const R_PRICE = Fragment.of(TEXT.price);
const R_STOP = Fragment.of(TEXT.stop);
const R_QTY = Fragment.of(TEXT.qty);
const R_CUM = Fragment.of(TEXT.cum);
const R_LEAVES = Fragment.of(TEXT.leaves);
const R_LAST_QTY = Fragment.of(TEXT.lastQty);
const R_LAST_PRICE = Fragment.of(TEXT.lastPrice);
const R_TRADE_ID = Fragment.of(TEXT.reportTradeId);
const R_REASON_CODE = Fragment.of(TEXT.reasonCode);
const R_SOURCE_PARTITION = Fragment.of(TEXT.sourcePartition);
const R_SOURCE_OFFSET = Fragment.of(TEXT.sourceOffset);
const LEVEL_OPEN = Fragment.of('{"type":"level","seq":');
const LEVEL_AFTER_N = Fragment.of(',"type":"level","seq":');
const SNAPSHOT_OPEN = Fragment.of('{"type":"snapshot","seq":');
const SNAPSHOT_AFTER_N = Fragment.of(',"type":"snapshot","seq":');
const D_PRICE = Fragment.of(',"price":');
const D_QTY = Fragment.of(',"qty":');
const D_ORDERS = Fragment.of(',"orders":');
const D_BIDS = Fragment.of(',"bids":');
const D_ASKS = Fragment.of(',"asks":');
const CLOSE = Fragment.of(TEXT.close);
const CLOSE_SOURCE = Fragment.of(TEXT.closeSource);
/** tailPart key bit: the reason + field fragment without the closing brace (a source follows). */
const TAIL_OPEN = 1 << 16;
const NEWLINE = 10;

/** The text of OutputJsonEncoder.text(): its fixed pieces, enum tables (256 values each) and named symbols. */
export type OutputJsonText = { -readonly [K in keyof typeof TEXT]: string } & {
  unnamedSymbol: string;
  symbolIds: number[];
  symbolParts: string[];
  status: string[];
  side: string[];
  orderType: string[];
  tif: string[];
  reason: string[];
  field: string[];
  takerSide: string[];
};

/** A fragment per small enum value, built on first use (unknown values included). */
class Fragments {
  private readonly parts: Fragment[] = [];
  constructor(readonly make: (value: number) => string) {}
  get(value: number): Fragment {
    let part = this.parts[value];
    if (!part) this.parts[value] = part = Fragment.of(this.make(value));
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
  private readonly orderPart = new Map<number, Fragment>();
  /** reason + field + closing brace as one fragment (without the brace when a source follows). */
  private readonly tailPart = new Map<number, Fragment>();

  constructor(private readonly symbols?: SymbolTable) {
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
    this.maxBytes = 300 + 16 * 17 + longestSymbol + enums + WORD_SLACK;
  }

  /**
   * Writes a trade at byte `offset` of `v` (maxBytes must be free); `n` >= 0 adds the "n" field.
   * Returns the end. A DataView, kept by the caller per buffer: making one per output (or per
   * switch between buffers) was a third of the Kafka sink's garbage.
   */
  writeTrade(v: DataView, offset: number, t: Trade, n = -1, newline = false): number {
    let o = n >= 0 ? TRADE_AFTER_N.put(v, writeInteger(v, N_HEAD.put(v, offset), n)) : TRADE_OPEN.put(v, offset);
    o = writeInteger(v, o, t.seq);
    o = writeInteger(v, F_TS.put(v, o), t.timestamp);
    o = writeInteger(v, TRADE_ID.put(v, o), t.tradeId);
    o = this.symbolParts.get(t.symbolId).put(v, o);
    o = writeInteger(v, TRADE_PRICE.put(v, o), t.price);
    o = writeInteger(v, TRADE_QTY.put(v, o), t.qty);
    o = writeInteger(v, TRADE_MAKER.put(v, o), t.makerOrderId);
    o = writeInteger(v, TRADE_TAKER.put(v, o), t.takerOrderId);
    o = writeInteger(v, TRADE_MAKER_ACCOUNT.put(v, o), t.makerAccountId);
    o = writeInteger(v, TRADE_TAKER_ACCOUNT.put(v, o), t.takerAccountId);
    o = this.takerSide.get(t.takerSide).put(v, o);
    if (newline) v.setUint8(o++, NEWLINE);
    return o;
  }

  /** Writes an execution report at `offset` (maxBytes must be free); see writeTrade. */
  writeReport(v: DataView, offset: number, r: ExecutionReport, n = -1, newline = false): number {
    let o = n >= 0 ? REPORT_AFTER_N.put(v, writeInteger(v, N_HEAD.put(v, offset), n)) : REPORT_OPEN.put(v, offset);
    o = writeInteger(v, o, r.seq);
    o = writeInteger(v, F_TS.put(v, o), r.timestamp);
    o = this.symbolParts.get(r.symbolId).put(v, o);
    o = writeInteger(v, R_ORDER.put(v, o), r.orderId);
    o = writeInteger(v, R_ACCOUNT.put(v, o), r.accountId);
    const orderKey = ((r.status * 256 + r.side) * 256 + r.type) * 256 + r.tif;
    o = (this.orderPart.get(orderKey) ?? this.orderPartOf(orderKey, r)).put(v, o);
    o = writeInteger(v, R_PRICE.put(v, o), r.price);
    o = writeInteger(v, R_STOP.put(v, o), r.stopPrice);
    o = writeInteger(v, R_QTY.put(v, o), r.qty);
    o = writeInteger(v, R_CUM.put(v, o), r.cumQty);
    o = writeInteger(v, R_LEAVES.put(v, o), r.leavesQty);
    o = writeInteger(v, R_LAST_QTY.put(v, o), r.lastQty);
    o = writeInteger(v, R_LAST_PRICE.put(v, o), r.lastPrice);
    o = writeInteger(v, R_TRADE_ID.put(v, o), r.tradeId);
    o = writeInteger(v, R_REASON_CODE.put(v, o), r.reason);
    const withSource = r.sourcePosition >= 0;
    const tailKey = (withSource ? TAIL_OPEN : 0) + r.reason * 256 + r.field;
    o = (this.tailPart.get(tailKey) ?? this.tailPartOf(tailKey, r, withSource)).put(v, o);
    if (withSource) {
      o = writeInteger(v, R_SOURCE_PARTITION.put(v, o), r.sourceStream);
      o = CLOSE_SOURCE.put(v, writeInteger(v, R_SOURCE_OFFSET.put(v, o), r.sourcePosition));
    }
    if (newline) v.setUint8(o++, NEWLINE);
    return o;
  }

  /** Writes a depth update (level or snapshot line) at `offset` (maxBytes must be free); see writeTrade. */
  writeDepth(v: DataView, offset: number, d: DepthUpdate, n = -1, newline = false): number {
    const snapshot = d.kind === DepthKind.Snapshot;
    let o: number;
    if (n >= 0) o = (snapshot ? SNAPSHOT_AFTER_N : LEVEL_AFTER_N).put(v, writeInteger(v, N_HEAD.put(v, offset), n));
    else o = (snapshot ? SNAPSHOT_OPEN : LEVEL_OPEN).put(v, offset);
    o = writeInteger(v, o, d.seq);
    o = this.symbolParts.get(d.symbolId).put(v, o);
    if (snapshot) {
      o = writeInteger(v, D_BIDS.put(v, o), d.bids);
      o = writeInteger(v, D_ASKS.put(v, o), d.asks);
    } else {
      o = this.side.get(d.side).put(v, o);
      o = writeInteger(v, D_PRICE.put(v, o), d.price);
      o = writeInteger(v, D_QTY.put(v, o), d.qty);
      o = writeInteger(v, D_ORDERS.put(v, o), d.orders);
    }
    o = CLOSE.put(v, o);
    if (newline) v.setUint8(o++, NEWLINE);
    return o;
  }

  /**
   * Every piece of text this encoder writes into trades and reports, for a writer in another
   * language that must produce the same bytes (@ringmatch/native's OutputJsonWriter): the fixed
   * pieces, each enum's 256 values, and the symbols with a name.
   */
  text(): OutputJsonText {
    const all = (table: Fragments): string[] => Array.from({ length: 256 }, (_, v) => table.make(v));
    const named = this.symbols?.list() ?? [];
    return {
      ...TEXT,
      unnamedSymbol: ',"symbolId":',
      symbolIds: named.map((d) => d.id),
      symbolParts: named.map((d) => this.symbolParts.make(d.id)),
      status: all(this.status),
      side: all(this.side),
      orderType: all(this.orderType),
      tif: all(this.tif),
      reason: all(this.reason),
      field: all(this.field),
      takerSide: all(this.takerSide),
    };
  }

  /** status + side + orderType + tif as one fragment, made on first use. */
  private orderPartOf(key: number, r: ExecutionReport): Fragment {
    const part = Fragment.joined([this.status.get(r.status), this.side.get(r.side), this.orderType.get(r.type), this.tif.get(r.tif)]);
    this.orderPart.set(key, part);
    return part;
  }

  /** reason + field, and the closing brace unless a source follows, made on first use. */
  private tailPartOf(key: number, r: ExecutionReport, withSource: boolean): Fragment {
    const parts = [this.reason.get(r.reason), this.field.get(r.field)];
    const part = Fragment.joined(withSource ? parts : [...parts, CLOSE]);
    this.tailPart.set(key, part);
    return part;
  }
}
