// Deterministic multi-symbol price-time priority matching engine: the facade that routes each
// command (new, cancel, amend, invalid) to its checks, the matcher and the reports, and answers
// queries (best prices, depth, orders, counters, snapshots).
//
// Orders and price levels are records in pooled typed arrays (order-pool.ts, level-pool.ts); each
// side of a book is a sorted ladder of levels (ladder.ts) holding FIFO queues of orders
// (resting-orders.ts), so cancel by id is a hash lookup plus an O(1) unlink. No clocks, no
// randomness: reports carry the command's timestamp and engine sequence.
import * as protocol from '@ringmatch/protocol';
import type { Command, StpMode, SymbolTable } from '@ringmatch/protocol';
import { Book } from './book.js';
import { IdMap } from './idmap.js';
import { LevelPool } from './level-pool.js';
import { Matcher } from './matching.js';
import { NewOrderChecks } from './new-order-checks.js';
import { OrderPool } from './order-pool.js';
import { Reports } from './reports.js';
import { RestingOrders } from './resting-orders.js';
import { AccountStpModes } from './self-trade.js';
import { type SnapshotState, decodeSnapshot, encodeSnapshot, openSnapshot } from './snapshot-codec.js';
import type { BookSink, EngineCounters, L2Depth, MatchingEngineOptions, OrderInfo } from './types.js';

// The protocol's enums as module constants, which V8 folds (README: Keeping it fast).
const { CommandKind, ExecStatus, Field, OrderType, Reason, Side, TimeInForce } = protocol;

export class MatchingEngine {
  readonly symbols: SymbolTable;
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
  /** Indexed by symbol id. */
  private readonly books: (Book | undefined)[] = [];
  /** Order id -> order slot, for every live order (resting or pending stop). */
  private readonly ids = new IdMap(1 << 12);
  private readonly stp = new AccountStpModes();
  private readonly orders: OrderPool;
  private readonly levels: LevelPool;
  private readonly resting: RestingOrders;
  private readonly reports: Reports;
  private readonly matcher: Matcher;
  private readonly checks: NewOrderChecks;

  constructor(options: MatchingEngineOptions) {
    this.symbols = options.symbols;
    this.orders = new OrderPool(Math.max(16, options.initialOrders ?? 1 << 14));
    this.levels = new LevelPool(Math.max(16, options.initialLevels ?? 1 << 12));
    this.resting = new RestingOrders(this.orders, this.levels);
    this.reports = new Reports(this.orders, this.counters);
    this.matcher = new Matcher(this.orders, this.levels, this.resting, this.ids, this.counters, this.reports);
    this.checks = new NewOrderChecks(this.matcher, this.stp);
    for (const def of this.symbols.list()) this.books[def.id] = new Book(def.id, def.tickSize, def.lotSize);
  }

  // ------------------------------------------------------------------------------------------
  // queries and settings

  /** Sets an account's default self-trade prevention mode (used by orders with stp = Default). */
  setAccountStp(accountId: number, mode: StpMode): void {
    this.stp.set(accountId, mode);
  }

  accountStpMode(accountId: number): StpMode {
    return this.stp.get(accountId);
  }

  /** Best bid price of a symbol, 0 when the bid side is empty (or unknown symbol). */
  bestBid(symbolId: number): number {
    const lad = this.books[symbolId]?.ladders[Side.Buy];
    return lad && lad.count > 0 ? lad.keys[lad.count - 1]! : 0;
  }

  /** Best ask price of a symbol, 0 when the ask side is empty (or unknown symbol). */
  bestAsk(symbolId: number): number {
    const lad = this.books[symbolId]?.ladders[Side.Sell];
    return lad && lad.count > 0 ? -lad.keys[lad.count - 1]! : 0;
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
      for (let i = lad.count - 1; i >= 0 && arr.length < levels; i--) {
        const l = lad.levels[i]!;
        arr.push({ price: this.levels.price(l), qty: this.levels.qty(l), orders: this.levels.orderCount(l) });
      }
    }
    return out;
  }

  /**
   * The top `max` levels of one side of a symbol, best first, written into the arrays from index
   * `at`; returns how many (the depth stream's allocation-free form of depth()).
   */
  topLevels(symbolId: number, side: protocol.Side, max: number, prices: Float64Array, qtys: Float64Array, orders: Int32Array, at: number): number {
    const book = this.books[symbolId];
    if (!book) return 0;
    const lad = book.ladders[side]!;
    const levels = this.levels;
    const ladLevels = lad.levels;
    let n = 0;
    for (let i = lad.count - 1; i >= 0 && n < max; i--, n++) {
      const l = ladLevels[i]!;
      prices[at + n] = levels.price(l);
      qtys[at + n] = levels.qty(l);
      orders[at + n] = levels.orderCount(l);
    }
    return n;
  }

  /** Number of live orders (resting + untriggered stops). */
  get openOrders(): number {
    return this.ids.size;
  }

  /** A live order's state, or undefined. */
  order(orderId: number): OrderInfo | undefined {
    const o = this.ids.get(orderId);
    if (o < 0) return undefined;
    const orders = this.orders;
    return {
      orderId,
      symbolId: orders.symbol(o),
      accountId: orders.account(o),
      side: orders.side(o) as protocol.Side,
      type: orders.type(o) as protocol.OrderType,
      tif: orders.tif(o) as protocol.TimeInForce,
      stp: orders.stp(o) as StpMode,
      price: orders.price(o),
      stopPrice: orders.stopPrice(o),
      qty: orders.qty(o),
      cumQty: orders.cumQty(o),
      leavesQty: orders.leavesQty(o),
      pendingStop: orders.isPendingStop(o),
    };
  }

  // ------------------------------------------------------------------------------------------
  // commands

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
        this.reports.rejectInvalid(cmd, sink);
        return;
      default:
        this.counters.invalid++;
        this.reports.reject(cmd, Reason.UnknownEnum, Field.Op, sink);
    }
  }

  private onNew(cmd: Command, sink: BookSink): void {
    const book = this.books[cmd.symbolId];
    if (book === undefined) return this.reports.reject(cmd, Reason.UnknownSymbol, Field.Symbol, sink);
    // One probe for the duplicate check and the insert: claim a slot, release it on rejection.
    const o = this.orders.alloc();
    if (this.ids.putIfAbsent(cmd.orderId, o) >= 0) {
      this.orders.release(o);
      return this.reports.reject(cmd, Reason.DuplicateOrderId, Field.OrderId, sink);
    }
    const reason = this.checks.check(cmd, book);
    if (reason !== 0) {
      this.ids.delete(cmd.orderId);
      this.orders.release(o);
      return this.reports.reject(cmd, reason, this.checks.field, sink);
    }
    this.accept(cmd, book, o, sink);
  }

  private accept(cmd: Command, book: Book, o: number, sink: BookSink): void {
    const type = cmd.type;
    this.orders.init(o, cmd, this.stp.effective(cmd));
    this.reports.accepted(cmd, o, sink);
    if (type === OrderType.Stop || type === OrderType.StopLimit) return this.acceptStop(cmd, book, o, sink);
    // A GTC or post-only limit that does not cross rests at once: what matching it would come to.
    const side = cmd.side;
    const tif = cmd.tif;
    if (
      type === OrderType.Limit &&
      (tif === TimeInForce.GTC || tif === TimeInForce.PostOnly) &&
      !this.matcher.crosses(book.ladders[side ^ 1]!, side, cmd.price)
    ) {
      this.resting.rest(book, o);
      return;
    }
    this.orders.setActive(o);
    this.matcher.take(cmd, book, o, sink);
  }

  /** An accepted stop waits in its stop list, or fires at once when the last price is already past its trigger. */
  private acceptStop(cmd: Command, book: Book, o: number, sink: BookSink): void {
    const side = cmd.side;
    this.orders.setPendingStop(o);
    const lp = book.lastPrice;
    if (lp !== 0 && (side === Side.Buy ? lp >= cmd.stopPrice : lp <= cmd.stopPrice)) this.matcher.fireStop(cmd, book, o, sink);
    else book.stops[side]!.insert(side === Side.Buy ? -cmd.stopPrice : cmd.stopPrice, o);
  }

  private onCancel(cmd: Command, sink: BookSink): void {
    const book = this.books[cmd.symbolId];
    if (book === undefined) return this.reports.reject(cmd, Reason.UnknownSymbol, Field.Symbol, sink);
    const orders = this.orders;
    const o = this.ids.get(cmd.orderId);
    if (o < 0 || orders.symbol(o) !== cmd.symbolId) return this.reports.reject(cmd, Reason.UnknownOrder, Field.OrderId, sink);
    if (orders.account(o) !== cmd.accountId) return this.reports.reject(cmd, Reason.NotOwner, Field.Account, sink);
    if (orders.isPendingStop(o)) book.stops[orders.side(o)]!.remove(o);
    else this.resting.unlink(book, o);
    orders.setLeavesQty(o, 0);
    this.ids.delete(cmd.orderId);
    this.reports.order(cmd, o, ExecStatus.Cancelled, Reason.UserCancel, 0, 0, 0, sink);
    orders.free(o);
  }

  private onAmend(cmd: Command, sink: BookSink): void {
    const book = this.books[cmd.symbolId];
    if (book === undefined) return this.reports.reject(cmd, Reason.UnknownSymbol, Field.Symbol, sink);
    const orders = this.orders;
    const o = this.ids.get(cmd.orderId);
    if (o < 0 || orders.symbol(o) !== cmd.symbolId) return this.reports.reject(cmd, Reason.UnknownOrder, Field.OrderId, sink);
    if (orders.account(o) !== cmd.accountId) return this.reports.reject(cmd, Reason.NotOwner, Field.Account, sink);
    if (cmd.qty < 0 || !Number.isSafeInteger(cmd.qty)) return this.reports.reject(cmd, Reason.InvalidQuantity, Field.Qty, sink);
    if (!book.onLotGrid(cmd.qty)) return this.reports.reject(cmd, Reason.QtyOffLot, Field.Qty, sink);
    if (cmd.price < 0 || !Number.isSafeInteger(cmd.price)) return this.reports.reject(cmd, Reason.InvalidPrice, Field.Price, sink);
    if (cmd.price !== 0) {
      if (orders.type(o) === OrderType.Stop) return this.reports.reject(cmd, Reason.InvalidAmend, Field.Price, sink);
      if (!book.onTickGrid(cmd.price)) return this.reports.reject(cmd, Reason.PriceOffTick, Field.Price, sink);
    }
    const side = orders.side(o);
    const oldPrice = orders.price(o);
    const oldLeaves = orders.leavesQty(o);
    const newPrice = cmd.price === 0 ? oldPrice : cmd.price;
    const newLeaves = cmd.qty === 0 ? oldLeaves : cmd.qty;
    if (orders.isPendingStop(o)) {
      orders.setPrice(o, newPrice);
      orders.setLeavesQty(o, newLeaves);
      orders.setQty(o, orders.cumQty(o) + newLeaves);
      this.reports.order(cmd, o, ExecStatus.Amended, 0, 0, 0, 0, sink);
      return;
    }
    const priceChanged = newPrice !== oldPrice;
    if (priceChanged && orders.tif(o) === TimeInForce.PostOnly && this.matcher.crosses(book.ladders[side ^ 1]!, side, newPrice))
      return this.reports.reject(cmd, Reason.PostOnlyWouldCross, Field.Price, sink);
    if (!priceChanged && newLeaves <= oldLeaves) {
      // keeps its time priority
      const l = orders.level(o);
      this.levels.reduceQty(l, oldLeaves - newLeaves);
      orders.setLeavesQty(o, newLeaves);
      orders.setQty(o, orders.cumQty(o) + newLeaves);
      this.reports.order(cmd, o, ExecStatus.Amended, 0, 0, 0, 0, sink);
      return;
    }
    // loses priority: leaves the book and re-enters (possibly as a taker) at the new price
    this.resting.unlink(book, o);
    orders.setPrice(o, newPrice);
    orders.setLeavesQty(o, newLeaves);
    orders.setQty(o, orders.cumQty(o) + newLeaves);
    orders.setActive(o);
    this.reports.order(cmd, o, ExecStatus.Amended, 0, 0, 0, 0, sink);
    this.matcher.take(cmd, book, o, sink);
  }

  // ------------------------------------------------------------------------------------------
  // snapshot / restore

  private get state(): SnapshotState {
    return { books: this.books, orders: this.orders, levels: this.levels, resting: this.resting, ids: this.ids, stp: this.stp, counters: this.counters };
  }

  /**
   * Serializes the complete state (books in priority order, stops in trigger order, account STP
   * modes, trade sequence, counters). Same state => byte-identical snapshot.
   */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.state, this.matcher.tradeSeq);
  }

  /** Replaces the whole state with a snapshot taken by `snapshot()` (same symbol table). */
  restore(bytes: Uint8Array): void {
    const reader = openSnapshot(bytes);
    this.ids.clear();
    this.stp.clear();
    this.orders.clear();
    this.levels.clear();
    for (let id = 0; id < this.books.length; id++) {
      const def = this.books[id];
      if (def) this.books[id] = new Book(def.symbolId, def.tickSize, def.lotSize);
    }
    this.matcher.tradeSeq = decodeSnapshot(reader, this.state);
  }
}
