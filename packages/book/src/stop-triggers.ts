// The run queue of triggered stops: after trades move a book's last price, every stop whose
// trigger it reached leaves its stop list and is queued; they then run FIFO, and their own trades
// may queue more.
import { Side } from '@ringmatch/protocol';
import type { Book } from './book.js';

export class TriggerQueue {
  private queue = new Int32Array(16);

  /** The order slot at queue position `i`. */
  at(i: number): number {
    return this.queue[i]!;
  }

  /** Empties the queue but for `o` (a stop accepted past its trigger); returns the length, 1. */
  only(o: number): number {
    this.queue[0] = o;
    return 1;
  }

  /** Queues, after the first `n` entries, the stops of `book` its last price has reached; returns the new length. */
  collect(book: Book, n: number): number {
    const lp = book.lastPrice;
    const buys = book.stops[Side.Buy];
    // buy stops trigger when last >= stopPrice (key = -stopPrice, next to trigger last)
    while (buys.count > 0 && lp >= -buys.keys[buys.count - 1]!) n = this.push(n, buys.orders[--buys.count]!);
    const sells = book.stops[Side.Sell];
    while (sells.count > 0 && lp <= sells.keys[sells.count - 1]!) n = this.push(n, sells.orders[--sells.count]!);
    return n;
  }

  private push(n: number, o: number): number {
    if (n === this.queue.length) {
      const queue = new Int32Array(n * 2);
      queue.set(this.queue);
      this.queue = queue;
    }
    this.queue[n] = o;
    return n + 1;
  }
}
