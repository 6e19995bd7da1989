// Resting orders: each price level holds its orders in a doubly linked FIFO (time priority) of
// order slots; the side's ladder indexes the levels. Resting creates a level on demand, and a
// level that loses its last order leaves the ladder and the pool.
import * as protocol from '@ringmatch/protocol';
import type { Book } from './book.js';
import type { Ladder } from './ladder.js';
import type { LevelPool } from './level-pool.js';
import { NO_SLOT } from './no-slot.js';
import type { OrderPool } from './order-pool.js';

// The protocol's enums as module constants, which V8 folds (README: Keeping it fast).
const { Side } = protocol;

const NONE = NO_SLOT;

export class RestingOrders {
  constructor(
    private readonly orders: OrderPool,
    private readonly levels: LevelPool,
  ) {}

  /** Appends order `o` to the tail of its price level (creating the level if needed). */
  rest(book: Book, o: number): void {
    const orders = this.orders;
    const levels = this.levels;
    const side = orders.side(o);
    const price = orders.price(o);
    const lad = book.ladders[side]!;
    const key = side === Side.Buy ? price : -price;
    const i = lad.lowerBound(key);
    const l = i < lad.count && lad.keys[i] === key ? lad.levels[i]! : this.openLevel(lad, i, key, price, side);
    const tail = levels.tail(l);
    orders.setPrev(o, tail);
    orders.setNext(o, NONE);
    if (tail === NONE) levels.setHead(l, o);
    else orders.setNext(tail, o);
    levels.setTail(l, o);
    levels.addOrder(l, orders.leavesQty(o));
    orders.setLevel(o, l);
    orders.setResting(o);
  }

  /** Removes a resting order (with its open quantity) from its level; drops an emptied level. */
  unlink(book: Book, o: number): void {
    const l = this.orders.level(o);
    this.levels.reduceQty(l, this.orders.leavesQty(o));
    this.unlinkFilled(book, o, l);
  }

  /** Unlinks `o` from level `l` (level qty already adjusted); drops the level when empty. */
  unlinkFilled(book: Book, o: number, l: number): void {
    const orders = this.orders;
    const levels = this.levels;
    const prev = orders.prev(o);
    const next = orders.next(o);
    if (prev === NONE) levels.setHead(l, next);
    else orders.setNext(prev, next);
    if (next === NONE) levels.setTail(l, prev);
    else orders.setPrev(next, prev);
    orders.setLevel(o, NONE);
    if (levels.removeOrder(l) === 0) this.closeLevel(book, orders.side(o), l);
  }

  // Level creation and removal are the rare branches of rest and unlink: separate methods keep
  // them out of the inlined common path.

  /** A new level at `price`, inserted at index `i` of the ladder. */
  private openLevel(lad: Ladder, i: number, key: number, price: number, side: number): number {
    const l = this.levels.alloc(price, side);
    lad.insertAt(i, key, l);
    return l;
  }

  /** Drops empty level `l` from the `side` ladder and the pool. */
  private closeLevel(book: Book, side: number, l: number): void {
    const lad = book.ladders[side]!;
    const price = this.levels.price(l);
    const key = side === Side.Buy ? price : -price;
    const i = lad.count > 0 && lad.keys[lad.count - 1] === key ? lad.count - 1 : lad.lowerBound(key);
    lad.removeAt(i);
    this.levels.free(l);
  }
}
