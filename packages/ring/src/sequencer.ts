import * as layout from './layout.js';
import { HALTED } from './status-codes.js';
import { RingError } from './ring-error.js';
import type { ProducerType } from './ring-options.js';
import type { RingBuffer } from './ring-buffer.js';
import type { Sequence } from './sequence.js';
import { waitAsync, waitSync, type WaitSite } from './wait-loop.js';

// Local copies of the constants used on the hot path (why: see layout.ts).
const MAX_SEQUENCE = layout.MAX_SEQUENCE;

/** A producer's side of the ring. Both sequencers share this interface. */
export interface Sequencer {
  readonly type: ProducerType;
  /** Claim `n` slots (1..slotCount), waiting with the wait strategy while the ring is full. Returns the highest claimed sequence (lo = hi - n + 1), HALTED or TIMEOUT. */
  next(n?: number, timeoutMs?: number): number;
  /** Claim `n` slots if there is room now, else INSUFFICIENT_CAPACITY (or HALTED). Never waits. */
  tryNext(n?: number): number;
  /** `next` that parks with `Atomics.waitAsync` (event loop stays alive). */
  nextAsync(n?: number, timeoutMs?: number): Promise<number>;
  /** Make lo..hi visible to consumers (after writing their slots). */
  publish(lo: number, hi: number): void;
  /** Slots free for claiming right now. */
  remainingCapacity(): number;
  /** Highest sequence claimed so far (by this ring, any producer). */
  claimed(): number;
}

/**
 * The single-producer sequencer's extra: a producer that claims room for output of a length it
 * learns only while writing gives back the claimed slots it did not fill (see trimClaim).
 */
export interface TrimmableSequencer extends Sequencer {
  /** Gives back the claimed slots after `hi`, none of them published: the next claim starts after `hi`. */
  trimClaim(hi: number): void;
}

/** Whether `sequencer` can give back a claim (only a single producer can: its claims are its own until published). */
export function isTrimmable(sequencer: Sequencer): sequencer is TrimmableSequencer {
  return typeof (sequencer as Partial<TrimmableSequencer>).trimClaim === 'function';
}

/** What both sequencers share: the gate (the terminal stages' cursors) and waiting on it. */
export abstract class SequencerBase {
  protected readonly ring: RingBuffer;
  protected readonly size: number;
  protected readonly gating: Sequence[];
  protected readonly gateLines: Int32Array;
  protected cachedGate: number;
  protected gateLaggingLine: number;
  protected readonly site: WaitSite;

  constructor(ring: RingBuffer) {
    this.ring = ring;
    this.size = ring.slotCount;
    this.gating = ring.terminalStageSequences();
    this.gateLines = Int32Array.from(this.gating.map((g) => g.base));
    this.gateLaggingLine = this.gateLines[0]!;
    this.site = { i32: ring.i32, f64: ring.f64, strategy: ring.wait, endAware: false };
    this.cachedGate = ring.initialSequence - 1;
  }

  /** Minimum of the gating (terminal stage) cursors, with `ref` as the reconstruction reference. */
  protected minGate(ref: number): number {
    const i32 = this.ring.i32;
    const lines = this.gateLines;
    let min = MAX_SEQUENCE;
    for (let k = 0; k < lines.length; k++) {
      const v = ref + ((Atomics.load(i32, lines[k]!) - (ref | 0)) | 0);
      if (v < min) {
        min = v;
        this.gateLaggingLine = lines[k]!;
      }
    }
    return min;
  }

  /** `next`/`tryNext` on a halted or ended ring: HALTED, or a RingError (claiming after `end()` is a producer bug). */
  protected stopped(): number {
    if ((Atomics.load(this.ring.i32, layout.C_STATE) & layout.S_ENDED) !== 0) throw new RingError('ENDED', 'the ring has ended: no claim after end()');
    return HALTED;
  }

  protected checkN(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.size) {
      throw new RingError('BAD_ARGUMENT', `batch size must be an integer in 1..${this.size}, got ${n}`);
    }
  }

  protected waitGate(wrapPoint: number, ref: number, timeoutMs: number): number {
    return waitSync(
      this.site,
      wrapPoint,
      () => this.minGate(ref),
      () => this.gateLaggingLine,
      timeoutMs,
    );
  }

  protected waitGateAsync(wrapPoint: number, ref: number, timeoutMs: number): Promise<number> {
    return waitAsync(
      this.site,
      wrapPoint,
      () => this.minGate(ref),
      () => this.gateLaggingLine,
      timeoutMs,
    );
  }
}
