// The L2 depth stream's state: per symbol and side, the top N levels last published. After each
// command the tracker publishes what differs between that and the books' top N (a level whose
// quantity or order count changed, one that entered the top N, and one that left it, with quantity
// 0), best first. Because it publishes after every command, what it last published always equals
// the books: after a restore it starts from the books themselves, and a restarted run's stream
// equals an uninterrupted one's, whatever the batching.
// Fast path: the level pool records the levels a command changed (touched-levels.ts), and the
// tracker looks at those alone (updateSide): a command that changed none costs nothing. Only a
// command that changed more levels than TouchedLevels keeps makes it read the side's top N in full
// and merge it with what was published (diffSide, also the reference the tests hold the fast path
// to).
import { DepthKind, Side, createDepthUpdate, type DepthUpdate } from '@ringmatch/protocol';
import type { MatchingEngine } from './matching-engine.js';
import { TouchedLevels } from './touched-levels.js';

/** Receives depth updates. The update object is reused: copy it if you keep it. */
export interface DepthSink {
  onDepth(update: DepthUpdate): void;
}

/** Takes a symbol's published levels (price, qty and orders arrays; bids from bidAt, asks from askAt), exact at `seq`. */
export interface LevelsTarget {
  write(
    symbolId: number,
    seq: number,
    prices: Float64Array,
    qtys: Float64Array,
    orders: Int32Array,
    bidAt: number,
    bidCount: number,
    askAt: number,
    askCount: number,
  ): void;
}

export class DepthTracker {
  /** Per (symbol, side): the published levels at [(symbol * 2 + side) * levels, + count). */
  private readonly prices: Float64Array;
  private readonly qtys: Float64Array;
  private readonly orders: Int32Array;
  private readonly counts: Int32Array;
  /** The books' top N of one side, read after a command. */
  private readonly nowPrices: Float64Array;
  private readonly nowQtys: Float64Array;
  private readonly nowOrders: Int32Array;
  private readonly known: Uint8Array;
  /** Symbols whose published levels changed since the last publishChanged. */
  private readonly dirty: Uint8Array;
  private readonly dirtyIds: Int32Array;
  private dirtyCount = 0;
  private readonly update = createDepthUpdate();
  private readonly touched: TouchedLevels;
  /** The lines of one side being worked out (fast path): price, qty, orders. */
  private readonly linePrices: Float64Array;
  private readonly lineQtys: Float64Array;
  private readonly lineOrders: Int32Array;
  private lineCount = 0;
  /** Test hook: always read the top N in full (the reference path). */
  fullOnly = false;
  /** Symbol ids, ascending (snapshots go in this order). */
  readonly symbolIds: number[];

  constructor(
    private readonly engine: MatchingEngine,
    /** N: the levels per side the stream covers. */
    readonly levels: number,
  ) {
    if (!Number.isSafeInteger(levels) || levels < 1) throw new RangeError(`depth levels must be an integer >= 1, got ${levels}`);
    this.symbolIds = engine.symbols
      .list()
      .map((d) => d.id)
      .sort((a, b) => a - b);
    const slots = (this.symbolIds.at(-1) ?? -1) + 1;
    this.prices = new Float64Array(slots * 2 * levels);
    this.qtys = new Float64Array(slots * 2 * levels);
    this.orders = new Int32Array(slots * 2 * levels);
    this.counts = new Int32Array(slots * 2);
    this.nowPrices = new Float64Array(levels);
    this.nowQtys = new Float64Array(levels);
    this.nowOrders = new Int32Array(levels);
    this.touched = engine.trackTouchedLevels();
    // the fast path's lines of one side: one per touched level, plus one per published level pushed
    // out or one per level filling in from below (never both in one command): at most 2 x CAPACITY
    const lines = 3 * TouchedLevels.CAPACITY;
    this.linePrices = new Float64Array(lines);
    this.lineQtys = new Float64Array(lines);
    this.lineOrders = new Int32Array(lines);
    this.known = new Uint8Array(slots);
    this.dirty = new Uint8Array(slots);
    this.dirtyIds = new Int32Array(slots);
    for (const id of this.symbolIds) this.known[id] = 1;
  }

  /** Takes the books as published (at start, and after restoring a snapshot). */
  sync(): void {
    this.touched.clear();
    for (const id of this.symbolIds) {
      for (const side of [Side.Buy, Side.Sell]) {
        const key = id * 2 + side;
        this.counts[key] = this.engine.topLevels(id, side, this.levels, this.prices, this.qtys, this.orders, key * this.levels);
      }
    }
  }

  /** After a command on `symbolId` at `seq` (every command: it also clears what the command touched): publishes the changes of its top N on both sides. */
  afterCommand(symbolId: number, seq: number, sink: DepthSink): void {
    const touched = this.touched;
    const known = symbolId < this.known.length && this.known[symbolId] !== 0;
    if (this.fullOnly) {
      if (known) for (let side = Side.Buy; side <= Side.Sell; side++) this.diffSide(symbolId, side, seq, sink);
      touched.clear();
      return;
    }
    if (touched.count === 0 && !touched.overflow) return; // no level changed
    if (known) {
      for (let side = Side.Buy; side <= Side.Sell; side++) {
        if (touched.overflow) this.diffSide(symbolId, side, seq, sink);
        else if (this.lookUp(symbolId, side) > 0) this.updateSide(symbolId, side, seq, sink);
      }
    }
    touched.clear();
  }

  /**
   * Looks up each level of this side the command touched that could be in the top N now: its rank
   * and state in the book (rank -1: it no longer exists). Returns how many (the look-up arrays).
   */
  private lookUp(symbolId: number, side: Side): number {
    const t = this.touched;
    const key = symbolId * 2 + side;
    const count = this.counts[key]!;
    // A full top N's worst published price: a touched level below it was not published and can
    // only enter where a published level left, which the fill below finds by reading the book.
    const sign = side === Side.Buy ? 1 : -1;
    const floor = count === this.levels ? sign * this.prices[key * this.levels + count - 1]! : Number.NEGATIVE_INFINITY;
    let n = 0;
    for (let k = 0; k < t.count; k++) {
      if (t.sides[k] !== side) continue;
      const price = t.prices[k]!;
      if (sign * price < floor) continue;
      this.lookPrices[n] = price;
      this.lookRanks[n] = this.rankOf(symbolId, side, price);
      this.lookQtys[n] = this.rankQty;
      this.lookOrders[n] = this.rankOrders;
      n++;
    }
    this.lookUpCount = n;
    return n;
  }
  private readonly lookPrices = new Float64Array(TouchedLevels.CAPACITY);
  private readonly lookRanks = new Int32Array(TouchedLevels.CAPACITY);
  private readonly lookQtys = new Float64Array(TouchedLevels.CAPACITY);
  private readonly lookOrders = new Int32Array(TouchedLevels.CAPACITY);
  private lookUpCount = 0;

  /** Index of `price` among the published levels of (symbol, side) `key`, or -1. */
  private indexOf(key: number, price: number): number {
    const base = key * this.levels;
    const count = this.counts[key]!;
    for (let j = 0; j < count; j++) if (this.prices[base + j] === price) return j;
    return -1;
  }

  /** The level's rank in its book now (0 = best), or -1 when it does not exist; its qty and orders in `rankQty`/`rankOrders` (0 when it does not). */
  private rankOf(symbolId: number, side: Side, price: number): number {
    const lad = this.engine.ladderOf(symbolId, side)!;
    const key = side === Side.Buy ? price : -price;
    const i = lad.lowerBound(key);
    if (i >= lad.count || lad.keys[i] !== key) {
      this.rankQty = 0;
      this.rankOrders = 0;
      return -1;
    }
    const pool = this.engine.levelPool;
    const l = lad.levels[i]!;
    this.rankQty = pool.qty(l);
    this.rankOrders = pool.orderCount(l);
    return lad.count - 1 - i;
  }
  private rankQty = 0;
  private rankOrders = 0;

  /**
   * The fast path: the new top N from the published levels and the looked-up touched ones alone,
   * plus, where published levels vanished, the book's next levels below the old worst one.
   * 1. Published levels that vanished leave.
   * 2. Touched levels still published take their new state; touched levels ranked within N now
   *    enter (when full, the worst published level leaves: it has N better levels now).
   * 3. If the top N was full and is not any more, the levels that fill it can only be ones below the
   *    old worst published level (every untouched level above it was published): read them from
   *    the book, best first, until full.
   * The full read (diffSide) is the reference the tests hold this to.
   */
  private updateSide(symbolId: number, side: Side, seq: number, sink: DepthSink): void {
    const key = symbolId * 2 + side;
    const base = key * this.levels;
    const n = this.levels;
    const prices = this.prices;
    const qtys = this.qtys;
    const orders = this.orders;
    const wasFull = this.counts[key] === n;
    const oldWorst = prices[base + n - 1]!;
    const looked = this.lookUpCount;
    this.lineCount = 0;
    for (let k = 0; k < looked; k++) {
      if (this.lookRanks[k]! >= 0) continue;
      const j = this.indexOf(key, this.lookPrices[k]!);
      if (j < 0) continue; // gone, and was not published
      this.removeAt(key, j);
      this.line(this.lookPrices[k]!, 0, 0);
    }
    for (let k = 0; k < looked; k++) {
      const rank = this.lookRanks[k]!;
      if (rank < 0) continue;
      const price = this.lookPrices[k]!;
      const qty = this.lookQtys[k]!;
      const ord = this.lookOrders[k]!;
      const j = this.indexOf(key, price);
      if (j >= 0) {
        if (qtys[base + j] !== qty || orders[base + j] !== ord) {
          qtys[base + j] = qty;
          orders[base + j] = ord;
          this.line(price, qty, ord);
        }
      } else if (rank < n) {
        if (this.counts[key] === n) {
          this.line(prices[base + n - 1]!, 0, 0);
          this.counts[key] = n - 1;
        }
        this.insert(key, side, price, qty, ord);
        this.line(price, qty, ord);
      }
    }
    if (wasFull && this.counts[key]! < n) this.fillBelow(symbolId, side, oldWorst);
    if (this.lineCount === 0) return;
    this.markDirty(symbolId);
    this.emitLines(symbolId, side, seq, sink);
  }

  /** Adds the book's levels below `oldWorst` (best first) that are not published, until the top N is full. */
  private fillBelow(symbolId: number, side: Side, oldWorst: number): void {
    const key = symbolId * 2 + side;
    const lad = this.engine.ladderOf(symbolId, side)!;
    const pool = this.engine.levelPool;
    // ladder keys ascend to the best: the levels worse than oldWorst are below its lower bound
    for (let i = lad.lowerBound(side === Side.Buy ? oldWorst : -oldWorst) - 1; i >= 0 && this.counts[key]! < this.levels; i--) {
      const price = side === Side.Buy ? lad.keys[i]! : -lad.keys[i]!;
      if (this.indexOf(key, price) >= 0) continue; // a touched level already entered
      const l = lad.levels[i]!;
      this.insert(key, side, price, pool.qty(l), pool.orderCount(l));
      this.line(price, pool.qty(l), pool.orderCount(l));
    }
  }

  /** Inserts a level into the published levels of `key` in price order (there is room). */
  private insert(key: number, side: Side, price: number, qty: number, ord: number): void {
    const base = key * this.levels;
    const prices = this.prices;
    const sign = side === Side.Buy ? 1 : -1;
    let at = this.counts[key]!;
    while (at > 0 && sign * prices[base + at - 1]! < sign * price) {
      prices[base + at] = prices[base + at - 1]!;
      this.qtys[base + at] = this.qtys[base + at - 1]!;
      this.orders[base + at] = this.orders[base + at - 1]!;
      at--;
    }
    prices[base + at] = price;
    this.qtys[base + at] = qty;
    this.orders[base + at] = ord;
    this.counts[key]!++;
  }

  /** Removes the published level at index `j` of `key`. */
  private removeAt(key: number, j: number): void {
    const base = key * this.levels;
    const count = this.counts[key]! - 1;
    for (let i = j; i < count; i++) {
      this.prices[base + i] = this.prices[base + i + 1]!;
      this.qtys[base + i] = this.qtys[base + i + 1]!;
      this.orders[base + i] = this.orders[base + i + 1]!;
    }
    this.counts[key] = count;
  }

  /** Notes the line of `price` (a later note of the same price replaces an earlier one). */
  private line(price: number, qty: number, orders: number): void {
    let i = 0;
    while (i < this.lineCount && this.linePrices[i] !== price) i++;
    if (i === this.lineCount) this.lineCount++;
    this.linePrices[i] = price;
    this.lineQtys[i] = qty;
    this.lineOrders[i] = orders;
  }

  /** Publishes the noted lines, best price first (the order of the full merge). */
  private emitLines(symbolId: number, side: Side, seq: number, sink: DepthSink): void {
    const sign = side === Side.Buy ? 1 : -1;
    const p = this.linePrices;
    const q = this.lineQtys;
    const o = this.lineOrders;
    for (let i = 1; i < this.lineCount; i++) {
      const price = p[i]!;
      const qty = q[i]!;
      const ord = o[i]!;
      let j = i;
      while (j > 0 && sign * p[j - 1]! < sign * price) {
        p[j] = p[j - 1]!;
        q[j] = q[j - 1]!;
        o[j] = o[j - 1]!;
        j--;
      }
      p[j] = price;
      q[j] = qty;
      o[j] = ord;
    }
    for (let i = 0; i < this.lineCount; i++) this.emit(seq, symbolId, side, p[i]!, q[i]!, o[i]!, sink);
  }

  private markDirty(symbolId: number): void {
    if (this.dirty[symbolId] === 0) {
      this.dirty[symbolId] = 1;
      this.dirtyIds[this.dirtyCount++] = symbolId;
    }
  }

  /** Publishes the symbol's whole top N at `seq`: a snapshot line, its bid levels, its ask levels. */
  snapshot(symbolId: number, seq: number, sink: DepthSink): void {
    if (symbolId >= this.known.length || this.known[symbolId] === 0) return;
    const u = this.update;
    const bids = this.counts[symbolId * 2 + Side.Buy]!;
    const asks = this.counts[symbolId * 2 + Side.Sell]!;
    u.seq = seq;
    u.symbolId = symbolId;
    u.kind = DepthKind.Snapshot;
    u.side = Side.Buy;
    u.price = 0;
    u.qty = 0;
    u.orders = 0;
    u.bids = bids;
    u.asks = asks;
    sink.onDepth(u);
    u.kind = DepthKind.Level;
    u.bids = 0;
    u.asks = 0;
    for (const side of [Side.Buy, Side.Sell]) {
      const base = (symbolId * 2 + side) * this.levels;
      const count = side === Side.Buy ? bids : asks;
      u.side = side;
      for (let i = 0; i < count; i++) {
        u.price = this.prices[base + i]!;
        u.qty = this.qtys[base + i]!;
        u.orders = this.orders[base + i]!;
        sink.onDepth(u);
      }
    }
  }

  /** Hands every symbol whose levels changed since the last call to `target`, as exact at `seq`. */
  publishChanged(seq: number, target: LevelsTarget): void {
    for (let i = 0; i < this.dirtyCount; i++) {
      const id = this.dirtyIds[i]!;
      this.dirty[id] = 0;
      this.writeTo(id, seq, target);
    }
    this.dirtyCount = 0;
  }

  /** Hands every symbol to `target`, as exact at `seq` (at start, after a restore and replay). */
  publishAll(seq: number, target: LevelsTarget): void {
    for (const id of this.symbolIds) {
      this.dirty[id] = 0;
      this.writeTo(id, seq, target);
    }
    this.dirtyCount = 0;
  }

  private writeTo(id: number, seq: number, target: LevelsTarget): void {
    const bid = id * 2 + Side.Buy;
    const ask = id * 2 + Side.Sell;
    target.write(id, seq, this.prices, this.qtys, this.orders, bid * this.levels, this.counts[bid]!, ask * this.levels, this.counts[ask]!);
  }

  /** The published levels of one side, best first (queries, tests). */
  published(symbolId: number, side: Side): Array<{ price: number; qty: number; orders: number }> {
    const base = (symbolId * 2 + side) * this.levels;
    return Array.from({ length: this.counts[symbolId * 2 + side] ?? 0 }, (_, i) => ({
      price: this.prices[base + i]!,
      qty: this.qtys[base + i]!,
      orders: this.orders[base + i]!,
    }));
  }

  /** Merges the published levels with the books' (both best first) and publishes the differences. */
  private diffSide(symbolId: number, side: Side, seq: number, sink: DepthSink): void {
    const key = symbolId * 2 + side;
    const base = key * this.levels;
    const was = this.counts[key]!;
    const now = this.engine.topLevels(symbolId, side, this.levels, this.nowPrices, this.nowQtys, this.nowOrders, 0);
    const prices = this.prices;
    const qtys = this.qtys;
    const orders = this.orders;
    const nowPrices = this.nowPrices;
    const nowQtys = this.nowQtys;
    const nowOrders = this.nowOrders;
    // Better = higher for bids, lower for asks: the sign turns both into "higher is better".
    const sign = side === Side.Buy ? 1 : -1;
    let changed = was !== now;
    let i = 0;
    let j = 0;
    while (i < was || j < now) {
      const old = i < was ? sign * prices[base + i]! : Number.NEGATIVE_INFINITY;
      const cur = j < now ? sign * nowPrices[j]! : Number.NEGATIVE_INFINITY;
      if (old > cur) {
        this.emit(seq, symbolId, side, prices[base + i]!, 0, 0, sink); // left the top N
        changed = true;
        i++;
      } else if (cur > old) {
        this.emit(seq, symbolId, side, nowPrices[j]!, nowQtys[j]!, nowOrders[j]!, sink); // entered it
        changed = true;
        j++;
      } else {
        if (qtys[base + i] !== nowQtys[j] || orders[base + i] !== nowOrders[j]) {
          this.emit(seq, symbolId, side, nowPrices[j]!, nowQtys[j]!, nowOrders[j]!, sink);
          changed = true;
        }
        i++;
        j++;
      }
    }
    if (!changed) return;
    this.markDirty(symbolId);
    for (let k = 0; k < now; k++) {
      prices[base + k] = nowPrices[k]!;
      qtys[base + k] = nowQtys[k]!;
      orders[base + k] = nowOrders[k]!;
    }
    this.counts[key] = now;
  }

  private emit(seq: number, symbolId: number, side: Side, price: number, qty: number, orders: number, sink: DepthSink): void {
    const u = this.update;
    u.seq = seq;
    u.symbolId = symbolId;
    u.kind = DepthKind.Level;
    u.side = side;
    u.price = price;
    u.qty = qty;
    u.orders = orders;
    u.bids = 0;
    u.asks = 0;
    sink.onDepth(u);
  }
}
