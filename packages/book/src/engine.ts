// Deterministic multi-symbol price-time priority matching engine.
//
// Data layout (allocation-light): every order is an 80-byte record in one ArrayBuffer (several
// typed-array views), indexed by a pooled slot number; price levels are 32-byte records likewise. Each side of a book is a sorted ladder of level keys
// (bids: key = price, asks: key = -price, so on both sides the best level is the LAST element and
// touch-side inserts/removes move few elements). Orders at a level form an intrusive doubly
// linked FIFO (next/prev arrays), so cancel by id is a Map lookup plus an O(1) unlink.
// No clocks, no randomness: reports carry the command's timestamp and engine sequence.
import {
  CommandKind,
  ExecStatus,
  Field,
  OrderType,
  Reason,
  Side,
  StpMode,
  TimeInForce,
  createReport,
  createTrade,
  type Command,
  type ExecutionReport,
  type SymbolTable,
  type Trade,
} from '@ringmatch/protocol';
import { IdMap } from './idmap.js';

/** Receives outputs. The report/trade objects are reused: copy them if you keep them. */
export interface BookSink {
  onReport(report: ExecutionReport): void;
  onTrade(trade: Trade): void;
}

export interface EngineCounters {
  commands: number;
  newOrders: number;
  cancels: number;
  amends: number;
  invalid: number;
  rejected: number;
  trades: number;
  volume: number;
  triggered: number;
  expired: number;
  stpCancels: number;
}

export interface DepthLevel {
  price: number;
  qty: number;
  orders: number;
}

export interface L2Depth {
  symbolId: number;
  bids: DepthLevel[];
  asks: DepthLevel[];
}

export interface OrderInfo {
  orderId: number;
  symbolId: number;
  accountId: number;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  /** Effective STP mode (never Default). */
  stp: StpMode;
  price: number;
  stopPrice: number;
  qty: number;
  cumQty: number;
  leavesQty: number;
  /** true while an untriggered stop. */
  pendingStop: boolean;
}

export interface MatchingEngineOptions {
  symbols: SymbolTable;
  /** Initial order pool size (grows by doubling). */
  initialOrders?: number;
  /** Initial price level pool size (grows by doubling). */
  initialLevels?: number;
}

const NONE = -1;
const ST_FREE = 0;
const ST_RESTING = 1;
const ST_STOP = 2;
const ST_ACTIVE = 3;

class Ladder {
  keys: Float64Array;
  lv: Int32Array;
  n = 0;
  constructor(cap: number) {
    this.keys = new Float64Array(cap);
    this.lv = new Int32Array(cap);
  }
  /** Index of the first key >= k (binary search), searching from the top since most activity is near the touch. */
  lowerBound(k: number): number {
    const keys = this.keys;
    let hi = this.n;
    // most activity is within a few levels of the touch: scan down from the best first
    const stop = hi > 8 ? hi - 8 : 0;
    while (hi > stop) {
      if (keys[hi - 1]! < k) return hi;
      hi--;
    }
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insertAt(i: number, k: number, level: number): void {
    if (this.n === this.keys.length) {
      const nk = new Float64Array(this.keys.length * 2);
      nk.set(this.keys);
      this.keys = nk;
      const nl = new Int32Array(this.lv.length * 2);
      nl.set(this.lv);
      this.lv = nl;
    }
    if (i < this.n) {
      this.keys.copyWithin(i + 1, i, this.n);
      this.lv.copyWithin(i + 1, i, this.n);
    }
    this.keys[i] = k;
    this.lv[i] = level;
    this.n++;
  }
  removeAt(i: number): void {
    this.n--;
    if (i < this.n) {
      this.keys.copyWithin(i, i + 1, this.n + 1);
      this.lv.copyWithin(i, i + 1, this.n + 1);
    }
  }
}

/** Untriggered stops of one side, best-to-trigger LAST (ties: earlier arrival nearer the end). */
class StopList {
  keys: Float64Array;
  ords: Int32Array;
  n = 0;
  constructor(cap: number) {
    this.keys = new Float64Array(cap);
    this.ords = new Int32Array(cap);
  }
  /** Doubles both arrays when full. */
  private room(): void {
    if (this.n === this.keys.length) {
      const nk = new Float64Array(this.keys.length * 2);
      nk.set(this.keys);
      this.keys = nk;
      const no = new Int32Array(this.ords.length * 2);
      no.set(this.ords);
      this.ords = no;
    }
  }
  insert(k: number, ord: number): void {
    this.room();
    // first index with key >= k: a later arrival goes below equal keys
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    this.keys.copyWithin(lo + 1, lo, this.n);
    this.ords.copyWithin(lo + 1, lo, this.n);
    this.keys[lo] = k;
    this.ords[lo] = ord;
    this.n++;
  }
  /** Appends at the end (restore: entries arrive already in order). */
  push(k: number, ord: number): void {
    this.room();
    this.keys[this.n] = k;
    this.ords[this.n++] = ord;
  }
  remove(ord: number): void {
    for (let i = this.n - 1; i >= 0; i--) {
      if (this.ords[i] === ord) {
        this.keys.copyWithin(i, i + 1, this.n);
        this.ords.copyWithin(i, i + 1, this.n);
        this.n--;
        return;
      }
    }
  }
}

class Book {
  readonly ladders: [Ladder, Ladder] = [new Ladder(64), new Ladder(64)];
  /** [buy stops (key -stopPrice), sell stops (key stopPrice)] */
  readonly stops: [StopList, StopList] = [new StopList(8), new StopList(8)];
  lastPrice = 0;
  constructor(
    readonly symbolId: number,
    readonly tickSize: number,
    readonly lotSize: number,
  ) {}
}

const ORDER_BYTES = 80;
const SNAPSHOT_MAGIC = 0x424d5252; // 'RRMB'
const SNAPSHOT_VERSION = 1;

export class MatchingEngine {
  readonly symbols: SymbolTable;
  private readonly books: (Book | undefined)[] = [];
  private readonly ids = new IdMap(1 << 12);
  private readonly accountStp = new Map<number, StpMode>();
  readonly counters: EngineCounters = {
    commands: 0,
    newOrders: 0,
    cancels: 0,
    amends: 0,
    invalid: 0,
    rejected: 0,
    trades: 0,
    volume: 0,
    triggered: 0,
    expired: 0,
    stpCancels: 0,
  };
  private tradeSeq = 0;

  // order pool (struct of arrays)
  private oCap: number;
  // one 80-byte record per order in a single buffer, seen through several views:
  //   f64[o*10 + 0..5] id, price, stopPrice, qty, leaves, cum | i32[o*20 + 12..14] next, prev, level
  //   u32[o*20 + 15] account | u16[o*40 + 32] symbol | u8[o*80 + 66..70] side, type, tif, stp, state
  private f64!: Float64Array;
  private i32!: Int32Array;
  private u32!: Uint32Array;
  private u16!: Uint16Array;
  private u8!: Uint8Array;
  private oFree!: Int32Array;
  private oFreeN = 0;

  // level pool
  private lCap: number;
  // one 32-byte record per price level: lf[l*4 + 0..1] price, qty | li[l*8 + 4..6] head, tail, count
  private lf!: Float64Array;
  private li!: Int32Array;
  private lFree!: Int32Array;
  private lFreeN = 0;

  // reused outputs and work queue for triggered stops
  private readonly rep: ExecutionReport = createReport();
  private readonly trd: Trade = createTrade();
  private pending: Int32Array = new Int32Array(16);

  constructor(options: MatchingEngineOptions) {
    this.symbols = options.symbols;
    this.oCap = Math.max(16, options.initialOrders ?? 1 << 14);
    this.lCap = Math.max(16, options.initialLevels ?? 1 << 12);
    this.allocOrders(this.oCap, 0);
    this.allocLevels(this.lCap, 0);
    for (const def of this.symbols.list()) this.books[def.id] = new Book(def.id, def.tickSize, def.lotSize);
  }

  // ------------------------------------------------------------------------------------------
  // pools

  private allocOrders(cap: number, old: number, fresh = false): void {
    const buf = new ArrayBuffer(cap * ORDER_BYTES);
    const bytes = new Uint8Array(buf);
    if (this.u8 && !fresh) bytes.set(this.u8.subarray(0, old * ORDER_BYTES));
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u16 = new Uint16Array(buf);
    this.u8 = bytes;
    const free = new Int32Array(cap);
    if (this.oFree) free.set(this.oFree.subarray(0, this.oFreeN));
    // push new slots so that the lowest index is popped first
    let n = this.oFreeN;
    for (let i = cap - 1; i >= old; i--) free[n++] = i;
    this.oFree = free;
    this.oFreeN = n;
    this.oCap = cap;
  }

  private allocLevels(cap: number, old: number): void {
    const buf = new ArrayBuffer(cap * 32);
    if (this.lf && old > 0) new Uint8Array(buf).set(new Uint8Array(this.lf.buffer, 0, old * 32));
    this.lf = new Float64Array(buf);
    this.li = new Int32Array(buf);
    const free = new Int32Array(cap);
    if (this.lFree) free.set(this.lFree.subarray(0, this.lFreeN));
    let n = this.lFreeN;
    for (let i = cap - 1; i >= old; i--) free[n++] = i;
    this.lFree = free;
    this.lFreeN = n;
    this.lCap = cap;
  }

  private newOrder(): number {
    if (this.oFreeN === 0) this.allocOrders(this.oCap * 2, this.oCap);
    return this.oFree[--this.oFreeN]!;
  }

  private freeOrder(o: number): void {
    this.u8[o * 80 + 70] = ST_FREE;
    this.oFree[this.oFreeN++] = o;
  }

  private newLevel(price: number): number {
    if (this.lFreeN === 0) this.allocLevels(this.lCap * 2, this.lCap);
    const l = this.lFree[--this.lFreeN]!;
    this.lf[l * 4] = price;
    this.lf[l * 4 + 1] = 0;
    this.li[l * 8 + 4] = NONE;
    this.li[l * 8 + 5] = NONE;
    this.li[l * 8 + 6] = 0;
    return l;
  }

  // ------------------------------------------------------------------------------------------
  // public API

  /** Sets an account's default self-trade prevention mode (used by orders with stp = Default). */
  setAccountStp(accountId: number, mode: StpMode): void {
    if (mode === StpMode.Default || mode === StpMode.None) this.accountStp.delete(accountId);
    else this.accountStp.set(accountId, mode);
  }

  accountStpMode(accountId: number): StpMode {
    return this.accountStp.get(accountId) ?? StpMode.None;
  }

  /** Best bid price of a symbol, 0 when the bid side is empty (or unknown symbol). */
  bestBid(symbolId: number): number {
    const lad = this.books[symbolId]?.ladders[Side.Buy];
    return lad && lad.n > 0 ? lad.keys[lad.n - 1]! : 0;
  }

  /** Best ask price of a symbol, 0 when the ask side is empty (or unknown symbol). */
  bestAsk(symbolId: number): number {
    const lad = this.books[symbolId]?.ladders[Side.Sell];
    return lad && lad.n > 0 ? -lad.keys[lad.n - 1]! : 0;
  }

  /** Price of the symbol's last trade, 0 before any. */
  lastTradePrice(symbolId: number): number {
    return this.books[symbolId]?.lastPrice ?? 0;
  }

  /** L2 depth: the top `levels` price levels of each side, best first. */
  depth(symbolId: number, levels = 10): L2Depth {
    const out: L2Depth = { symbolId, bids: [], asks: [] };
    const book = this.books[symbolId];
    if (!book) return out;
    for (let s = 0; s < 2; s++) {
      const lad = book.ladders[s]!;
      const arr = s === 0 ? out.bids : out.asks;
      for (let i = lad.n - 1; i >= 0 && arr.length < levels; i--) {
        const l = lad.lv[i]!;
        arr.push({ price: this.lf[l * 4]!, qty: this.lf[l * 4 + 1]!, orders: this.li[l * 8 + 6]! });
      }
    }
    return out;
  }

  /** Number of live orders (resting + untriggered stops). */
  get openOrders(): number {
    return this.ids.size;
  }

  /** A live order's state, or undefined. */
  order(orderId: number): OrderInfo | undefined {
    const o = this.ids.get(orderId);
    if (o < 0) return undefined;
    return {
      orderId,
      symbolId: this.u16[o * 40 + 32]!,
      accountId: this.u32[o * 20 + 15]!,
      side: this.u8[o * 80 + 66] as Side,
      type: this.u8[o * 80 + 67] as OrderType,
      tif: this.u8[o * 80 + 68] as TimeInForce,
      stp: this.u8[o * 80 + 69] as StpMode,
      price: this.f64[o * 10 + 1]!,
      stopPrice: this.f64[o * 10 + 2]!,
      qty: this.f64[o * 10 + 3]!,
      cumQty: this.f64[o * 10 + 5]!,
      leavesQty: this.f64[o * 10 + 4]!,
      pendingStop: this.u8[o * 80 + 70] === ST_STOP,
    };
  }

  /** Applies one command; emits its reports and trades through `sink`, in order. */
  process(cmd: Command, sink: BookSink): void {
    this.counters.commands++;
    switch (cmd.kind) {
      case CommandKind.New:
        this.counters.newOrders++;
        this.onNew(cmd, sink);
        return;
      case CommandKind.Cancel:
        this.counters.cancels++;
        this.onCancel(cmd, sink);
        return;
      case CommandKind.Amend:
        this.counters.amends++;
        this.onAmend(cmd, sink);
        return;
      case CommandKind.Invalid:
        this.counters.invalid++;
        this.rejectInvalid(cmd, sink);
        return;
      default:
        this.counters.invalid++;
        this.rejectCmd(cmd, Reason.UnknownEnum, Field.Op, sink);
    }
  }

  // ------------------------------------------------------------------------------------------
  // reports

  private rejectCmd(cmd: Command, reason: number, field: number, sink: BookSink): void {
    this.counters.rejected++;
    const r = this.rep;
    r.seq = cmd.seq;
    r.timestamp = cmd.timestamp;
    r.status = ExecStatus.Rejected;
    r.reason = reason;
    r.field = field;
    r.symbolId = cmd.symbolId;
    r.orderId = cmd.orderId;
    r.accountId = cmd.accountId;
    r.side = cmd.side;
    r.type = cmd.type;
    r.tif = cmd.tif;
    r.price = cmd.price;
    r.stopPrice = cmd.stopPrice;
    r.qty = cmd.qty;
    r.cumQty = 0;
    r.leavesQty = 0;
    r.lastQty = 0;
    r.lastPrice = 0;
    r.tradeId = 0;
    sink.onReport(r);
  }

  /**
   * Undecodable input: the reject says where it came from. Set and cleared here only, so the
   * reused report costs the other paths nothing.
   */
  private rejectInvalid(cmd: Command, sink: BookSink): void {
    this.rep.sourcePartition = cmd.partition;
    this.rep.sourceOffset = cmd.offset;
    try {
      this.rejectCmd(cmd, cmd.reason || Reason.Malformed, cmd.field, sink);
    } finally {
      this.rep.sourcePartition = -1;
      this.rep.sourceOffset = -1;
    }
  }

  private report(cmd: Command, o: number, status: ExecStatus, reason: number, lastQty: number, lastPrice: number, tradeId: number, sink: BookSink): void {
    const r = this.rep;
    r.seq = cmd.seq;
    r.timestamp = cmd.timestamp;
    r.status = status;
    r.reason = reason;
    r.field = 0;
    r.symbolId = this.u16[o * 40 + 32]!;
    r.orderId = this.f64[o * 10]!;
    r.accountId = this.u32[o * 20 + 15]!;
    r.side = this.u8[o * 80 + 66] as Side;
    r.type = this.u8[o * 80 + 67] as OrderType;
    r.tif = this.u8[o * 80 + 68] as TimeInForce;
    r.price = this.f64[o * 10 + 1]!;
    r.stopPrice = this.f64[o * 10 + 2]!;
    r.qty = this.f64[o * 10 + 3]!;
    r.cumQty = this.f64[o * 10 + 5]!;
    r.leavesQty = this.f64[o * 10 + 4]!;
    r.lastQty = lastQty;
    r.lastPrice = lastPrice;
    r.tradeId = tradeId;
    sink.onReport(r);
  }

  // ------------------------------------------------------------------------------------------
  // commands

  private onNew(cmd: Command, sink: BookSink): void {
    const book = this.books[cmd.symbolId];
    if (book === undefined) return this.rejectCmd(cmd, Reason.UnknownSymbol, Field.Symbol, sink);
    // One probe for the duplicate check and the insert: claim a slot, release it on rejection.
    const o = this.newOrder();
    if (this.ids.putIfAbsent(cmd.orderId, o) !== NONE) {
      this.oFree[this.oFreeN++] = o;
      return this.rejectCmd(cmd, Reason.DuplicateOrderId, Field.OrderId, sink);
    }
    const reason = this.validateNew(cmd, book);
    if (reason !== 0) {
      this.ids.delete(cmd.orderId);
      this.oFree[this.oFreeN++] = o;
      return this.rejectCmd(cmd, reason, this.rejectField, sink);
    }
    this.accept(cmd, book, o, sink);
  }

  private rejectField = 0;

  /** Returns 0 when the new order is acceptable, else a Reason (field in this.rejectField). */
  private validateNew(cmd: Command, book: Book): number {
    const qty = cmd.qty;
    if (!(qty > 0) || !Number.isSafeInteger(qty)) return this.rej(Reason.InvalidQuantity, Field.Qty);
    if (qty % book.lotSize !== 0) return this.rej(Reason.QtyOffLot, Field.Qty);
    const type = cmd.type;
    const tif = cmd.tif;
    const side = cmd.side;
    if (side !== Side.Buy && side !== Side.Sell) return this.rej(Reason.InvalidOrderType, Field.Side);
    if (type === OrderType.Limit || type === OrderType.StopLimit) {
      if (!(cmd.price > 0) || !Number.isSafeInteger(cmd.price)) return this.rej(Reason.InvalidPrice, Field.Price);
      if (cmd.price % book.tickSize !== 0) return this.rej(Reason.PriceOffTick, Field.Price);
    } else if (type === OrderType.Market || type === OrderType.Stop) {
      if (cmd.price !== 0) return this.rej(Reason.InvalidPrice, Field.Price);
    } else return this.rej(Reason.InvalidOrderType, Field.Type);
    const isStop = type === OrderType.Stop || type === OrderType.StopLimit;
    if (isStop) {
      if (!(cmd.stopPrice > 0) || !Number.isSafeInteger(cmd.stopPrice)) return this.rej(Reason.InvalidStopPrice, Field.StopPrice);
      if (cmd.stopPrice % book.tickSize !== 0) return this.rej(Reason.PriceOffTick, Field.StopPrice);
    } else if (cmd.stopPrice !== 0) return this.rej(Reason.InvalidStopPrice, Field.StopPrice);
    if (tif > TimeInForce.PostOnly || (tif === TimeInForce.PostOnly && type !== OrderType.Limit)) return this.rej(Reason.InvalidOrderType, Field.Tif);
    if (cmd.stp > StpMode.CancelBoth) return this.rej(Reason.InvalidOrderType, Field.Stp);
    const opp = book.ladders[side ^ 1]!;
    if (!isStop) {
      if (type === OrderType.Market && opp.n === 0) return this.rej(Reason.NoLiquidity, Field.None);
      if (tif === TimeInForce.PostOnly && this.crosses(opp, side, cmd.price)) return this.rej(Reason.PostOnlyWouldCross, Field.Price);
      if (tif === TimeInForce.FOK && !this.canFill(opp, side, type === OrderType.Market ? NaN : cmd.price, qty, cmd.accountId, this.effectiveStp(cmd))) return this.rej(Reason.FokCannotFill, Field.Qty);
    }
    return 0;
  }

  private rej(reason: number, field: number): number {
    this.rejectField = field;
    return reason;
  }

  private effectiveStp(cmd: Command): number {
    return cmd.stp === StpMode.Default ? (this.accountStp.get(cmd.accountId) ?? StpMode.None) : cmd.stp;
  }

  private accept(cmd: Command, book: Book, o: number, sink: BookSink): void {
    const qty = cmd.qty;
    const side = cmd.side;
    const type = cmd.type;
    const tif = cmd.tif;
    const isStop = type === OrderType.Stop || type === OrderType.StopLimit;
    const stp = this.effectiveStp(cmd);
    this.f64[o * 10] = cmd.orderId;
    this.f64[o * 10 + 1] = cmd.price;
    this.f64[o * 10 + 2] = cmd.stopPrice;
    this.f64[o * 10 + 3] = qty;
    this.f64[o * 10 + 4] = qty;
    this.f64[o * 10 + 5] = 0;
    this.u32[o * 20 + 15] = cmd.accountId;
    this.u16[o * 40 + 32] = cmd.symbolId;
    this.u8[o * 80 + 66] = side;
    this.u8[o * 80 + 67] = type;
    this.u8[o * 80 + 68] = tif;
    this.u8[o * 80 + 69] = stp;
    this.i32[o * 20 + 14] = NONE;
    // ACCEPTED straight from the command's values (the order's fields are the same)
    const r = this.rep;
    r.seq = cmd.seq;
    r.timestamp = cmd.timestamp;
    r.status = ExecStatus.Accepted;
    r.reason = 0;
    r.field = 0;
    r.symbolId = cmd.symbolId;
    r.orderId = cmd.orderId;
    r.accountId = cmd.accountId;
    r.side = side;
    r.type = type;
    r.tif = tif;
    r.price = cmd.price;
    r.stopPrice = cmd.stopPrice;
    r.qty = qty;
    r.cumQty = 0;
    r.leavesQty = qty;
    r.lastQty = 0;
    r.lastPrice = 0;
    r.tradeId = 0;
    sink.onReport(r);
    if (isStop) {
      this.u8[o * 80 + 70] = ST_STOP;
      const lp = book.lastPrice;
      if (lp !== 0 && (side === Side.Buy ? lp >= cmd.stopPrice : lp <= cmd.stopPrice)) {
        // already past its trigger: fires immediately
        this.pending[0] = o;
        this.runTriggered(cmd, book, 1, sink);
      } else {
        book.stops[side]!.insert(side === Side.Buy ? -cmd.stopPrice : cmd.stopPrice, o);
      }
      return;
    }
    this.u8[o * 80 + 70] = ST_ACTIVE;
    const before = this.tradeSeq;
    this.execute(cmd, book, o, sink);
    if (this.tradeSeq !== before) this.checkStops(cmd, book, sink);
  }

  private onCancel(cmd: Command, sink: BookSink): void {
    const book = this.books[cmd.symbolId];
    if (book === undefined) return this.rejectCmd(cmd, Reason.UnknownSymbol, Field.Symbol, sink);
    const o = this.ids.get(cmd.orderId);
    if (o < 0 || this.u16[o * 40 + 32] !== cmd.symbolId) return this.rejectCmd(cmd, Reason.UnknownOrder, Field.OrderId, sink);
    if (this.u32[o * 20 + 15] !== cmd.accountId) return this.rejectCmd(cmd, Reason.NotOwner, Field.Account, sink);
    if (this.u8[o * 80 + 70] === ST_STOP) book.stops[this.u8[o * 80 + 66]!]!.remove(o);
    else this.unlink(book, o);
    this.f64[o * 10 + 4] = 0;
    this.ids.delete(cmd.orderId);
    this.report(cmd, o, ExecStatus.Cancelled, Reason.UserCancel, 0, 0, 0, sink);
    this.freeOrder(o);
  }

  private onAmend(cmd: Command, sink: BookSink): void {
    const book = this.books[cmd.symbolId];
    if (book === undefined) return this.rejectCmd(cmd, Reason.UnknownSymbol, Field.Symbol, sink);
    const o = this.ids.get(cmd.orderId);
    if (o < 0 || this.u16[o * 40 + 32] !== cmd.symbolId) return this.rejectCmd(cmd, Reason.UnknownOrder, Field.OrderId, sink);
    if (this.u32[o * 20 + 15] !== cmd.accountId) return this.rejectCmd(cmd, Reason.NotOwner, Field.Account, sink);
    const type = this.u8[o * 80 + 67]!;
    if (cmd.qty < 0 || !Number.isSafeInteger(cmd.qty)) return this.rejectCmd(cmd, Reason.InvalidQuantity, Field.Qty, sink);
    if (cmd.qty % book.lotSize !== 0) return this.rejectCmd(cmd, Reason.QtyOffLot, Field.Qty, sink);
    if (cmd.price < 0 || !Number.isSafeInteger(cmd.price)) return this.rejectCmd(cmd, Reason.InvalidPrice, Field.Price, sink);
    if (cmd.price !== 0) {
      if (type === OrderType.Stop) return this.rejectCmd(cmd, Reason.InvalidAmend, Field.Price, sink);
      if (cmd.price % book.tickSize !== 0) return this.rejectCmd(cmd, Reason.PriceOffTick, Field.Price, sink);
    }
    const side = this.u8[o * 80 + 66]!;
    const oldPrice = this.f64[o * 10 + 1]!;
    const oldLeaves = this.f64[o * 10 + 4]!;
    const newPrice = cmd.price === 0 ? oldPrice : cmd.price;
    const newLeaves = cmd.qty === 0 ? oldLeaves : cmd.qty;
    if (this.u8[o * 80 + 70] === ST_STOP) {
      this.f64[o * 10 + 1] = newPrice;
      this.f64[o * 10 + 4] = newLeaves;
      this.f64[o * 10 + 3] = this.f64[o * 10 + 5]! + newLeaves;
      this.report(cmd, o, ExecStatus.Amended, 0, 0, 0, 0, sink);
      return;
    }
    const opp = book.ladders[side ^ 1]!;
    const priceChanged = newPrice !== oldPrice;
    if (priceChanged && this.u8[o * 80 + 68] === TimeInForce.PostOnly && this.crosses(opp, side, newPrice)) return this.rejectCmd(cmd, Reason.PostOnlyWouldCross, Field.Price, sink);
    if (!priceChanged && newLeaves <= oldLeaves) {
      // keeps its time priority
      const l = this.i32[o * 20 + 14]!;
      this.lf[l * 4 + 1] = this.lf[l * 4 + 1]! - (oldLeaves - newLeaves);
      this.f64[o * 10 + 4] = newLeaves;
      this.f64[o * 10 + 3] = this.f64[o * 10 + 5]! + newLeaves;
      this.report(cmd, o, ExecStatus.Amended, 0, 0, 0, 0, sink);
      return;
    }
    // loses priority: leaves the book and re-enters (possibly as a taker) at the new price
    this.unlink(book, o);
    this.f64[o * 10 + 1] = newPrice;
    this.f64[o * 10 + 4] = newLeaves;
    this.f64[o * 10 + 3] = this.f64[o * 10 + 5]! + newLeaves;
    this.u8[o * 80 + 70] = ST_ACTIVE;
    this.report(cmd, o, ExecStatus.Amended, 0, 0, 0, 0, sink);
    const before = this.tradeSeq;
    this.execute(cmd, book, o, sink);
    if (this.tradeSeq !== before) this.checkStops(cmd, book, sink);
  }

  // ------------------------------------------------------------------------------------------
  // matching

  /** Does a `side` order at `price` cross the opposite ladder's best? */
  private crosses(opp: Ladder, side: number, price: number): boolean {
    if (opp.n === 0) return false;
    const best = opp.keys[opp.n - 1]!;
    return side === Side.Buy ? -best <= price : best >= price;
  }

  /** FOK dry run: would matching fill `qty` completely (STP applied as the real match would)? price NaN = market. */
  private canFill(opp: Ladder, side: number, price: number, qty: number, acct: number, stp: number): boolean {
    const thr = Number.isNaN(price) ? -Infinity : side === Side.Buy ? -price : price;
    let need = qty;
    for (let i = opp.n - 1; i >= 0; i--) {
      if (opp.keys[i]! < thr) return false;
      const l = opp.lv[i]!;
      if (stp === StpMode.None) {
        need -= this.lf[l * 4 + 1]!;
        if (need <= 0) return true;
        continue;
      }
      for (let m = this.li[l * 8 + 4]!; m !== NONE; m = this.i32[m * 20 + 12]!) {
        if (this.u32[m * 20 + 15] === acct) {
          if (stp === StpMode.CancelOldest) continue;
          return false; // CancelNewest / CancelBoth stop the taker here
        }
        need -= this.f64[m * 10 + 4]!;
        if (need <= 0) return true;
      }
    }
    return false;
  }

  /**
   * Runs order `o` (state ACTIVE, in the id map) as a taker against the opposite side, then rests,
   * expires or cancels what is left.
   */
  private execute(cmd: Command, book: Book, o: number, sink: BookSink): void {
    const side = this.u8[o * 80 + 66]!;
    const type = this.u8[o * 80 + 67]!;
    const isMarket = type === OrderType.Market || type === OrderType.Stop;
    const limit = this.f64[o * 10 + 1]!;
    const thr = isMarket ? -Infinity : side === Side.Buy ? -limit : limit;
    const opp = book.ladders[side ^ 1]!;
    const acct = this.u32[o * 20 + 15]!;
    const stp = this.u8[o * 80 + 69]!;
    const stpOn = stp !== StpMode.None;
    let leaves = this.f64[o * 10 + 4]!;
    let takerCancelled = false;
    const trd = this.trd;
    while (leaves > 0 && opp.n > 0) {
      const li = opp.n - 1;
      if (opp.keys[li]! < thr) break;
      const l = opp.lv[li]!;
      const price = this.lf[l * 4]!;
      let m = this.li[l * 8 + 4]!;
      while (m !== NONE && leaves > 0) {
        const next = this.i32[m * 20 + 12]!;
        if (stpOn && this.u32[m * 20 + 15] === acct) {
          if (stp === StpMode.CancelOldest || stp === StpMode.CancelBoth) {
            this.cancelMaker(cmd, book, m, sink);
          }
          if (stp !== StpMode.CancelOldest) {
            takerCancelled = true;
            break;
          }
          m = next;
          continue;
        }
        const ml = this.f64[m * 10 + 4]!;
        const q = ml < leaves ? ml : leaves;
        leaves -= q;
        const tradeId = ++this.tradeSeq;
        this.counters.trades++;
        this.counters.volume += q;
        trd.seq = cmd.seq;
        trd.timestamp = cmd.timestamp;
        trd.tradeId = tradeId;
        trd.symbolId = book.symbolId;
        trd.price = price;
        trd.qty = q;
        trd.makerOrderId = this.f64[m * 10]!;
        trd.takerOrderId = this.f64[o * 10]!;
        trd.makerAccountId = this.u32[m * 20 + 15]!;
        trd.takerAccountId = acct;
        trd.takerSide = side as Side;
        sink.onTrade(trd);
        // maker
        this.f64[m * 10 + 4] = ml - q;
        this.f64[m * 10 + 5] = this.f64[m * 10 + 5]! + q;
        this.lf[l * 4 + 1] = this.lf[l * 4 + 1]! - q;
        if (ml === q) {
          this.report(cmd, m, ExecStatus.Filled, 0, q, price, tradeId, sink);
          this.unlinkFilled(book, m, l);
          this.ids.delete(this.f64[m * 10]!);
          this.freeOrder(m);
        } else {
          this.report(cmd, m, ExecStatus.PartiallyFilled, 0, q, price, tradeId, sink);
        }
        // taker
        this.f64[o * 10 + 4] = leaves;
        this.f64[o * 10 + 5] = this.f64[o * 10 + 5]! + q;
        this.report(cmd, o, leaves === 0 ? ExecStatus.Filled : ExecStatus.PartiallyFilled, 0, q, price, tradeId, sink);
        book.lastPrice = price;
        m = next;
      }
      if (takerCancelled) break;
      // the level may be gone already (its last order filled or cancelled)
    }
    if (leaves === 0) {
      this.ids.delete(this.f64[o * 10]!);
      this.freeOrder(o);
      return;
    }
    if (takerCancelled) {
      this.counters.stpCancels++;
      this.f64[o * 10 + 4] = 0;
      this.ids.delete(this.f64[o * 10]!);
      this.report(cmd, o, ExecStatus.Cancelled, Reason.SelfTradePrevention, 0, 0, 0, sink);
      this.freeOrder(o);
      return;
    }
    const tif = this.u8[o * 80 + 68]!;
    if (isMarket || tif === TimeInForce.IOC || tif === TimeInForce.FOK) {
      this.counters.expired++;
      this.f64[o * 10 + 4] = 0;
      this.ids.delete(this.f64[o * 10]!);
      this.report(cmd, o, ExecStatus.Expired, Reason.UnfilledRemainder, 0, 0, 0, sink);
      this.freeOrder(o);
      return;
    }
    this.rest(book, o);
  }

  private cancelMaker(cmd: Command, book: Book, m: number, sink: BookSink): void {
    this.counters.stpCancels++;
    this.unlink(book, m);
    this.f64[m * 10 + 4] = 0;
    this.ids.delete(this.f64[m * 10]!);
    this.report(cmd, m, ExecStatus.Cancelled, Reason.SelfTradePrevention, 0, 0, 0, sink);
    this.freeOrder(m);
  }

  /** Appends order `o` to the tail of its price level (creating the level if needed). */
  private rest(book: Book, o: number): void {
    const side = this.u8[o * 80 + 66]!;
    const price = this.f64[o * 10 + 1]!;
    const lad = book.ladders[side]!;
    const key = side === Side.Buy ? price : -price;
    const i = lad.lowerBound(key);
    let l: number;
    if (i < lad.n && lad.keys[i] === key) l = lad.lv[i]!;
    else {
      l = this.newLevel(price);
      lad.insertAt(i, key, l);
    }
    const tail = this.li[l * 8 + 5]!;
    this.i32[o * 20 + 13] = tail;
    this.i32[o * 20 + 12] = NONE;
    if (tail === NONE) this.li[l * 8 + 4] = o;
    else this.i32[tail * 20 + 12] = o;
    this.li[l * 8 + 5] = o;
    this.li[l * 8 + 6] = this.li[l * 8 + 6]! + 1;
    this.lf[l * 4 + 1] = this.lf[l * 4 + 1]! + this.f64[o * 10 + 4]!;
    this.i32[o * 20 + 14] = l;
    this.u8[o * 80 + 70] = ST_RESTING;
  }

  /** Removes a resting order (with its open quantity) from its level; drops an emptied level. */
  private unlink(book: Book, o: number): void {
    const l = this.i32[o * 20 + 14]!;
    this.lf[l * 4 + 1] = this.lf[l * 4 + 1]! - this.f64[o * 10 + 4]!;
    this.unlinkFilled(book, o, l);
  }

  /** Unlinks `o` from level `l` (level qty already adjusted); drops the level when empty. */
  private unlinkFilled(book: Book, o: number, l: number): void {
    const prev = this.i32[o * 20 + 13]!;
    const next = this.i32[o * 20 + 12]!;
    if (prev === NONE) this.li[l * 8 + 4] = next;
    else this.i32[prev * 20 + 12] = next;
    if (next === NONE) this.li[l * 8 + 5] = prev;
    else this.i32[next * 20 + 13] = prev;
    this.i32[o * 20 + 14] = NONE;
    const c = this.li[l * 8 + 6]! - 1;
    this.li[l * 8 + 6] = c;
    if (c === 0) {
      const side = this.u8[o * 80 + 66]!;
      const lad = book.ladders[side]!;
      const price = this.lf[l * 4]!;
      const key = side === Side.Buy ? price : -price;
      const i = lad.n > 0 && lad.keys[lad.n - 1] === key ? lad.n - 1 : lad.lowerBound(key);
      lad.removeAt(i);
      this.lFree[this.lFreeN++] = l;
    }
  }

  // ------------------------------------------------------------------------------------------
  // stops

  /** After trades: moves every stop whose trigger the last price has reached into the run queue. */
  private checkStops(cmd: Command, book: Book, sink: BookSink): void {
    if (book.stops[0].n === 0 && book.stops[1].n === 0) return;
    const n = this.collectTriggered(book, 0);
    if (n > 0) this.runTriggered(cmd, book, n, sink);
  }

  private collectTriggered(book: Book, n: number): number {
    const lp = book.lastPrice;
    const buys = book.stops[Side.Buy];
    // buy stops trigger when last >= stopPrice (key = -stopPrice, best last)
    while (buys.n > 0 && lp >= -buys.keys[buys.n - 1]!) n = this.pushPending(n, buys.ords[--buys.n]!);
    const sells = book.stops[Side.Sell];
    while (sells.n > 0 && lp <= sells.keys[sells.n - 1]!) n = this.pushPending(n, sells.ords[--sells.n]!);
    return n;
  }

  private pushPending(n: number, o: number): number {
    if (n === this.pending.length) {
      const p = new Int32Array(n * 2);
      p.set(this.pending);
      this.pending = p;
    }
    this.pending[n] = o;
    return n + 1;
  }

  /** Runs triggered stops FIFO; their trades may trigger more (appended to the queue). */
  private runTriggered(cmd: Command, book: Book, n: number, sink: BookSink): void {
    for (let head = 0; head < n; head++) {
      const o = this.pending[head]!;
      this.counters.triggered++;
      this.u8[o * 80 + 70] = ST_ACTIVE;
      this.report(cmd, o, ExecStatus.Triggered, 0, 0, 0, 0, sink);
      const side = this.u8[o * 80 + 66]!;
      const opp = book.ladders[side ^ 1]!;
      const market = this.u8[o * 80 + 67] === OrderType.Stop;
      if (this.u8[o * 80 + 68] === TimeInForce.FOK && !this.canFill(opp, side, market ? NaN : this.f64[o * 10 + 1]!, this.f64[o * 10 + 4]!, this.u32[o * 20 + 15]!, this.u8[o * 80 + 69]!)) {
        this.counters.expired++;
        this.f64[o * 10 + 4] = 0;
        this.ids.delete(this.f64[o * 10]!);
        this.report(cmd, o, ExecStatus.Expired, Reason.FokCannotFill, 0, 0, 0, sink);
        this.freeOrder(o);
        continue;
      }
      const before = this.tradeSeq;
      this.execute(cmd, book, o, sink);
      if (this.tradeSeq !== before) n = this.collectTriggered(book, n);
    }
  }

  // ------------------------------------------------------------------------------------------
  // snapshot / restore

  /**
   * Serializes the complete state (books in priority order, stops in trigger order, account STP
   * modes, trade sequence, counters). Same state => byte-identical snapshot.
   */
  snapshot(): Uint8Array {
    const w = new Writer();
    w.u32(SNAPSHOT_MAGIC);
    w.u32(SNAPSHOT_VERSION);
    w.f64(this.tradeSeq);
    const c = this.counters;
    for (const k of COUNTER_KEYS) w.f64(c[k]);
    const accts = [...this.accountStp.entries()].sort((a, b) => a[0] - b[0]);
    w.u32(accts.length);
    for (const [a, m] of accts) {
      w.u32(a);
      w.u32(m);
    }
    const books = this.books.filter((b): b is Book => b !== undefined);
    w.u32(books.length);
    for (const book of books) {
      w.u32(book.symbolId);
      w.f64(book.lastPrice);
      for (let s = 0; s < 2; s++) {
        const lad = book.ladders[s]!;
        w.u32(lad.n);
        for (let i = lad.n - 1; i >= 0; i--) {
          const l = lad.lv[i]!;
          w.u32(this.li[l * 8 + 6]!);
          for (let m = this.li[l * 8 + 4]!; m !== NONE; m = this.i32[m * 20 + 12]!) this.writeOrder(w, m);
        }
      }
      for (let s = 0; s < 2; s++) {
        const st = book.stops[s]!;
        w.u32(st.n);
        for (let i = 0; i < st.n; i++) this.writeOrder(w, st.ords[i]!);
      }
    }
    return w.finish();
  }

  private writeOrder(w: Writer, o: number): void {
    w.f64(this.f64[o * 10]!);
    w.f64(this.f64[o * 10 + 1]!);
    w.f64(this.f64[o * 10 + 2]!);
    w.f64(this.f64[o * 10 + 3]!);
    w.f64(this.f64[o * 10 + 4]!);
    w.f64(this.f64[o * 10 + 5]!);
    w.u32(this.u32[o * 20 + 15]!);
    w.u32(this.u8[o * 80 + 66]! | (this.u8[o * 80 + 67]! << 8) | (this.u8[o * 80 + 68]! << 16) | (this.u8[o * 80 + 69]! << 24));
  }

  private readOrder(r: Reader, symbolId: number): number {
    const o = this.newOrder();
    this.f64[o * 10] = r.f64();
    this.f64[o * 10 + 1] = r.f64();
    this.f64[o * 10 + 2] = r.f64();
    this.f64[o * 10 + 3] = r.f64();
    this.f64[o * 10 + 4] = r.f64();
    this.f64[o * 10 + 5] = r.f64();
    this.u32[o * 20 + 15] = r.u32();
    const f = r.u32();
    this.u8[o * 80 + 66] = f & 0xff;
    this.u8[o * 80 + 67] = (f >> 8) & 0xff;
    this.u8[o * 80 + 68] = (f >> 16) & 0xff;
    this.u8[o * 80 + 69] = (f >>> 24) & 0xff;
    this.u16[o * 40 + 32] = symbolId;
    this.i32[o * 20 + 14] = NONE;
    if (this.ids.has(this.f64[o * 10]!)) throw new SnapshotError(`duplicate order id ${this.f64[o * 10]} in snapshot`);
    this.ids.set(this.f64[o * 10]!, o);
    return o;
  }

  /** Replaces the whole state with a snapshot taken by `snapshot()` (same symbol table). */
  restore(bytes: Uint8Array): void {
    const r = new Reader(bytes);
    if (r.u32() !== SNAPSHOT_MAGIC) throw new SnapshotError('not a book snapshot (bad magic)');
    if (r.u32() !== SNAPSHOT_VERSION) throw new SnapshotError('unsupported snapshot version');
    // reset
    this.ids.clear();
    this.accountStp.clear();
    this.oFree = undefined as unknown as Int32Array;
    this.oFreeN = 0;
    this.allocOrders(this.oCap, 0, true);
    this.lFree = undefined as unknown as Int32Array;
    this.lFreeN = 0;
    this.allocLevels(this.lCap, 0);
    for (let id = 0; id < this.books.length; id++) {
      const def = this.books[id];
      if (def) this.books[id] = new Book(def.symbolId, def.tickSize, def.lotSize);
    }
    this.tradeSeq = r.f64();
    for (const k of COUNTER_KEYS) this.counters[k] = r.f64();
    const na = r.u32();
    for (let i = 0; i < na; i++) {
      const a = r.u32();
      this.accountStp.set(a, r.u32() as StpMode);
    }
    const nb = r.u32();
    for (let b = 0; b < nb; b++) {
      const symbolId = r.u32();
      const book = this.books[symbolId];
      if (!book) throw new SnapshotError(`snapshot has symbol ${symbolId}, missing from the symbol table`);
      book.lastPrice = r.f64();
      for (let s = 0; s < 2; s++) {
        const levels = r.u32();
        for (let i = 0; i < levels; i++) {
          const count = r.u32();
          for (let k = 0; k < count; k++) {
            const o = this.readOrder(r, symbolId);
            if (this.u8[o * 80 + 66] !== s) throw new SnapshotError('order on the wrong side in snapshot');
            this.rest(book, o);
          }
        }
      }
      for (let s = 0; s < 2; s++) {
        const st = book.stops[s]!;
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const o = this.readOrder(r, symbolId);
          this.u8[o * 80 + 70] = ST_STOP;
          st.push(s === Side.Buy ? -this.f64[o * 10 + 2]! : this.f64[o * 10 + 2]!, o);
        }
      }
    }
    if (!r.done()) throw new SnapshotError('trailing bytes in snapshot');
  }
}

const COUNTER_KEYS: readonly (keyof EngineCounters)[] = ['commands', 'newOrders', 'cancels', 'amends', 'invalid', 'rejected', 'trades', 'volume', 'triggered', 'expired', 'stpCancels'];

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private p = 0;
  private ensure(n: number): void {
    if (this.p + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.p + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.p));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u32(x: number): void {
    this.ensure(4);
    this.view.setUint32(this.p, x, true);
    this.p += 4;
  }
  f64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.p, x, true);
    this.p += 8;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.p);
  }
}

class Reader {
  private readonly view: DataView;
  private p = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.p + n > this.bytes.length) throw new SnapshotError('truncated snapshot');
  }
  u32(): number {
    this.need(4);
    const x = this.view.getUint32(this.p, true);
    this.p += 4;
    return x;
  }
  f64(): number {
    this.need(8);
    const x = this.view.getFloat64(this.p, true);
    this.p += 8;
    return x;
  }
  done(): boolean {
    return this.p === this.bytes.length;
  }
}
