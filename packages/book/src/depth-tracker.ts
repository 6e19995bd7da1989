// The L2 depth stream's state: per symbol and side, the top N levels last published. At the end of
// each journal batch (publishBatch) the tracker publishes what differs between that and the books'
// top N, for the symbols the batch's commands named (a command moves no other book): a level whose
// quantity or order count changed, one that entered the top N, and one that left it (quantity 0),
// best first, the sides in key order.
// A batch publishes its net change: a level that moved and came back within it gives no line.
// Batch ends are in the WAL (the journaler marks the last record of each group commit), so a
// restart's replay and an offline replay publish at the same sequences as the live run, and the
// state (what was published, and when) goes into snapshots, which can fall inside a batch.
import { DepthKind, Side, createDepthUpdate, type DepthUpdate } from '@ringmatch/protocol';
import type { LevelsSource } from './types.js';
import type { DepthState } from './depth-state.js';

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
  /** Per key (symbol * 2 + side): the published levels at [key * levels, + count). */
  private readonly prices: Float64Array;
  private readonly qtys: Float64Array;
  private readonly orders: Int32Array;
  private readonly counts: Int32Array;
  /** The books' top N of one side, read at a batch end. */
  private readonly nowPrices: Float64Array;
  private readonly nowQtys: Float64Array;
  private readonly nowOrders: Int32Array;
  private readonly known: Uint8Array;
  /** Keys (both sides of each symbol a command named) since the last batch end. */
  private readonly changed: Uint8Array;
  private readonly changedKeys: Int32Array;
  private changedCount = 0;
  /** Symbols whose published levels changed since the last publishChanged (the query view). */
  private readonly dirty: Uint8Array;
  private readonly dirtyIds: Int32Array;
  private dirtyCount = 0;
  private readonly update = createDepthUpdate();
  /** The sequence the published levels are exact at (the last batch end, or where they were taken from the books). */
  publishedAt = 0;
  /** Symbol ids, ascending (snapshots go in this order). */
  readonly symbolIds: number[];

  constructor(
    private readonly engine: LevelsSource,
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
    this.known = new Uint8Array(slots);
    this.changed = new Uint8Array(slots * 2);
    this.changedKeys = new Int32Array(slots * 2);
    this.dirty = new Uint8Array(slots);
    this.dirtyIds = new Int32Array(slots);
    for (const id of this.symbolIds) this.known[id] = 1;
  }

  /** Takes the books' top N as published at `seq` (at start, and after a snapshot without tracker state). */
  sync(seq: number): void {
    this.changed.fill(0);
    this.changedCount = 0;
    for (const id of this.symbolIds) {
      for (const side of [Side.Buy, Side.Sell]) {
        const key = id * 2 + side;
        this.counts[key] = this.engine.topLevels(id, side, this.levels, this.prices, this.qtys, this.orders, key * this.levels);
      }
    }
    this.publishedAt = seq;
  }

  /** What was published and when (views of the tracker's arrays: encode them before the next batch end). */
  state(): DepthState {
    return { levels: this.levels, publishedAt: this.publishedAt, counts: this.counts, prices: this.prices, qtys: this.qtys, orders: this.orders };
  }

  /**
   * Takes a snapshot's state, with the books restored from the same snapshot; false (nothing
   * changed) when it was made with other settings (levels, symbol table). Every side counts as
   * changed: the books may have moved on since the state's batch end.
   */
  restore(state: DepthState): boolean {
    if (state.levels !== this.levels || state.counts.length !== this.counts.length) return false;
    this.counts.set(state.counts);
    this.prices.set(state.prices);
    this.qtys.set(state.qtys);
    this.orders.set(state.orders);
    this.publishedAt = state.publishedAt;
    this.changed.fill(0);
    this.changedCount = 0;
    for (const id of this.symbolIds) for (const side of [Side.Buy, Side.Sell]) this.markChanged(id * 2 + side);
    return true;
  }

  /**
   * After a command on `symbolId` (every command): notes its book, to be compared at the batch end.
   * Noting the symbol costs less than recording what moved inside the book (a hook on every level
   * change, measured slower), and a batch end compares a few sides whose top N did not move.
   */
  afterCommand(symbolId: number): void {
    if (symbolId >= this.known.length || this.known[symbolId] === 0) return;
    const key = symbolId * 2;
    if (this.changed[key] !== 0) return;
    this.markChanged(key);
    this.markChanged(key + 1);
  }

  private markChanged(key: number): void {
    if (this.changed[key] !== 0) return;
    this.changed[key] = 1;
    this.changedKeys[this.changedCount++] = key;
  }

  /** At the end of a batch ending at `seq`: publishes the changes of the top N of every side its commands named, in key order. */
  publishBatch(seq: number, sink: DepthSink): void {
    const n = this.changedCount;
    if (n > 1) this.changedKeys.subarray(0, n).sort();
    for (let i = 0; i < n; i++) {
      const key = this.changedKeys[i]!;
      this.changed[key] = 0;
      this.diffSide(key >> 1, (key & 1) as Side, seq, sink);
    }
    this.changedCount = 0;
    this.publishedAt = seq;
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

  /** Hands every symbol whose published levels changed since the last call to `target`, as exact at publishedAt. */
  publishChanged(target: LevelsTarget): void {
    for (let i = 0; i < this.dirtyCount; i++) {
      const id = this.dirtyIds[i]!;
      this.dirty[id] = 0;
      this.writeTo(id, this.publishedAt, target);
    }
    this.dirtyCount = 0;
  }

  /** Hands every symbol's published levels to `target`, as exact at publishedAt (at start, after the replay). */
  publishAll(target: LevelsTarget): void {
    for (const id of this.symbolIds) {
      this.dirty[id] = 0;
      this.writeTo(id, this.publishedAt, target);
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
