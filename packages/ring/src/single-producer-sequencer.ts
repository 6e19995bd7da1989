import * as layout from './layout.js';
import type { RingBuffer } from './ring-buffer.js';
import type { Sequence } from './sequence.js';
import { SequencerBase, type TrimmableSequencer } from './sequencer.js';
import { INSUFFICIENT_CAPACITY } from './status-codes.js';

// Local copies of the constants used on the hot path (why: see layout.ts).
const C_STATE = layout.C_STATE;

/** One producer thread: claims need no atomics; publish is one release store per batch. */
export class SingleProducerSequencer extends SequencerBase implements TrimmableSequencer {
  readonly type = 'single' as const;
  private claim: number;
  private readonly claimSeq: Sequence;
  private readonly cursor: Sequence;

  constructor(ring: RingBuffer) {
    super(ring);
    this.claimSeq = ring.claimSequence;
    this.cursor = ring.publishSequence;
    // Attach where the ring stands (a producer restarting in a new worker continues).
    this.claim = this.claimSeq.get();
    this.cachedGate = this.claim - this.size;
  }

  next(n = 1, timeoutMs = Infinity): number {
    if (n !== 1) this.checkN(n);
    if (Atomics.load(this.ring.i32, C_STATE) !== 0) return this.stopped();
    const hi = this.claim + n;
    const wrap = hi - this.size;
    if (wrap > this.cachedGate) {
      let gate = this.minGate(this.claim);
      if (wrap > gate) {
        gate = this.waitGate(wrap, this.claim, timeoutMs);
        if (gate < 0) return gate;
      }
      this.cachedGate = gate;
    }
    this.claim = hi;
    this.claimSeq.setPlain(hi); // single writer, read by metrics only: no fence needed
    return hi;
  }

  tryNext(n = 1): number {
    this.checkN(n);
    if (Atomics.load(this.ring.i32, C_STATE) !== 0) return this.stopped();
    const hi = this.claim + n;
    const wrap = hi - this.size;
    if (wrap > this.cachedGate) {
      const gate = this.minGate(this.claim);
      if (wrap > gate) return INSUFFICIENT_CAPACITY;
      this.cachedGate = gate;
    }
    this.claim = hi;
    this.claimSeq.setPlain(hi);
    return hi;
  }

  async nextAsync(n = 1, timeoutMs = Infinity): Promise<number> {
    this.checkN(n);
    if (Atomics.load(this.ring.i32, C_STATE) !== 0) return this.stopped();
    const hi = this.claim + n;
    const wrap = hi - this.size;
    if (wrap > this.cachedGate) {
      let gate = this.minGate(this.claim);
      if (wrap > gate) {
        gate = await this.waitGateAsync(wrap, this.claim, timeoutMs);
        if (gate < 0) return gate;
      }
      this.cachedGate = gate;
    }
    this.claim = hi;
    this.claimSeq.setPlain(hi);
    return hi;
  }

  publish(_lo: number, hi: number): void {
    this.cursor.set(hi);
  }

  /**
   * Gives back the claimed slots after `hi`, none of them published: the next claim starts after
   * `hi`. For a producer that claims room for output of a length it learns only while writing
   * (the native book). Only a single producer can: its claims are its own until published.
   */
  trimClaim(hi: number): void {
    if (hi > this.claim || hi < this.cursor.get())
      throw new RangeError(`trimClaim(${hi}): outside the unpublished claim ${this.cursor.get() + 1}..${this.claim}`);
    this.claim = hi;
    this.claimSeq.setPlain(hi);
  }

  remainingCapacity(): number {
    return this.size - (this.claim - this.minGate(this.claim));
  }

  claimed(): number {
    return this.claim;
  }
}
