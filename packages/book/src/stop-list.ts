// Untriggered stop orders of one side of a book, sorted by trigger key with the next to trigger
// LAST (buy stops: key = -stopPrice, sell stops: key = stopPrice); among equal keys the earlier
// arrival is nearer the end, so stops at one price trigger in arrival order.

export class StopList {
  keys: Float64Array;
  /** Order slot of each key. */
  orders: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.orders = new Int32Array(capacity);
  }

  /** Doubles both arrays when full. */
  private room(): void {
    if (this.count === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
      const orders = new Int32Array(this.orders.length * 2);
      orders.set(this.orders);
      this.orders = orders;
    }
  }

  insert(k: number, o: number): void {
    this.room();
    // first index with key >= k: a later arrival goes below equal keys
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    this.keys.copyWithin(lo + 1, lo, this.count);
    this.orders.copyWithin(lo + 1, lo, this.count);
    this.keys[lo] = k;
    this.orders[lo] = o;
    this.count++;
  }

  /** Appends at the end (restore: entries arrive already in order). */
  push(k: number, o: number): void {
    this.room();
    this.keys[this.count] = k;
    this.orders[this.count++] = o;
  }

  remove(o: number): void {
    for (let i = this.count - 1; i >= 0; i--) {
      if (this.orders[i] === o) {
        this.keys.copyWithin(i, i + 1, this.count);
        this.orders.copyWithin(i, i + 1, this.count);
        this.count--;
        return;
      }
    }
  }
}
