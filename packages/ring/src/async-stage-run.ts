import { MAX_SEQUENCE } from './layout.js';
import type { RingBuffer, RingErrorRecord } from './ring-buffer.js';
import type { AsyncBatchHandler, RunOptions, RunResult } from './run-options.js';
import { errorRecord } from './slot-error.js';
import type { Stage } from './stage.js';
import { ENDED, TIMEOUT } from './status-codes.js';

const PENDING = 0;
const SETTLED = 1;
const FAILED = 2;

/** A batch handed to an async handler whose cursor move waits for it (and every batch before it). */
interface InFlight {
  first: number;
  last: number;
  state: number; // PENDING | SETTLED | FAILED
  error: unknown;
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return value !== undefined && value !== null && typeof (value as PromiseLike<void>).then === 'function';
}

/**
 * One `runAsync` call. Batches are handed to the handler in order while fewer than `maxInFlight`
 * are outstanding; `settle` moves the cursor over the settled prefix of the queue as promises
 * settle, even while the loop is parked waiting for events (a producer gated on this cursor needs
 * that room to publish them).
 */
export class AsyncStageRun {
  private readonly queue: InFlight[] = [];
  private committed: number;
  private processed = 0;
  /** Set when a handler error halted the stage: no cursor move passes the failed batch. */
  private failure: RunResult | null = null;
  private progress: (() => void) | null = null;
  private readonly bytes: Uint8Array;
  private readonly settle = (): void => this.settleQueue();

  constructor(
    private readonly stage: Stage,
    private readonly ring: RingBuffer,
    private readonly handler: AsyncBatchHandler,
    private readonly options: RunOptions,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {
    this.bytes = ring.bytes;
    this.committed = stage.cursor.get();
  }

  async run(): Promise<RunResult> {
    const { barrier } = this.stage;
    const until = this.options.until ?? MAX_SEQUENCE;
    const idle = this.options.idleTimeoutMs ?? Infinity;
    const onTimeout = this.options.onTimeout;
    let next = this.committed + 1;
    if (next > until) return this.result('done');
    // A busy ring never parks, and awaiting a resolved promise only runs microtasks: let the
    // event loop (timers, I/O: the reason to use runAsync) in at least every 5 ms.
    let lastYield = performance.now();
    for (;;) {
      if (this.queue.length >= this.maxInFlight) {
        await this.nextProgress();
        if (this.failure) break;
        continue;
      }
      const hi = await barrier.waitForAsync(next, idle);
      if (this.failure) break;
      if (hi < 0) {
        if (hi === TIMEOUT && onTimeout !== undefined) {
          onTimeout();
          continue;
        }
        await this.drain();
        return this.failure ?? this.result(hi === TIMEOUT ? 'timeout' : hi === ENDED ? 'ended' : 'halted');
      }
      const capped = hi - next >= this.maxBatch ? next + this.maxBatch - 1 : hi;
      const last = capped > until ? until : capped;
      this.dispatch(next, last);
      next = last + 1;
      if (last >= until) {
        await this.drain();
        return this.failure ?? this.result('done');
      }
      if (performance.now() - lastYield > 5) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    await this.drain();
    return this.failure!;
  }

  private result(status: RunResult['status'], error?: RingErrorRecord): RunResult {
    const r: RunResult = { status, processed: this.processed, cursor: this.committed };
    if (error) r.error = error;
    return r;
  }

  private dispatch(first: number, last: number): void {
    if (this.queue.length === 0) {
      // Nothing in flight: a synchronous handler moves the cursor at once, as `run` does.
      let r: void | Promise<void>;
      try {
        r = this.handler(this.bytes, first, last);
      } catch (e) {
        this.queue.push({ first, last, state: FAILED, error: e });
        this.settleQueue();
        return;
      }
      if (!isThenable(r)) {
        this.commit(first, last);
        return;
      }
      const entry: InFlight = { first, last, state: PENDING, error: undefined };
      this.queue.push(entry);
      this.watch(entry, r);
      return;
    }
    const entry: InFlight = { first, last, state: PENDING, error: undefined };
    this.queue.push(entry);
    this.invoke(entry);
    if (entry.state !== PENDING) this.settleQueue();
  }

  /** Hand entry.first..entry.last to the handler; its state follows the outcome. */
  private invoke(entry: InFlight): void {
    let r: void | Promise<void>;
    try {
      r = this.handler(this.bytes, entry.first, entry.last);
    } catch (e) {
      entry.state = FAILED;
      entry.error = e;
      return;
    }
    if (isThenable(r)) {
      entry.state = PENDING;
      this.watch(entry, r);
    } else entry.state = SETTLED;
  }

  private watch(entry: InFlight, promise: PromiseLike<void>): void {
    promise.then(
      () => {
        entry.state = SETTLED;
        this.settle();
      },
      (e: unknown) => {
        entry.state = FAILED;
        entry.error = e;
        this.settle();
      },
    );
  }

  private commit(first: number, last: number): void {
    this.processed += last - first + 1;
    this.stage.cursor.set(last);
    this.committed = last;
  }

  /** Move the cursor over the settled head of the queue, applying the error policy in order. */
  private settleQueue(): void {
    const queue = this.queue;
    while (queue.length > 0) {
      const entry = queue[0]!;
      if (entry.state === PENDING) break;
      if (this.failure)
        queue.shift(); // handled, but the cursor stays before the failed batch
      else if (entry.state === SETTLED) {
        this.commit(entry.first, entry.last);
        queue.shift();
      } else this.fail(entry);
    }
    const wake = this.progress;
    this.progress = null;
    wake?.();
  }

  /**
   * The failed batch at the head of the queue. 'halt': the cursor stops before the failing event,
   * the ring halts, and the entry is dropped. 'skip': the failing event is skipped and the rest of
   * its batch handed to the handler again, in the same place in the order (the entry stays).
   */
  private fail(entry: InFlight): void {
    const ring = this.ring;
    const { rec, cause } = errorRecord(this.stage.name, entry.error, entry.first, entry.last);
    const seq = rec.sequence;
    this.processed += seq - entry.first;
    this.options.onError?.(rec, cause);
    ring.recordError(this.stage.index, seq, rec.message);
    if (ring.onError === 'halt') {
      if (seq - 1 > this.committed) {
        this.stage.cursor.set(seq - 1);
        this.committed = seq - 1;
      }
      this.failure = this.result('error', rec);
      this.queue.shift();
      ring.halt();
      return;
    }
    ring.countSkip();
    if (seq === entry.last) {
      this.stage.cursor.set(seq);
      this.committed = seq;
      this.queue.shift();
      return;
    }
    entry.first = seq + 1;
    entry.error = undefined;
    this.invoke(entry);
  }

  private nextProgress(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.progress = resolve;
    });
  }

  /** Wait for every batch in flight to settle (the cursor then covers what succeeded). */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.nextProgress();
  }
}
