import * as layout from './layout.js';

// Local copies of the constants used on the hot path (why: see layout.ts).
const LINE_I32 = layout.LINE_I32;
const W_WAITERS = layout.W_WAITERS;
const W_WAKE = layout.W_WAKE;
const fullSequence = layout.fullSequence;

/** A cursor on its own 64-byte line. `get()` is exact (hint + raw value); `set()` is a release store. */
export class Sequence {
  /** @internal */ readonly i32: Int32Array;
  /** @internal */ readonly f64: Float64Array;
  /** Int32 index of the line's first word. */
  readonly base: number;
  private readonly hintIdx: number;

  constructor(i32: Int32Array, f64: Float64Array, line: number) {
    this.i32 = i32;
    this.f64 = f64;
    this.base = line * LINE_I32;
    this.hintIdx = line * (layout.LINE_BYTES / 8) + layout.HINT_F64;
  }

  /** Exact current value, from any thread. */
  get(): number {
    const raw = Atomics.load(this.i32, this.base);
    return fullSequence(this.f64[this.hintIdx]!, raw);
  }

  /** Value relative to a reference known to be within 2^31 (the hot-path read). */
  getNear(ref: number): number {
    return ref + ((Atomics.load(this.i32, this.base) - (ref | 0)) | 0);
  }

  /** Release-store `value` and wake whoever is parked on this line (only if someone is). */
  set(value: number): void {
    this.f64[this.hintIdx] = value;
    Atomics.store(this.i32, this.base, value | 0);
    if (Atomics.load(this.i32, this.base + W_WAITERS) !== 0) {
      Atomics.add(this.i32, this.base + W_WAKE, 1);
      Atomics.notify(this.i32, this.base + W_WAKE);
    }
  }

  /** Number of threads parked (announced) on this line right now. */
  waiters(): number {
    return Atomics.load(this.i32, this.base + W_WAITERS);
  }

  /** @internal plain (unfenced) store for single-writer, metrics-only cursors */
  setPlain(value: number): void {
    this.f64[this.hintIdx] = value;
    this.i32[this.base] = value | 0;
  }

  /** @internal raw init, no notify */
  init(value: number): void {
    this.f64[this.hintIdx] = value;
    Atomics.store(this.i32, this.base, value | 0);
  }
}
