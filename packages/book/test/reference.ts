// A deliberately simple, obviously correct matcher used as the oracle for MatchingEngine.
// Plain objects and arrays; best maker found by a linear scan + sort on every step; FOK decided by
// running the real matching on a deep copy of the book. Slow on purpose, short on purpose.
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

export type Out = { kind: 'report'; report: ExecutionReport } | { kind: 'trade'; trade: Trade };

interface RefOrder {
  orderId: number;
  symbolId: number;
  accountId: number;
  side: number;
  type: number;
  tif: number;
  stp: number;
  price: number;
  stopPrice: number;
  qty: number;
  cum: number;
  leaves: number;
  /** time priority in the book (assigned when it rests) or stop arrival order */
  time: number;
}

interface RefBook {
  tick: number;
  lot: number;
  orders: RefOrder[]; // resting
  stops: RefOrder[]; // untriggered
  last: number;
}

export class ReferenceMatcher {
  private readonly books = new Map<number, RefBook>();
  private readonly live = new Map<number, RefOrder>();
  private readonly acctStp = new Map<number, number>();
  private clock = 0;
  private tradeId = 0;
  out: Out[] = [];
  private cmd!: Command;
  private muted = false;

  constructor(symbols: SymbolTable) {
    for (const d of symbols.list()) this.books.set(d.id, { tick: d.tickSize, lot: d.lotSize, orders: [], stops: [], last: 0 });
  }

  setAccountStp(acct: number, mode: number): void {
    if (mode === StpMode.Default || mode === StpMode.None) this.acctStp.delete(acct);
    else this.acctStp.set(acct, mode);
  }

  bestBid(sym: number): number {
    const bids = this.books.get(sym)?.orders.filter((o) => o.side === Side.Buy) ?? [];
    return bids.length ? Math.max(...bids.map((o) => o.price)) : 0;
  }
  bestAsk(sym: number): number {
    const asks = this.books.get(sym)?.orders.filter((o) => o.side === Side.Sell) ?? [];
    return asks.length ? Math.min(...asks.map((o) => o.price)) : 0;
  }
  depth(sym: number, n: number): { bids: [number, number, number][]; asks: [number, number, number][] } {
    const agg = (side: number): [number, number, number][] => {
      const m = new Map<number, [number, number, number]>();
      for (const o of this.books.get(sym)?.orders ?? []) {
        if (o.side !== side) continue;
        const e = m.get(o.price) ?? [o.price, 0, 0];
        e[1] += o.leaves;
        e[2] += 1;
        m.set(o.price, e);
      }
      return [...m.values()].sort((a, b) => (side === Side.Buy ? b[0] - a[0] : a[0] - b[0])).slice(0, n);
    };
    return { bids: agg(Side.Buy), asks: agg(Side.Sell) };
  }
  get openOrders(): number {
    return this.live.size;
  }

  private emitReport(o: RefOrder, status: number, reason: number, lastQty = 0, lastPrice = 0, tradeId = 0): void {
    if (this.muted) return;
    this.out.push({
      kind: 'report',
      report: createReport({
        seq: this.cmd.seq,
        timestamp: this.cmd.timestamp,
        status: status as ExecStatus,
        reason,
        field: 0,
        symbolId: o.symbolId,
        orderId: o.orderId,
        accountId: o.accountId,
        side: o.side as Side,
        type: o.type as OrderType,
        tif: o.tif as TimeInForce,
        price: o.price,
        stopPrice: o.stopPrice,
        qty: o.qty,
        cumQty: o.cum,
        leavesQty: o.leaves,
        lastQty,
        lastPrice,
        tradeId,
      }),
    });
  }

  private reject(c: Command, reason: number, field: number): void {
    this.out.push({
      kind: 'report',
      report: createReport({
        seq: c.seq,
        timestamp: c.timestamp,
        status: ExecStatus.Rejected,
        reason,
        field,
        symbolId: c.symbolId,
        orderId: c.orderId,
        accountId: c.accountId,
        side: c.side,
        type: c.type,
        tif: c.tif,
        price: c.price,
        stopPrice: c.stopPrice,
        qty: c.qty,
      }),
    });
  }

  process(c: Command): void {
    this.cmd = c;
    if (c.kind === CommandKind.New) return this.onNew(c);
    if (c.kind === CommandKind.Cancel) return this.onCancel(c);
    if (c.kind === CommandKind.Amend) return this.onAmend(c);
    if (c.kind === CommandKind.Invalid) return this.reject(c, c.reason || Reason.Malformed, c.field);
    return this.reject(c, Reason.UnknownEnum, Field.Op);
  }

  private crossesPrice(side: number, limit: number, isMarket: boolean, makerPrice: number): boolean {
    if (isMarket) return true;
    return side === Side.Buy ? makerPrice <= limit : makerPrice >= limit;
  }

  /** Best maker for a taker: best price, then earliest time. */
  private bestMaker(book: RefBook, t: RefOrder): RefOrder | undefined {
    const isMarket = t.type === OrderType.Market || t.type === OrderType.Stop;
    const c = book.orders.filter((m) => m.side !== t.side && this.crossesPrice(t.side, t.price, isMarket, m.price));
    c.sort((a, b) => (a.price !== b.price ? (t.side === Side.Buy ? a.price - b.price : b.price - a.price) : a.time - b.time));
    return c[0];
  }

  private removeResting(book: RefBook, o: RefOrder): void {
    book.orders.splice(book.orders.indexOf(o), 1);
  }

  /** Returns true when the taker was cancelled by self-trade prevention. */
  private match(book: RefBook, t: RefOrder): boolean {
    while (t.leaves > 0) {
      const m = this.bestMaker(book, t);
      if (!m) return false;
      if (t.stp !== StpMode.None && m.accountId === t.accountId) {
        if (t.stp === StpMode.CancelOldest || t.stp === StpMode.CancelBoth) {
          this.removeResting(book, m);
          this.live.delete(m.orderId);
          m.leaves = 0;
          this.emitReport(m, ExecStatus.Cancelled, Reason.SelfTradePrevention);
        }
        if (t.stp !== StpMode.CancelOldest) return true;
        continue;
      }
      const q = Math.min(m.leaves, t.leaves);
      const tradeId = ++this.tradeId;
      if (!this.muted) {
        this.out.push({
          kind: 'trade',
          trade: createTrade({
            seq: this.cmd.seq,
            timestamp: this.cmd.timestamp,
            tradeId,
            symbolId: t.symbolId,
            price: m.price,
            qty: q,
            makerOrderId: m.orderId,
            takerOrderId: t.orderId,
            makerAccountId: m.accountId,
            takerAccountId: t.accountId,
            takerSide: t.side as Side,
          }),
        });
      }
      m.leaves -= q;
      m.cum += q;
      this.emitReport(m, m.leaves === 0 ? ExecStatus.Filled : ExecStatus.PartiallyFilled, 0, q, m.price, tradeId);
      if (m.leaves === 0) {
        this.removeResting(book, m);
        this.live.delete(m.orderId);
      }
      t.leaves -= q;
      t.cum += q;
      this.emitReport(t, t.leaves === 0 ? ExecStatus.Filled : ExecStatus.PartiallyFilled, 0, q, m.price, tradeId);
      book.last = m.price;
    }
    return false;
  }

  /** FOK: run the real matching on a deep copy and see whether it fills completely. */
  private wouldFill(book: RefBook, t: RefOrder): boolean {
    const saved = { live: new Map(this.live), tradeId: this.tradeId, last: book.last };
    const copy: RefBook = structuredClone(book);
    const tc: RefOrder = { ...t };
    this.muted = true;
    const cancelled = this.match(copy, tc);
    this.muted = false;
    this.live.clear();
    for (const [k, v] of saved.live) this.live.set(k, v);
    this.tradeId = saved.tradeId;
    return !cancelled && tc.leaves === 0;
  }

  /** Runs an active order as taker; then it is done, expires, is cancelled or rests. */
  private execute(book: RefBook, o: RefOrder): void {
    const hadTrades = this.tradeId;
    const stpCancelled = this.match(book, o);
    if (o.leaves === 0) this.live.delete(o.orderId);
    else if (stpCancelled) {
      this.live.delete(o.orderId);
      o.leaves = 0;
      this.emitReport(o, ExecStatus.Cancelled, Reason.SelfTradePrevention);
    } else if (o.type === OrderType.Market || o.type === OrderType.Stop || o.tif === TimeInForce.IOC || o.tif === TimeInForce.FOK) {
      this.live.delete(o.orderId);
      o.leaves = 0;
      this.emitReport(o, ExecStatus.Expired, Reason.UnfilledRemainder);
    } else {
      o.time = ++this.clock;
      book.orders.push(o);
    }
    void hadTrades;
  }

  /** Stops whose trigger the last price reached: buys (lowest stop first), then sells (highest first); ties by arrival. */
  private takeTriggered(book: RefBook): RefOrder[] {
    const buys = book.stops.filter((s) => s.side === Side.Buy && book.last >= s.stopPrice).sort((a, b) => a.stopPrice - b.stopPrice || a.time - b.time);
    const sells = book.stops.filter((s) => s.side === Side.Sell && book.last <= s.stopPrice).sort((a, b) => b.stopPrice - a.stopPrice || a.time - b.time);
    const all = [...buys, ...sells];
    book.stops = book.stops.filter((s) => !all.includes(s));
    return all;
  }

  private runStops(book: RefBook, queue: RefOrder[]): void {
    for (let i = 0; i < queue.length; i++) {
      const o = queue[i]!;
      this.emitReport(o, ExecStatus.Triggered, 0);
      if (o.tif === TimeInForce.FOK && !this.wouldFill(book, o)) {
        this.live.delete(o.orderId);
        o.leaves = 0;
        this.emitReport(o, ExecStatus.Expired, Reason.FokCannotFill);
        continue;
      }
      const before = this.tradeId;
      this.execute(book, o);
      if (this.tradeId !== before) queue.push(...this.takeTriggered(book));
    }
  }

  private onNew(c: Command): void {
    const book = this.books.get(c.symbolId);
    if (!book) return this.reject(c, Reason.UnknownSymbol, Field.Symbol);
    if (this.live.has(c.orderId)) return this.reject(c, Reason.DuplicateOrderId, Field.OrderId);
    if (!(c.qty > 0) || !Number.isSafeInteger(c.qty)) return this.reject(c, Reason.InvalidQuantity, Field.Qty);
    if (c.qty % book.lot !== 0) return this.reject(c, Reason.QtyOffLot, Field.Qty);
    if (c.side !== Side.Buy && c.side !== Side.Sell) return this.reject(c, Reason.InvalidOrderType, Field.Side);
    const limitLike = c.type === OrderType.Limit || c.type === OrderType.StopLimit;
    const marketLike = c.type === OrderType.Market || c.type === OrderType.Stop;
    if (limitLike) {
      if (!(c.price > 0) || !Number.isSafeInteger(c.price)) return this.reject(c, Reason.InvalidPrice, Field.Price);
      if (c.price % book.tick !== 0) return this.reject(c, Reason.PriceOffTick, Field.Price);
    } else if (marketLike) {
      if (c.price !== 0) return this.reject(c, Reason.InvalidPrice, Field.Price);
    } else return this.reject(c, Reason.InvalidOrderType, Field.Type);
    const isStop = c.type === OrderType.Stop || c.type === OrderType.StopLimit;
    if (isStop) {
      if (!(c.stopPrice > 0) || !Number.isSafeInteger(c.stopPrice)) return this.reject(c, Reason.InvalidStopPrice, Field.StopPrice);
      if (c.stopPrice % book.tick !== 0) return this.reject(c, Reason.PriceOffTick, Field.StopPrice);
    } else if (c.stopPrice !== 0) return this.reject(c, Reason.InvalidStopPrice, Field.StopPrice);
    if (c.tif > TimeInForce.PostOnly || (c.tif === TimeInForce.PostOnly && c.type !== OrderType.Limit))
      return this.reject(c, Reason.InvalidOrderType, Field.Tif);
    if (c.stp > StpMode.CancelBoth) return this.reject(c, Reason.InvalidOrderType, Field.Stp);
    const stp = c.stp === StpMode.Default ? (this.acctStp.get(c.accountId) ?? StpMode.None) : c.stp;
    const o: RefOrder = {
      orderId: c.orderId,
      symbolId: c.symbolId,
      accountId: c.accountId,
      side: c.side,
      type: c.type,
      tif: c.tif,
      stp,
      price: c.price,
      stopPrice: c.stopPrice,
      qty: c.qty,
      cum: 0,
      leaves: c.qty,
      time: 0,
    };
    if (!isStop) {
      const opp = book.orders.filter((m) => m.side !== c.side);
      if (c.type === OrderType.Market && opp.length === 0) return this.reject(c, Reason.NoLiquidity, Field.None);
      if (c.tif === TimeInForce.PostOnly && opp.some((m) => this.crossesPrice(c.side, c.price, false, m.price)))
        return this.reject(c, Reason.PostOnlyWouldCross, Field.Price);
      if (c.tif === TimeInForce.FOK && !this.wouldFill(book, o)) return this.reject(c, Reason.FokCannotFill, Field.Qty);
    }
    this.live.set(c.orderId, o);
    this.emitReport(o, ExecStatus.Accepted, 0);
    if (isStop) {
      o.time = ++this.clock;
      if (book.last !== 0 && (c.side === Side.Buy ? book.last >= c.stopPrice : book.last <= c.stopPrice)) this.runStops(book, [o]);
      else book.stops.push(o);
      return;
    }
    const before = this.tradeId;
    this.execute(book, o);
    if (this.tradeId !== before) this.runStops(book, this.takeTriggered(book));
  }

  private findOwn(c: Command): RefOrder | undefined | 'reject' {
    const o = this.live.get(c.orderId);
    if (!o || o.symbolId !== c.symbolId) {
      this.reject(c, Reason.UnknownOrder, Field.OrderId);
      return 'reject';
    }
    if (o.accountId !== c.accountId) {
      this.reject(c, Reason.NotOwner, Field.Account);
      return 'reject';
    }
    return o;
  }

  private onCancel(c: Command): void {
    const book = this.books.get(c.symbolId);
    if (!book) return this.reject(c, Reason.UnknownSymbol, Field.Symbol);
    const o = this.findOwn(c);
    if (o === 'reject' || !o) return;
    book.orders = book.orders.filter((x) => x !== o);
    book.stops = book.stops.filter((x) => x !== o);
    this.live.delete(o.orderId);
    o.leaves = 0;
    this.emitReport(o, ExecStatus.Cancelled, Reason.UserCancel);
  }

  private onAmend(c: Command): void {
    const book = this.books.get(c.symbolId);
    if (!book) return this.reject(c, Reason.UnknownSymbol, Field.Symbol);
    const o = this.findOwn(c);
    if (o === 'reject' || !o) return;
    if (c.qty < 0 || !Number.isSafeInteger(c.qty)) return this.reject(c, Reason.InvalidQuantity, Field.Qty);
    if (c.qty % book.lot !== 0) return this.reject(c, Reason.QtyOffLot, Field.Qty);
    if (c.price < 0 || !Number.isSafeInteger(c.price)) return this.reject(c, Reason.InvalidPrice, Field.Price);
    if (c.price !== 0) {
      if (o.type === OrderType.Stop) return this.reject(c, Reason.InvalidAmend, Field.Price);
      if (c.price % book.tick !== 0) return this.reject(c, Reason.PriceOffTick, Field.Price);
    }
    const newPrice = c.price === 0 ? o.price : c.price;
    const newLeaves = c.qty === 0 ? o.leaves : c.qty;
    if (book.stops.includes(o)) {
      o.price = newPrice;
      o.leaves = newLeaves;
      o.qty = o.cum + newLeaves;
      this.emitReport(o, ExecStatus.Amended, 0);
      return;
    }
    const priceChanged = newPrice !== o.price;
    if (priceChanged && o.tif === TimeInForce.PostOnly && book.orders.some((m) => m.side !== o.side && this.crossesPrice(o.side, newPrice, false, m.price))) {
      return this.reject(c, Reason.PostOnlyWouldCross, Field.Price);
    }
    if (!priceChanged && newLeaves <= o.leaves) {
      o.leaves = newLeaves;
      o.qty = o.cum + newLeaves;
      this.emitReport(o, ExecStatus.Amended, 0);
      return;
    }
    this.removeResting(book, o);
    o.price = newPrice;
    o.leaves = newLeaves;
    o.qty = o.cum + newLeaves;
    this.emitReport(o, ExecStatus.Amended, 0);
    const before = this.tradeId;
    this.execute(book, o);
    if (this.tradeId !== before) this.runStops(book, this.takeTriggered(book));
  }
}
