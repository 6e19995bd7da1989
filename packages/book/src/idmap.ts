// Open-addressing hash map from order id (a safe integer) to an order slot (int32 >= 0).
// Linear probing with backward-shift deletion (no tombstones), typed arrays only: no allocation
// per insert/delete, unlike a Map whose deleted entries pile up until it rehashes.

const EMPTY = -1;

export class IdMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  private slot(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> this.shift;
  }

  /** Index holding `key`, or the empty index ending its probe run (where it would go). */
  private probe(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slot(key);
    while (vals[i] !== EMPTY && keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** Slot value for `key`, or -1. */
  get(key: number): number {
    return this.vals[this.probe(key)]!;
  }

  has(key: number): boolean {
    return this.get(key) !== EMPTY;
  }

  /** Inserts or replaces. */
  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.vals.length) this.grow();
    const i = this.probe(key);
    if (this.vals[i] === EMPTY) {
      this.keys[i] = key;
      this.size++;
    }
    this.vals[i] = value;
  }

  /** Inserts key -> value unless the key is present; returns the existing value, or -1 when inserted. */
  putIfAbsent(key: number, value: number): number {
    if ((this.size + 1) * 2 > this.vals.length) this.grow();
    const i = this.probe(key);
    const v = this.vals[i]!;
    if (v !== EMPTY) return v;
    this.keys[i] = key;
    this.vals[i] = value;
    this.size++;
    return EMPTY;
  }

  delete(key: number): boolean {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.probe(key);
    if (vals[i] === EMPTY) return false;
    // backward-shift: move later entries of the probe run into the hole when allowed
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (vals[j] === EMPTY) break;
      const home = this.slot(keys[j]!);
      // entry at j may move to i if its home is not cyclically in (i, j]
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        keys[i] = keys[j]!;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    vals[i] = EMPTY;
    this.size--;
    return true;
  }

  clear(): void {
    this.vals.fill(EMPTY);
    this.size = 0;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldV.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < oldV.length; i++) if (oldV[i] !== EMPTY) this.set(oldK[i]!, oldV[i]!);
  }
}
