import * as layout from './layout.js';
import type { RingBuffer } from './ring-buffer.js';
import type { Sequence } from './sequence.js';
import { stopCode, waitAsync, waitSync, type WaitSite } from './wait-loop.js';

// Local copies of the constants used on the hot path (why: see layout.ts).
const C_STATE = layout.C_STATE;
const MAX_SEQUENCE = layout.MAX_SEQUENCE;
const PUBLISH_LINE_BASE = layout.PUBLISH_LINE * layout.LINE_I32;

/**
 * Waits until every dependency has reached a sequence and returns the highest sequence available
 * behind all of them, so a consumer handles a whole batch per wait.
 */
export class SequenceBarrier {
  private readonly ring: RingBuffer;
  private readonly deps: Sequence[];
  private readonly depLines: Int32Array;
  private readonly single: number; // Int32 index of the single dependency, or -1
  /** True when this barrier reads behind a multi producer (availability flags). */
  private readonly onFlags: boolean;
  private laggingLine = 0;
  /** Multi producer: highest sequence this barrier has seen published (always a batch end). */
  private scanned = -1;
  /** @internal */ readonly site: WaitSite;

  constructor(ring: RingBuffer, deps: Sequence[], onProducer: boolean) {
    this.ring = ring;
    this.deps = deps;
    this.onFlags = onProducer && ring.producerType === 'multi';
    this.depLines = Int32Array.from(deps.map((d) => d.base));
    this.single = deps.length === 1 && !this.onFlags ? deps[0]!.base : -1;
    this.site = { i32: ring.i32, f64: ring.f64, strategy: ring.wait, endAware: true };
    this.laggingLine = this.onFlags ? PUBLISH_LINE_BASE : this.depLines[0]!;
  }

  /** Highest sequence available now behind every dependency (may be < seq). `seq - 1` is the reference. */
  available(seq: number): number {
    const ref = seq - 1;
    const i32 = this.ring.i32;
    if (this.single >= 0) return ref + ((Atomics.load(i32, this.single) - (ref | 0)) | 0);
    let min = MAX_SEQUENCE;
    const lines = this.depLines;
    for (let k = 0; k < lines.length; k++) {
      const v = ref + ((Atomics.load(i32, lines[k]!) - (ref | 0)) | 0);
      if (v < min) {
        min = v;
        if (v < seq) this.laggingLine = lines[k]!;
      }
    }
    if (this.onFlags) {
      // Scan from the last batch end seen (a batch start), or from seq if it is further on.
      const from = seq > this.scanned + 1 ? seq : this.scanned + 1;
      const hw = this.ring.highestPublished(from, min);
      if (hw > this.scanned) this.scanned = hw;
      return this.scanned;
    }
    return min;
  }

  /**
   * Wait for `seq` (the next sequence this consumer needs). Returns the highest available sequence
   * (>= seq); else HALTED when the ring is halted; else ENDED when the ring has ended before `seq`
   * (`endSequence() < seq`: nothing more will come, also for a stage behind other stages); else
   * TIMEOUT after `timeoutMs`.
   */
  waitFor(seq: number, timeoutMs = Infinity): number {
    const v = this.available(seq);
    if (v >= seq) return v;
    return this.waitSlow(seq, timeoutMs);
  }

  /** Like `waitFor`, parking with `Atomics.waitAsync` so the event loop keeps running. */
  waitForAsync(seq: number, timeoutMs = Infinity): Promise<number> {
    const v = this.available(seq);
    if (v >= seq) return Promise.resolve(v);
    return waitAsync(
      this.site,
      seq,
      () => this.available(seq),
      () => this.parkLine(),
      timeoutMs,
    );
  }

  // Out of line so that the fast path above keeps a small frame and allocates no closure context.
  private waitSlow(seq: number, timeoutMs: number): number {
    const state = Atomics.load(this.ring.i32, C_STATE);
    if (state !== 0) {
      const stop = stopCode(this.site, state, seq);
      if (stop !== 0) return stop;
    }
    return waitSync(
      this.site,
      seq,
      () => this.available(seq),
      () => this.parkLine(),
      timeoutMs,
    );
  }

  private parkLine(): number {
    // Multi producer, first stage: producers signal the PUBLISH line after setting flags; a lagging
    // stage dependency (if any) notifies on its own line.
    return this.onFlags ? PUBLISH_LINE_BASE : this.laggingLine;
  }

  /** The dependency cursors (read-only use). */
  dependencies(): readonly Sequence[] {
    return this.deps;
  }
}
