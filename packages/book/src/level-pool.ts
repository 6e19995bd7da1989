// The price level pool: one 32-byte record per price level with resting orders (its price, side,
// open quantity and FIFO of order slots) in one ArrayBuffer. Slots work as for orders: a level's
// slot is its record's first index in the Float64Array view, so `f64[l + FIELD]`, `i32[l * 2 + FIELD]`.
import { NO_SLOT } from './no-slot.js';
import { grownFreeSlots } from './free-slots.js';
import { type RecordLayout, viewIndex, viewStride } from './record-layout.js';

/** Byte layout of a price level record (`bytes` is the record size). */
export const LevelLayout = {
  bytes: 32,
  fields: {
    price: { offset: 0, type: 'f64' },
    /** Sum of the open quantity of the level's orders. */
    qty: { offset: 8, type: 'f64' },
    /** Oldest order (first to match), or NO_SLOT. */
    head: { offset: 16, type: 'i32' },
    /** Youngest order, or NO_SLOT. */
    tail: { offset: 20, type: 'i32' },
    orderCount: { offset: 24, type: 'i32' },
    /** Side of the book the level is on (Side). */
    side: { offset: 28, type: 'i32' },
  },
} as const satisfies RecordLayout;

// Element indices inside a record: module-local constants, which V8 folds into the accessors.
const BYTES = LevelLayout.bytes;
/** Slot distance between consecutive records (f64 elements per record). */
const SLOT_STRIDE = viewStride(LevelLayout, 'f64');
const PRICE = viewIndex(LevelLayout, 'price', 'f64');
const QTY = viewIndex(LevelLayout, 'qty', 'f64');
const HEAD = viewIndex(LevelLayout, 'head', 'i32');
const TAIL = viewIndex(LevelLayout, 'tail', 'i32');
const ORDER_COUNT = viewIndex(LevelLayout, 'orderCount', 'i32');
const SIDE = viewIndex(LevelLayout, 'side', 'i32');
const NONE = NO_SLOT;

export class LevelPool {
  private f64!: Float64Array;
  private i32!: Int32Array;
  /** Stack of free slots (the next one to hand out on top). */
  private freeSlots!: Int32Array;
  private freeCount = 0;
  /** Records in the buffer. */
  private capacity = 0;
  /** Where level changes are recorded, null while nobody tracks them (no depth stream). */

  constructor(capacity: number) {
    this.resize(capacity, true);
  }

  /** Takes a free slot as an empty level at `price` on `side`. */
  alloc(price: number, side: number): number {
    if (this.freeCount === 0) this.resize(this.capacity * 2, false);
    const l = this.freeSlots[--this.freeCount]!;
    this.f64[l + PRICE] = price;
    this.f64[l + QTY] = 0;
    this.i32[l * 2 + HEAD] = NONE;
    this.i32[l * 2 + TAIL] = NONE;
    this.i32[l * 2 + ORDER_COUNT] = 0;
    this.i32[l * 2 + SIDE] = side;
    return l;
  }

  /** Frees the slot of a level whose last order left. */
  free(l: number): void {
    this.freeSlots[this.freeCount++] = l;
  }

  /** Frees every slot at once, keeping the capacity (restore). */
  clear(): void {
    this.resize(this.capacity, true);
  }

  private resize(capacity: number, empty: boolean): void {
    const old = empty ? 0 : this.capacity;
    const buffer = new ArrayBuffer(capacity * BYTES);
    if (old > 0) new Uint8Array(buffer).set(new Uint8Array(this.f64.buffer, 0, old * BYTES));
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    const free = grownFreeSlots(this.freeSlots, empty ? 0 : this.freeCount, old, capacity, SLOT_STRIDE);
    this.freeSlots = free.slots;
    this.freeCount = free.count;
    this.capacity = capacity;
  }

  /** The level gains an order with `qty` open. */
  addOrder(l: number, qty: number): void {
    const i32 = this.i32;
    i32[l * 2 + ORDER_COUNT] = i32[l * 2 + ORDER_COUNT]! + 1;
    this.f64[l + QTY] = this.f64[l + QTY]! + qty;
  }

  /** The level loses an order (its quantity is taken off separately); returns the orders left. */
  removeOrder(l: number): number {
    const i32 = this.i32;
    const count = i32[l * 2 + ORDER_COUNT]! - 1;
    i32[l * 2 + ORDER_COUNT] = count;
    return count;
  }

  /** Takes `q` off the level's open quantity (a fill, a cancel, a shrink). */
  reduceQty(l: number, q: number): void {
    this.f64[l + QTY] = this.f64[l + QTY]! - q;
  }

  price(l: number): number {
    return this.f64[l + PRICE]!;
  }
  qty(l: number): number {
    return this.f64[l + QTY]!;
  }
  /** Raw field stores (tests): they record no touch, so the engine changes levels through addOrder / removeOrder / reduceQty only. */
  setQty(l: number, v: number): void {
    this.f64[l + QTY] = v;
  }
  setOrderCount(l: number, v: number): void {
    this.i32[l * 2 + ORDER_COUNT] = v;
  }
  head(l: number): number {
    return this.i32[l * 2 + HEAD]!;
  }
  setHead(l: number, v: number): void {
    this.i32[l * 2 + HEAD] = v;
  }
  tail(l: number): number {
    return this.i32[l * 2 + TAIL]!;
  }
  setTail(l: number, v: number): void {
    this.i32[l * 2 + TAIL] = v;
  }
  orderCount(l: number): number {
    return this.i32[l * 2 + ORDER_COUNT]!;
  }
}
