import { AsyncStageRun } from './async-stage-run.js';
import { MAX_SEQUENCE } from './layout.js';
import type { RingBuffer, RingErrorRecord } from './ring-buffer.js';
import { checkPositive, type AsyncBatchHandler, type BatchHandler, type EventHandler, type RunOptions, type RunResult } from './run-options.js';
import type { Sequence } from './sequence.js';
import type { SequenceBarrier } from './sequence-barrier.js';
import { SlotError, errorRecord } from './slot-error.js';
import { ENDED, TIMEOUT } from './status-codes.js';

/** A consumer stage of the pipeline: its barrier (what it reads behind) and its own cursor. */
export class Stage {
  readonly name: string;
  readonly index: number;
  readonly barrier: SequenceBarrier;
  readonly cursor: Sequence;
  private readonly ring: RingBuffer;

  constructor(ring: RingBuffer, name: string, index: number, barrier: SequenceBarrier, cursor: Sequence) {
    this.ring = ring;
    this.name = name;
    this.index = index;
    this.barrier = barrier;
    this.cursor = cursor;
  }

  /** Next sequence this stage must handle (its cursor + 1). */
  nextSequence(): number {
    return this.cursor.get() + 1;
  }

  /** Batch loop: waitFor -> handler(bytes, first, last) -> cursor.set(last). */
  run(handler: BatchHandler, options: RunOptions = {}): RunResult {
    const ring = this.ring;
    const bytes = ring.bytes;
    const until = options.until ?? MAX_SEQUENCE;
    const idle = options.idleTimeoutMs ?? Infinity;
    const onTimeout = options.onTimeout;
    const maxBatch = options.maxBatch ?? Math.max(1, ring.slotCount >>> 2);
    checkPositive('maxBatch', maxBatch);
    let next = this.cursor.get() + 1;
    let processed = 0;
    const finish = (status: RunResult['status'], error?: RingErrorRecord): RunResult => {
      const r: RunResult = { status, processed, cursor: next - 1 };
      if (error) r.error = error;
      return r;
    };
    // Returns a RunResult to stop, or null to continue.
    const handle = (hi: number): RunResult | null => {
      if (hi < 0) {
        if (hi !== TIMEOUT) return finish(hi === ENDED ? 'ended' : 'halted');
        if (onTimeout === undefined) return finish('timeout');
        onTimeout();
        return null;
      }
      const capped = hi - next >= maxBatch ? next + maxBatch - 1 : hi;
      const last = capped > until ? until : capped;
      let first = next;
      while (first <= last) {
        try {
          handler(bytes, first, last);
          processed += last - first + 1;
          first = last + 1;
        } catch (e) {
          const { rec, cause } = errorRecord(this.name, e, first, last);
          const seq = rec.sequence;
          processed += seq - first;
          options.onError?.(rec, cause);
          ring.recordError(this.index, seq, rec.message);
          if (ring.onError === 'halt') {
            // Events before the failing one are done; the failing one is not.
            if (seq > next) this.cursor.set(seq - 1);
            next = seq;
            ring.halt();
            return finish('error', rec);
          }
          ring.countSkip();
          first = seq + 1;
        }
      }
      this.cursor.set(last);
      next = last + 1;
      if (last >= until) return finish('done');
      return null;
    };
    if (next > until) return finish('done');
    for (;;) {
      const r = handle(this.barrier.waitFor(next, idle));
      if (r) return r;
    }
  }

  /** Per-event convenience loop (exact failing sequence, per-event skip). */
  runEach(handler: EventHandler, options: RunOptions = {}): RunResult {
    return this.run(this.eachToBatch(handler), options);
  }

  /**
   * `run` with `Atomics.waitAsync` parking (keeps the event loop alive). The handler may return a
   * promise; up to `maxInFlight` batches are handed out before the oldest settles.
   */
  runAsync(handler: AsyncBatchHandler, options: RunOptions = {}): Promise<RunResult> {
    const maxBatch = options.maxBatch ?? Math.max(1, this.ring.slotCount >>> 2);
    checkPositive('maxBatch', maxBatch);
    const maxInFlight = options.maxInFlight ?? 1;
    checkPositive('maxInFlight', maxInFlight);
    return new AsyncStageRun(this, this.ring, handler, options, maxBatch, maxInFlight).run();
  }

  private eachToBatch(handler: EventHandler): BatchHandler {
    const ring = this.ring;
    const base = ring.slotsOffset;
    const mask = ring.mask;
    const size = ring.slotSize;
    return (bytes, first, last) => {
      for (let s = first; s <= last; s++) {
        try {
          handler(bytes, base + (s & mask) * size, s);
        } catch (e) {
          throw e instanceof SlotError ? e : new SlotError(s, e);
        }
      }
    };
  }
}

/** `stage.run(handler, options)`: the batch loop as a free function. */
export function runStage(stage: Stage, handler: BatchHandler, options: RunOptions = {}): RunResult {
  return stage.run(handler, options);
}
