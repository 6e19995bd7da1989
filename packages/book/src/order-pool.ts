// The order pool: every live order is one 64-byte record in a single ArrayBuffer seen through
// several typed-array views, so an order is one cache line: a cancel or a fill reads the order
// and its two neighbours in the level's queue from three lines. A stop's trigger price, which
// only stop orders have, lives in a side array (record number -> price). Freed slots are reused
// (a stack), and the buffer doubles when the pool runs out.
//
// An order's slot is the index of its record's first element in the Float64Array view (record
// number x 8): an f64 field is `f64[o + FIELD]`, a narrower one scales the slot by the width
// ratio (`i32[o * 2 + FIELD]`, `u8[o * 8 + FIELD]`). No multiply by the record size, and each
// accessor stays under V8's small-function size, so it is always inlined.
import type { Command } from '@ringmatch/protocol';
import { NO_SLOT } from './no-slot.js';
import { grownFreeSlots } from './free-slots.js';
import { type RecordLayout, viewIndex, viewStride } from './record-layout.js';

/** Byte layout of an order record (`bytes` is the record size). */
export const OrderLayout = {
  bytes: 64,
  fields: {
    id: { offset: 0, type: 'f64' },
    price: { offset: 8, type: 'f64' },
    qty: { offset: 16, type: 'f64' },
    leavesQty: { offset: 24, type: 'f64' },
    cumQty: { offset: 32, type: 'f64' },
    /** Next (younger) order at the same price level, or NO_SLOT. */
    next: { offset: 40, type: 'i32' },
    /** Previous (older) order at the same price level, or NO_SLOT. */
    prev: { offset: 44, type: 'i32' },
    /** Level slot while resting, else NO_SLOT. */
    level: { offset: 48, type: 'i32' },
    account: { offset: 52, type: 'u32' },
    symbol: { offset: 56, type: 'u16' },
    side: { offset: 58, type: 'u8' },
    type: { offset: 59, type: 'u8' },
    tif: { offset: 60, type: 'u8' },
    /** Effective self-trade prevention mode (never Default). */
    stp: { offset: 61, type: 'u8' },
    /** Lifecycle state (free, resting, pending stop, active taker). */
    state: { offset: 62, type: 'u8' },
  },
} as const satisfies RecordLayout;

// Element indices inside a record: module-local constants, which V8 folds into the accessors.
const BYTES = OrderLayout.bytes;
/** Slot distance between consecutive records (f64 elements per record). */
const SLOT_STRIDE = viewStride(OrderLayout, 'f64');
/** slot >> RECORD_SHIFT = record number (the stride is a power of two: a shift, not a division). */
const RECORD_SHIFT = Math.log2(SLOT_STRIDE);
if (!Number.isInteger(RECORD_SHIFT)) throw new Error(`order record of ${BYTES} bytes: its f64 stride is not a power of two`);
const ID = viewIndex(OrderLayout, 'id', 'f64');
const PRICE = viewIndex(OrderLayout, 'price', 'f64');
const QTY = viewIndex(OrderLayout, 'qty', 'f64');
const LEAVES_QTY = viewIndex(OrderLayout, 'leavesQty', 'f64');
const CUM_QTY = viewIndex(OrderLayout, 'cumQty', 'f64');
const NEXT = viewIndex(OrderLayout, 'next', 'i32');
const PREV = viewIndex(OrderLayout, 'prev', 'i32');
const LEVEL = viewIndex(OrderLayout, 'level', 'i32');
const ACCOUNT = viewIndex(OrderLayout, 'account', 'u32');
const SYMBOL = viewIndex(OrderLayout, 'symbol', 'u16');
const SIDE = viewIndex(OrderLayout, 'side', 'u8');
const TYPE = viewIndex(OrderLayout, 'type', 'u8');
const TIF = viewIndex(OrderLayout, 'tif', 'u8');
const STP = viewIndex(OrderLayout, 'stp', 'u8');
const STATE = viewIndex(OrderLayout, 'state', 'u8');
const NONE = NO_SLOT;

// Values of the state field.
const FREE = 0;
const RESTING = 1;
const PENDING_STOP = 2;
const ACTIVE = 3;

export class OrderPool {
  private f64!: Float64Array;
  private i32!: Int32Array;
  private u32!: Uint32Array;
  private u16!: Uint16Array;
  private u8!: Uint8Array;
  /** Trigger price of each record (stop and stop-limit orders; 0 for the others). */
  private stopPrices!: Float64Array;
  /** Stack of free slots (the next one to hand out on top). */
  private freeSlots!: Int32Array;
  private freeCount = 0;
  /** Records in the buffer. */
  private capacity = 0;

  constructor(capacity: number) {
    this.resize(capacity, true);
  }

  /** Takes a free slot (its fields hold whatever the last owner left). */
  alloc(): number {
    if (this.freeCount === 0) this.resize(this.capacity * 2, false);
    return this.freeSlots[--this.freeCount]!;
  }

  /** Gives back a slot taken by `alloc` but never used as an order. */
  release(o: number): void {
    this.freeSlots[this.freeCount++] = o;
  }

  /** Frees the slot of an order that is gone (filled, cancelled, expired). */
  free(o: number): void {
    this.u8[o * 8 + STATE] = FREE;
    this.freeSlots[this.freeCount++] = o;
  }

  /** Frees every slot at once, keeping the capacity (restore). */
  clear(): void {
    this.resize(this.capacity, true);
  }

  private resize(capacity: number, empty: boolean): void {
    const old = empty ? 0 : this.capacity;
    const buffer = new ArrayBuffer(capacity * BYTES);
    const bytes = new Uint8Array(buffer);
    if (old > 0) bytes.set(this.u8.subarray(0, old * BYTES));
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = bytes;
    const stopPrices = new Float64Array(capacity);
    if (old > 0) stopPrices.set(this.stopPrices.subarray(0, old));
    this.stopPrices = stopPrices;
    const free = grownFreeSlots(this.freeSlots, empty ? 0 : this.freeCount, old, capacity, SLOT_STRIDE);
    this.freeSlots = free.slots;
    this.freeCount = free.count;
    this.capacity = capacity;
  }

  // --- whole records

  /** Fills a new order's record from its command: all of it open, nothing filled, at no level. */
  init(o: number, cmd: Command, stp: number): void {
    const f64 = this.f64;
    f64[o + ID] = cmd.orderId;
    f64[o + PRICE] = cmd.price;
    this.stopPrices[o >> RECORD_SHIFT] = cmd.stopPrice;
    f64[o + QTY] = cmd.qty;
    f64[o + LEAVES_QTY] = cmd.qty;
    f64[o + CUM_QTY] = 0;
    const w = o * 2;
    this.i32[w + LEVEL] = NONE;
    this.u32[w + ACCOUNT] = cmd.accountId;
    this.u16[o * 4 + SYMBOL] = cmd.symbolId;
    const u8 = this.u8;
    const b = o * 8;
    u8[b + SIDE] = cmd.side;
    u8[b + TYPE] = cmd.type;
    u8[b + TIF] = cmd.tif;
    u8[b + STP] = stp;
  }

  /** Records a fill of `q`: that much less open, that much more filled. */
  fill(o: number, q: number): void {
    const f64 = this.f64;
    f64[o + LEAVES_QTY] = f64[o + LEAVES_QTY]! - q;
    f64[o + CUM_QTY] = f64[o + CUM_QTY]! + q;
  }

  // --- lifecycle state

  /** Untriggered stop order (in a stop list, not in a level). */
  isPendingStop(o: number): boolean {
    return this.u8[o * 8 + STATE] === PENDING_STOP;
  }
  setPendingStop(o: number): void {
    this.u8[o * 8 + STATE] = PENDING_STOP;
  }
  /** A taker being matched (neither resting nor a pending stop). */
  setActive(o: number): void {
    this.u8[o * 8 + STATE] = ACTIVE;
  }
  setResting(o: number): void {
    this.u8[o * 8 + STATE] = RESTING;
  }

  // --- fields

  id(o: number): number {
    return this.f64[o + ID]!;
  }
  setId(o: number, v: number): void {
    this.f64[o + ID] = v;
  }
  price(o: number): number {
    return this.f64[o + PRICE]!;
  }
  setPrice(o: number, v: number): void {
    this.f64[o + PRICE] = v;
  }
  stopPrice(o: number): number {
    return this.stopPrices[o >> RECORD_SHIFT]!;
  }
  setStopPrice(o: number, v: number): void {
    this.stopPrices[o >> RECORD_SHIFT] = v;
  }
  qty(o: number): number {
    return this.f64[o + QTY]!;
  }
  setQty(o: number, v: number): void {
    this.f64[o + QTY] = v;
  }
  leavesQty(o: number): number {
    return this.f64[o + LEAVES_QTY]!;
  }
  setLeavesQty(o: number, v: number): void {
    this.f64[o + LEAVES_QTY] = v;
  }
  cumQty(o: number): number {
    return this.f64[o + CUM_QTY]!;
  }
  setCumQty(o: number, v: number): void {
    this.f64[o + CUM_QTY] = v;
  }
  next(o: number): number {
    return this.i32[o * 2 + NEXT]!;
  }
  setNext(o: number, v: number): void {
    this.i32[o * 2 + NEXT] = v;
  }
  prev(o: number): number {
    return this.i32[o * 2 + PREV]!;
  }
  setPrev(o: number, v: number): void {
    this.i32[o * 2 + PREV] = v;
  }
  level(o: number): number {
    return this.i32[o * 2 + LEVEL]!;
  }
  setLevel(o: number, v: number): void {
    this.i32[o * 2 + LEVEL] = v;
  }
  account(o: number): number {
    return this.u32[o * 2 + ACCOUNT]!;
  }
  setAccount(o: number, v: number): void {
    this.u32[o * 2 + ACCOUNT] = v;
  }
  symbol(o: number): number {
    return this.u16[o * 4 + SYMBOL]!;
  }
  setSymbol(o: number, v: number): void {
    this.u16[o * 4 + SYMBOL] = v;
  }
  side(o: number): number {
    return this.u8[o * 8 + SIDE]!;
  }
  setSide(o: number, v: number): void {
    this.u8[o * 8 + SIDE] = v;
  }
  type(o: number): number {
    return this.u8[o * 8 + TYPE]!;
  }
  setType(o: number, v: number): void {
    this.u8[o * 8 + TYPE] = v;
  }
  tif(o: number): number {
    return this.u8[o * 8 + TIF]!;
  }
  setTif(o: number, v: number): void {
    this.u8[o * 8 + TIF] = v;
  }
  stp(o: number): number {
    return this.u8[o * 8 + STP]!;
  }
  setStp(o: number, v: number): void {
    this.u8[o * 8 + STP] = v;
  }
}
