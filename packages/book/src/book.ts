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
}
