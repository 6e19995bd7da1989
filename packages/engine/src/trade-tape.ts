// The last trades per symbol in shared memory, for the live view while the engine runs
// (GET /trades/S): the matcher records each trade in its own ring per symbol and, after each batch,
// copies the rings of symbols that traded into their shared blocks (one seqlock per block,
// seqlock.ts); the main thread reads a block without making the matcher wait. Payload: the batch's
// last sequence, the count, then up to TAPE_TRADES trades, newest first (seq, trade id, price,
// qty, taker side).
import type { Trade } from '@ringmatch/protocol';
import { SeqlockBlocks } from './seqlock.js';

/** Trades kept per symbol. */
export const TAPE_TRADES = 32;
const FIELDS = 5;
const HEADER = 2;

export interface TapeTrade {
  seq: number;
  tradeId: number;
  price: number;
  qty: number;
  takerSide: 'buy' | 'sell';
}

export class TradeTape {
  private readonly blocks: SeqlockBlocks;
  /** The matcher's rings: per symbol TAPE_TRADES trades of FIELDS words, and where the next goes. */
  private readonly ring: Float64Array;
  private readonly next: Int32Array;
  private readonly count: Int32Array;
  private readonly dirty: Uint8Array;
  private readonly dirtyIds: Int32Array;
  private dirtyCount = 0;

  static create(symbolSlots: number): SharedArrayBuffer {
    return SeqlockBlocks.create(symbolSlots, 1 + HEADER + FIELDS * TAPE_TRADES);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.blocks = new SeqlockBlocks(buffer, 1 + HEADER + FIELDS * TAPE_TRADES);
    const slots = this.blocks.blocks;
    this.ring = new Float64Array(slots * TAPE_TRADES * FIELDS);
    this.next = new Int32Array(slots);
    this.count = new Int32Array(slots);
    this.dirty = new Uint8Array(slots);
    this.dirtyIds = new Int32Array(slots);
  }

  /** The matcher, per trade (its own memory only). */
  record(t: Trade): void {
    const id = t.symbolId;
    if (id >= this.next.length) return;
    const slot = this.next[id]!;
    const o = (id * TAPE_TRADES + slot) * FIELDS;
    const r = this.ring;
    r[o] = t.seq;
    r[o + 1] = t.tradeId;
    r[o + 2] = t.price;
    r[o + 3] = t.qty;
    r[o + 4] = t.takerSide;
    this.next[id] = slot + 1 === TAPE_TRADES ? 0 : slot + 1;
    if (this.count[id]! < TAPE_TRADES) this.count[id]!++;
    if (this.dirty[id] === 0) {
      this.dirty[id] = 1;
      this.dirtyIds[this.dirtyCount++] = id;
    }
  }

  /** The matcher, after a batch ending at `seq`: the symbols that traded, to shared memory. */
  publishChanged(seq: number): void {
    const blocks = this.blocks;
    const w = blocks.words;
    for (let i = 0; i < this.dirtyCount; i++) {
      const id = this.dirtyIds[i]!;
      this.dirty[id] = 0;
      const version = blocks.beginWrite(id);
      const p = blocks.payload(id);
      const count = this.count[id]!;
      w[p] = seq;
      w[p + 1] = count;
      for (let k = 0; k < count; k++) {
        const slot = (this.next[id]! - 1 - k + TAPE_TRADES) % TAPE_TRADES; // newest first
        const from = (id * TAPE_TRADES + slot) * FIELDS;
        const to = p + HEADER + k * FIELDS;
        for (let f = 0; f < FIELDS; f++) w[to + f] = this.ring[from + f]!;
      }
      blocks.endWrite(id, version);
    }
    this.dirtyCount = 0;
  }

  /** The main thread: up to `limit` of the symbol's last trades, newest first, and the sequence the tape is current at (null: unknown symbol or a torn read). */
  read(symbolId: number, limit = TAPE_TRADES): { seq: number; trades: TapeTrade[] } | null {
    return this.blocks.read(symbolId, (w, p) => {
      const trades: TapeTrade[] = [];
      const count = Math.min(limit, w[p + 1]!, TAPE_TRADES);
      for (let k = 0; k < count; k++) {
        const o = p + HEADER + k * FIELDS;
        trades.push({ seq: w[o]!, tradeId: w[o + 1]!, price: w[o + 2]!, qty: w[o + 3]!, takerSide: w[o + 4] === 0 ? 'buy' : 'sell' });
      }
      return { seq: w[p]!, trades };
    });
  }
}
