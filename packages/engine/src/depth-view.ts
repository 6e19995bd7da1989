// The books' top N per symbol in shared memory, for queries while the engine runs (GET /book/S):
// the matcher writes a symbol's block after each batch that changed its levels, the main thread
// copies a block out; one seqlock per block (seqlock.ts) keeps the copy whole without making the
// matcher wait. Payload: sequence the levels are exact at, bid count, ask count, then the bids
// (price, qty, orders per level, best first) and the asks likewise.
import type { LevelsTarget } from '@ringmatch/book';
import { SeqlockBlocks } from './seqlock.js';

const HEADER = 3;

export interface ViewLevel {
  price: number;
  qty: number;
  orders: number;
}

export interface ViewBook {
  /** Every command up to this sequence is in the levels, none after (-1: not written yet). */
  seq: number;
  bids: ViewLevel[];
  asks: ViewLevel[];
}

export class DepthView implements LevelsTarget {
  private readonly blocks: SeqlockBlocks;

  /** Shared memory for symbols 0..symbolSlots-1 with `levels` levels per side. */
  static create(symbolSlots: number, levels: number): SharedArrayBuffer {
    const buffer = SeqlockBlocks.create(symbolSlots, 1 + HEADER + 6 * levels);
    const view = new DepthView(buffer, levels);
    for (let id = 0; id < symbolSlots; id++) view.blocks.words[view.blocks.payload(id)] = -1;
    return buffer;
  }

  constructor(
    buffer: SharedArrayBuffer,
    /** N: the levels per side each block holds. */
    readonly levels: number,
  ) {
    this.blocks = new SeqlockBlocks(buffer, 1 + HEADER + 6 * levels);
  }

  /** The matcher: the symbol's levels at `seq`, best first (bids from `bidAt`, asks from `askAt` in the arrays). */
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
  ): void {
    const blocks = this.blocks;
    const version = blocks.beginWrite(symbolId);
    const w = blocks.words;
    const p = blocks.payload(symbolId);
    w[p] = seq;
    w[p + 1] = bidCount;
    w[p + 2] = askCount;
    let o = p + HEADER;
    for (let i = 0; i < bidCount; i++, o += 3) {
      w[o] = prices[bidAt + i]!;
      w[o + 1] = qtys[bidAt + i]!;
      w[o + 2] = orders[bidAt + i]!;
    }
    o = p + HEADER + 3 * this.levels;
    for (let i = 0; i < askCount; i++, o += 3) {
      w[o] = prices[askAt + i]!;
      w[o + 1] = qtys[askAt + i]!;
      w[o + 2] = orders[askAt + i]!;
    }
    blocks.endWrite(symbolId, version);
  }

  /** The main thread: a whole copy of the symbol's top `levels` (null: unknown symbol, or the matcher kept rewriting it). */
  read(symbolId: number, levels = this.levels): ViewBook | null {
    return this.blocks.read(symbolId, (w, p) => ({
      seq: w[p]!,
      bids: copyLevels(w, p + HEADER, Math.min(levels, w[p + 1]!)),
      asks: copyLevels(w, p + HEADER + 3 * this.levels, Math.min(levels, w[p + 2]!)),
    }));
  }
}

function copyLevels(w: Float64Array, from: number, count: number): ViewLevel[] {
  const out: ViewLevel[] = [];
  for (let i = 0, o = from; i < count; i++, o += 3) out.push({ price: w[o]!, qty: w[o + 1]!, orders: w[o + 2]! });
  return out;
}
