// The state of one symbol's book: both price ladders, both stop lists and the last trade price.
import { Ladder } from './ladder.js';
import { StopList } from './stop-list.js';

export class Book {
  /** [bids, asks], indexed by Side. */
  readonly ladders: [Ladder, Ladder] = [new Ladder(64), new Ladder(64)];
  /** [buy stops, sell stops], indexed by Side. */
  readonly stops: [StopList, StopList] = [new StopList(8), new StopList(8)];
  lastPrice = 0;
  constructor(
    readonly symbolId: number,
    readonly tickSize: number,
    readonly lotSize: number,
  ) {}

  // Grid checks skip the remainder on the common unit grid: a `%` of values the JIT types as
  // doubles (commands decoded from slots) is a call to fmod.

  /** Is `qty` a whole number of lots? */
  onLotGrid(qty: number): boolean {
    return this.lotSize === 1 || qty % this.lotSize === 0;
  }

  /** Is `price` a whole number of ticks? */
  onTickGrid(price: number): boolean {
    return this.tickSize === 1 || price % this.tickSize === 0;
  }
}
