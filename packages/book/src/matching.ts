// Matching: an order runs as a taker against the best levels of the other side (maker price,
// time priority, self-trade prevention), then rests, expires or is cancelled; the stops its
// trades trigger run next. Also the dry runs that decide post-only and FOK before acceptance.
import * as protocol from '@ringmatch/protocol';
import { createTrade, type Command, type Trade } from '@ringmatch/protocol';
import type { Book } from './book.js';
import type { IdMap } from './idmap.js';
import type { Ladder } from './ladder.js';
import type { LevelPool } from './level-pool.js';
import { NO_SLOT } from './no-slot.js';
import type { OrderPool } from './order-pool.js';
import type { Reports } from './reports.js';
import type { RestingOrders } from './resting-orders.js';
import { stpCancelsIncoming, stpCancelsResting } from './self-trade.js';
import { TriggerQueue } from './stop-triggers.js';
import type { BookSink, EngineCounters } from './types.js';

// The protocol's enums as module constants, which V8 folds (README: Keeping it fast).
const { ExecStatus, OrderType, Reason, Side, StpMode, TimeInForce } = protocol;

const NONE = NO_SLOT;

export class Matcher {
  /** Id of the last trade (trade ids count from 1). */
  tradeSeq = 0;
  private readonly trd: Trade = createTrade();
  private readonly triggered = new TriggerQueue();

  constructor(
    private readonly orders: OrderPool,
    private readonly levels: LevelPool,
    private readonly resting: RestingOrders,
    private readonly ids: IdMap,
    private readonly counters: EngineCounters,
    private readonly reports: Reports,
  ) {}

  /** Does a `side` order at `price` cross the opposite ladder's best? */
  crosses(opp: Ladder, side: number, price: number): boolean {
    if (opp.count === 0) return false;
    const best = opp.keys[opp.count - 1]!;
    return side === Side.Buy ? -best <= price : best >= price;
  }

  /** FOK dry run: would matching fill `qty` completely (STP applied as the real match would)? price NaN = market. */
  canFill(opp: Ladder, side: number, price: number, qty: number, acct: number, stp: number): boolean {
    const orders = this.orders;
    const levels = this.levels;
    const thr = Number.isNaN(price) ? -Infinity : side === Side.Buy ? -price : price;
    let need = qty;
    for (let i = opp.count - 1; i >= 0; i--) {
      if (opp.keys[i]! < thr) return false;
      const l = opp.levels[i]!;
      if (stp === StpMode.None) {
        need -= levels.qty(l);
        if (need <= 0) return true;
        continue;
      }
      for (let m = levels.head(l); m !== NONE; m = orders.next(m)) {
        if (orders.account(m) === acct) {
          if (!stpCancelsIncoming(stp)) continue; // the resting order would be cancelled
          return false; // the taker would be cancelled here
        }
        need -= orders.leavesQty(m);
        if (need <= 0) return true;
      }
    }
    return false;
  }

  /** Runs order `o` (state ACTIVE, in the id map) as a taker, then the stops its trades triggered. */
  take(cmd: Command, book: Book, o: number, sink: BookSink): void {
    const before = this.tradeSeq;
    this.execute(cmd, book, o, sink);
    if (this.tradeSeq !== before) this.checkStops(cmd, book, sink);
  }

  /** Runs stop `o`, accepted with its trigger already reached, and whatever its trades trigger. */
  fireStop(cmd: Command, book: Book, o: number, sink: BookSink): void {
    this.runTriggered(cmd, book, this.triggered.only(o), sink);
  }

  /**
   * Runs order `o` (state ACTIVE, in the id map) as a taker against the opposite side, then rests,
   * expires or cancels what is left.
   */
  private execute(cmd: Command, book: Book, o: number, sink: BookSink): void {
    const orders = this.orders;
    const levels = this.levels;
    const id = orders.id(o);
    const side = orders.side(o);
    const type = orders.type(o);
    const isMarket = type === OrderType.Market || type === OrderType.Stop;
    const limit = orders.price(o);
    const thr = isMarket ? -Infinity : side === Side.Buy ? -limit : limit;
    const opp = book.ladders[side ^ 1]!;
    const acct = orders.account(o);
    const stp = orders.stp(o);
    const stpOn = stp !== StpMode.None;
    let leaves = orders.leavesQty(o);
    let takerCancelled = false;
    const trd = this.trd;
    while (leaves > 0 && opp.count > 0) {
      const li = opp.count - 1;
      if (opp.keys[li]! < thr) break;
      const l = opp.levels[li]!;
      const price = levels.price(l);
      let m = levels.head(l);
      while (m !== NONE && leaves > 0) {
        const next = orders.next(m);
        const makerAcct = orders.account(m);
        if (stpOn && makerAcct === acct) {
          if (stpCancelsResting(stp)) this.cancelMaker(cmd, book, m, sink);
          if (stpCancelsIncoming(stp)) {
            takerCancelled = true;
            break;
          }
          m = next;
          continue;
        }
        const ml = orders.leavesQty(m);
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
        trd.makerOrderId = orders.id(m);
        trd.takerOrderId = id;
        trd.makerAccountId = makerAcct;
        trd.takerAccountId = acct;
        trd.takerSide = side as protocol.Side;
        sink.onTrade(trd);
        // maker
        orders.fill(m, q);
        levels.reduceQty(l, q);
        if (ml === q) {
          this.reports.order(cmd, m, ExecStatus.Filled, 0, q, price, tradeId, sink);
          this.resting.unlinkFilled(book, m, l);
          this.ids.delete(orders.id(m));
          orders.free(m);
        } else {
          this.reports.order(cmd, m, ExecStatus.PartiallyFilled, 0, q, price, tradeId, sink);
        }
        // taker
        orders.fill(o, q);
        this.reports.order(cmd, o, leaves === 0 ? ExecStatus.Filled : ExecStatus.PartiallyFilled, 0, q, price, tradeId, sink);
        book.lastPrice = price;
        m = next;
      }
      if (takerCancelled) break;
      // the level may be gone already (its last order filled or cancelled)
    }
    if (leaves === 0) {
      this.ids.delete(id);
      orders.free(o);
      return;
    }
    if (takerCancelled) {
      this.counters.stpCancels++;
      orders.setLeavesQty(o, 0);
      this.ids.delete(id);
      this.reports.order(cmd, o, ExecStatus.Cancelled, Reason.SelfTradePrevention, 0, 0, 0, sink);
      orders.free(o);
      return;
    }
    const tif = orders.tif(o);
    if (isMarket || tif === TimeInForce.IOC || tif === TimeInForce.FOK) {
      this.counters.expired++;
      orders.setLeavesQty(o, 0);
      this.ids.delete(id);
      this.reports.order(cmd, o, ExecStatus.Expired, Reason.UnfilledRemainder, 0, 0, 0, sink);
      orders.free(o);
      return;
    }
    this.resting.rest(book, o);
  }

  /** Self-trade prevention cancels resting order `m`. */
  private cancelMaker(cmd: Command, book: Book, m: number, sink: BookSink): void {
    const orders = this.orders;
    this.counters.stpCancels++;
    this.resting.unlink(book, m);
    orders.setLeavesQty(m, 0);
    this.ids.delete(orders.id(m));
    this.reports.order(cmd, m, ExecStatus.Cancelled, Reason.SelfTradePrevention, 0, 0, 0, sink);
    orders.free(m);
  }

  /** After trades: runs every stop whose trigger the last price has reached. */
  private checkStops(cmd: Command, book: Book, sink: BookSink): void {
    if (book.stops[0].count === 0 && book.stops[1].count === 0) return;
    const n = this.triggered.collect(book, 0);
    if (n > 0) this.runTriggered(cmd, book, n, sink);
  }

  /** Runs the `n` queued stops FIFO; their trades may trigger more (appended to the queue). */
  private runTriggered(cmd: Command, book: Book, n: number, sink: BookSink): void {
    const orders = this.orders;
    for (let head = 0; head < n; head++) {
      const o = this.triggered.at(head);
      this.counters.triggered++;
      orders.setActive(o);
      this.reports.order(cmd, o, ExecStatus.Triggered, 0, 0, 0, 0, sink);
      const side = orders.side(o);
      const opp = book.ladders[side ^ 1]!;
      const market = orders.type(o) === OrderType.Stop;
      if (
        orders.tif(o) === TimeInForce.FOK &&
        !this.canFill(opp, side, market ? NaN : orders.price(o), orders.leavesQty(o), orders.account(o), orders.stp(o))
      ) {
        this.counters.expired++;
        orders.setLeavesQty(o, 0);
        this.ids.delete(orders.id(o));
        this.reports.order(cmd, o, ExecStatus.Expired, Reason.FokCannotFill, 0, 0, 0, sink);
        orders.free(o);
        continue;
      }
      const before = this.tradeSeq;
      this.execute(cmd, book, o, sink);
      if (this.tradeSeq !== before) n = this.triggered.collect(book, n);
    }
  }
}
