// One side of a book: its price levels sorted by key, the best level LAST. Bids use key = price
// and asks key = -price, so both sides share one order and touch-side inserts and removes move
// few elements.

export class Ladder {
  keys: Float64Array;
  /** Level slot of each key. */
  levels: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.levels = new Int32Array(capacity);
  }

  /** Index of the first key >= k: scans down from the best first, since most activity is near the touch, then bisects. */
  lowerBound(k: number): number {
    const keys = this.keys;
    let hi = this.count;
    const stop = hi > 8 ? hi - 8 : 0;
    while (hi > stop) {
      if (keys[hi - 1]! < k) return hi;
      hi--;
    }
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insertAt(i: number, k: number, level: number): void {
    if (this.count === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
      const levels = new Int32Array(this.levels.length * 2);
      levels.set(this.levels);
      this.levels = levels;
    }
    if (i < this.count) {
      this.keys.copyWithin(i + 1, i, this.count);
      this.levels.copyWithin(i + 1, i, this.count);
    }
    this.keys[i] = k;
    this.levels[i] = level;
    this.count++;
  }

  removeAt(i: number): void {
    this.count--;
    if (i < this.count) {
      this.keys.copyWithin(i, i + 1, this.count + 1);
      this.levels.copyWithin(i, i + 1, this.count + 1);
    }
  }
}
