// The price levels a command changed (side and price), recorded by the level pool while the depth
// stream is on, so that the depth tracker looks only at what moved instead of re-reading every
// book's top N after every command. Bounded: past CAPACITY touches (a sweep through many levels)
// it only notes the overflow, and the tracker re-reads the touched books' top N in full.

export class TouchedLevels {
  static readonly CAPACITY = 64;
  readonly sides = new Uint8Array(TouchedLevels.CAPACITY);
  readonly prices = new Float64Array(TouchedLevels.CAPACITY);
  count = 0;
  overflow = false;

  add(side: number, price: number): void {
    const n = this.count;
    if (n > 0 && this.prices[n - 1] === price && this.sides[n - 1] === side) return; // the same level again (a fill, then its unlink)
    if (n < TouchedLevels.CAPACITY) {
      this.sides[n] = side;
      this.prices[n] = price;
      this.count = n + 1;
    } else this.overflow = true;
  }

  clear(): void {
    this.count = 0;
    this.overflow = false;
  }
}
