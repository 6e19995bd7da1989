import { DEFAULT_WAIT, RingError, validateWaitStrategy, type WaitStrategy } from './wait.js';

// ---------------------------------------------------------------------------------------------
// Memory layout (one SharedArrayBuffer):
//
//   line 0        control: magic, version, state word (halted / ended bits), error record, meta
//                 (JSON) offset/length, end sequence (Float64, byte 56)
//   line 1        claim cursor            (highest sequence handed to a producer)
//   line 2        publish cursor (single producer) / "published" wake line (multi producer)
//   line 3 + i    gate cursor of stage i  (its progress: highest sequence it has finished)
//   meta          the topology as UTF-8 JSON (stage names, dependencies, strategy, options)
//   error text    last handler error message (UTF-8, ERROR_TEXT_BYTES)
//   flags, lens   multi producer only: per slot, the "round" of the sequence published there (times
//                 2, +1 on a batch's first slot) and, on a batch's first slot, the batch length
//   slots         slotCount * slotSize bytes, slot of sequence s at slotsOffset + (s & mask) * slotSize
//
// Every cursor lives on its own 64-byte line: [0] value (wrapping Int32), [1] waiters count,
// [2] wake word (futex), byte 16: Float64 "hint" = the full sequence, written before the value.
// Cursors are wrapping Int32 (measured faster than BigInt64, see bench/notes/ring.md); a reader
// rebuilds the exact sequence from any reference within 2^31 of it: ref + ((raw - (ref | 0)) | 0).
// Consumers use their own position as reference, producers their claim, metrics readers the hint.
// ---------------------------------------------------------------------------------------------

export const LINE_BYTES = 64;
/** @internal */ export const LINE_I32 = LINE_BYTES / 4;
const MAGIC = 0x52494e47; // 'RING'
const VERSION = 1;
// Word 0 of a cursor's line holds its value (read through Sequence's own views); word 1 counts parked waiters.
const W_WAITERS = 1;
/** @internal */ export const W_WAKE = 2;
const HINT_F64 = 2; // byte 16 of the line
// control line words
const C_MAGIC = 0;
const C_VERSION = 1;
/** State word: S_HALTED | S_ENDED bits, so a producer's `next` tests both with one load. */
/** @internal */ export const C_STATE = 2;
/** @internal */ export const S_HALTED = 1;
const S_ENDED = 2;
const C_ERRORS = 3;
const C_ERR_STAGE = 4;
const C_ERR_TEXT_LEN = 5;
const C_META_OFF = 6;
const C_META_LEN = 7;
const C_SKIPPED = 8;
const C_ERR_SEQ_F64 = 6; // byte 48
const C_END_SEQ_F64 = 7; // byte 56: written before S_ENDED is set
const ERROR_TEXT_BYTES = 512;
const CLAIM_LINE = 1;
const PUBLISH_LINE = 2;
const FIRST_STAGE_LINE = 3;

/** Returned (negative, never a valid sequence) by waits that did not get a sequence. */
export const HALTED = -2;
export const TIMEOUT = -3;
/** Returned by `tryNext` when the ring has no room for the batch. */
export const INSUFFICIENT_CAPACITY = -4;
/** Returned by a barrier's waits when the ring has ended (`end()`) before the sequence waited for. */
export const ENDED = -5;
const MAX_PARK_MS = 250; // a parked thread re-checks its state at least this often (belt and braces)
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

export type ProducerType = 'single' | 'multi';
export type ErrorPolicy = 'halt' | 'skip';

export interface StageSpec {
  name: string;
  /** Stages this one reads behind; empty = reads behind the producer. */
  after: string[];
}

export interface RingOptions {
  /** Bytes per slot, a multiple of 8 (64 recommended: one cache line). */
  slotSize: number;
  /** Number of slots, a power of two, 2 .. 2^28. */
  slotCount: number;
  producer?: ProducerType;
  stages: StageSpec[];
  wait?: WaitStrategy;
  /** What a stage's `run` loop does when its handler throws. Default 'halt'. */
  onError?: ErrorPolicy;
  /** First sequence the ring hands out (>= 0). Default 0. Tests start near 2^31 / 2^32 to cross the wrap. */
  initialSequence?: number;
}

/** What a worker needs to attach: the whole topology lives in the buffer itself. */
export interface RingDescriptor {
  readonly sab: SharedArrayBuffer;
}

interface Meta {
  slotSize: number;
  slotCount: number;
  producer: ProducerType;
  stages: StageSpec[];
  wait: WaitStrategy;
  onError: ErrorPolicy;
  initialSequence: number;
  flagsOffset: number;
  slotsOffset: number;
}

export interface RingErrorRecord {
  stage: string;
  sequence: number;
  message: string;
}

/** Snapshot of every cursor, readable from any thread (for metrics / lag). */
export interface CursorSnapshot {
  claimed: number;
  published: number;
  stages: Record<string, number>;
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/** Rebuild a full sequence from a wrapping Int32 `raw` and a reference within 2^31 of it. */
export function fullSequence(ref: number, raw: number): number {
  return ref + ((raw - (ref | 0)) | 0);
}

// Atomics.waitAsync is in Node 20 (V8) but typed only in lib ES2024.
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const atomicsWaitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): WaitAsyncResult }).waitAsync;

function noop(): void {}

function now(): number {
  return performance.now();
}

// ---------------------------------------------------------------------------------------------

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
    this.hintIdx = line * (LINE_BYTES / 8) + HINT_F64;
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

// ---------------------------------------------------------------------------------------------
// Shared waiting loop (slow path only). `probe()` returns the current available value; the wait
// ends when it reaches `target`. `line()` names the cursor line to park on (the lagging one).

/** @internal */
export interface WaitSite {
  /** Header view: its word C_STATE is the state word. */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly strategy: WaitStrategy;
  /** Consumer waits return ENDED past the end of stream; producer (gate) waits do not. */
  readonly endAware: boolean;
}

/** Why a wait stops on a non-zero state word: HALTED, ENDED (stream ended before `target`), or 0 (keep waiting). */
function stopCode(site: WaitSite, state: number, target: number): number {
  if ((state & S_HALTED) !== 0) return HALTED;
  if (site.endAware && (state & S_ENDED) !== 0 && site.f64[C_END_SEQ_F64]! < target) return ENDED;
  return 0;
}

/** @internal */
export function waitSync(site: WaitSite, target: number, probe: () => number, line: () => number, timeoutMs: number): number {
  const { i32, strategy } = site;
  const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
  const spins = strategy.kind === 'busy-spin' ? Infinity : strategy.spins;
  let i = 0;
  for (;;) {
    const v = probe();
    if (v >= target) return v;
    const state = Atomics.load(i32, C_STATE);
    if (state !== 0) {
      const stop = stopCode(site, state, target);
      if (stop !== 0) return stop;
    }
    i++;
    if (i < spins) {
      if ((i & 255) === 0 && now() >= deadline) return TIMEOUT;
      continue;
    }
    const left = deadline - now();
    if (left <= 0) return TIMEOUT;
    const base = line();
    if (strategy.kind === 'yielding') {
      Atomics.wait(i32, base + W_WAKE, Atomics.load(i32, base + W_WAKE), Math.min(strategy.parkMs, left));
      continue;
    }
    // blocking / async (sync entry): announce, re-check, park.
    Atomics.add(i32, base + W_WAITERS, 1);
    const w = Atomics.load(i32, base + W_WAKE);
    const again = probe();
    if (again >= target || stopCode(site, Atomics.load(i32, C_STATE), target) !== 0) {
      Atomics.sub(i32, base + W_WAITERS, 1);
      continue;
    }
    Atomics.wait(i32, base + W_WAKE, w, Math.min(left, MAX_PARK_MS));
    Atomics.sub(i32, base + W_WAITERS, 1);
  }
}

/** @internal */
export async function waitAsync(site: WaitSite, target: number, probe: () => number, line: () => number, timeoutMs: number): Promise<number> {
  const { i32, strategy } = site;
  const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
  const spins = strategy.kind === 'busy-spin' ? 64 : strategy.spins;
  let i = 0;
  for (;;) {
    const v = probe();
    if (v >= target) return v;
    const state = Atomics.load(i32, C_STATE);
    if (state !== 0) {
      const stop = stopCode(site, state, target);
      if (stop !== 0) return stop;
    }
    if (++i < spins) continue;
    const left = deadline - now();
    if (left <= 0) return TIMEOUT;
    const base = line();
    Atomics.add(i32, base + W_WAITERS, 1);
    const w = Atomics.load(i32, base + W_WAKE);
    const again = probe();
    if (again >= target || stopCode(site, Atomics.load(i32, C_STATE), target) !== 0) {
      Atomics.sub(i32, base + W_WAITERS, 1);
      continue;
    }
    const slice = Math.min(left, MAX_PARK_MS);
    const r = atomicsWaitAsync(i32, base + W_WAKE, w, slice);
    if (r.async) {
      // Node does not count a pending waitAsync as work: without a ref'd handle the event loop can
      // exit under us (exit code 13, or 0 in a worker). Hold a handle until the wait settles: a
      // one-shot timer of the park's length was not enough on a loaded machine, where V8's own
      // timeout task can run after that timer, leaving a moment with no handle at all.
      const keepAlive = setInterval(noop, 1000);
      try {
        await r.value;
      } finally {
        clearInterval(keepAlive);
      }
    }
    Atomics.sub(i32, base + W_WAITERS, 1);
  }
}

// ---------------------------------------------------------------------------------------------

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
    this.laggingLine = this.onFlags ? PUBLISH_LINE * LINE_I32 : this.depLines[0]!;
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
    const state = Atomics.load(this.ring.i32, C_STATE);
    if (state !== 0) {
      const stop = stopCode(this.site, state, seq);
      if (stop !== 0) return stop;
    }
    return waitSync(this.site, seq, () => this.available(seq), () => this.parkLine(), timeoutMs);
  }

  /** Like `waitFor`, parking with `Atomics.waitAsync` so the event loop keeps running. */
  waitForAsync(seq: number, timeoutMs = Infinity): Promise<number> {
    const v = this.available(seq);
    if (v >= seq) return Promise.resolve(v);
    return waitAsync(this.site, seq, () => this.available(seq), () => this.parkLine(), timeoutMs);
  }

  private parkLine(): number {
    // Multi producer, first stage: producers signal the PUBLISH line after setting flags; a lagging
    // stage dependency (if any) notifies on its own line.
    return this.onFlags ? PUBLISH_LINE * LINE_I32 : this.laggingLine;
  }

  /** The dependency cursors (read-only use). */
  dependencies(): readonly Sequence[] {
    return this.deps;
  }
}

// ---------------------------------------------------------------------------------------------

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

abstract class SequencerBase {
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
    if ((Atomics.load(this.ring.i32, C_STATE) & S_ENDED) !== 0) throw new RingError('ENDED', 'the ring has ended: no claim after end()');
    return HALTED;
  }

  protected checkN(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.size) {
      throw new RingError('BAD_ARGUMENT', `batch size must be an integer in 1..${this.size}, got ${n}`);
    }
  }

  protected waitGate(wrapPoint: number, ref: number, timeoutMs: number): number {
    return waitSync(this.site, wrapPoint, () => this.minGate(ref), () => this.gateLaggingLine, timeoutMs);
  }

  protected waitGateAsync(wrapPoint: number, ref: number, timeoutMs: number): Promise<number> {
    return waitAsync(this.site, wrapPoint, () => this.minGate(ref), () => this.gateLaggingLine, timeoutMs);
  }
}

/** One producer thread: claims need no atomics; publish is one release store per batch. */
export class SingleProducerSequencer extends SequencerBase implements Sequencer {
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

  remainingCapacity(): number {
    return this.size - (this.claim - this.minGate(this.claim));
  }

  claimed(): number {
    return this.claim;
  }
}

/** Several producer threads: CAS on the claim cursor, one availability flag per slot. */
export class MultiProducerSequencer extends SequencerBase implements Sequencer {
  readonly type = 'multi' as const;
  private readonly claimSeq: Sequence;
  private readonly claimIdx: number;
  private readonly hintIdx: number;
  private readonly flags: Int32Array;
  private readonly lens: Int32Array;
  private readonly mask: number;
  private readonly pubLine: number;

  constructor(ring: RingBuffer) {
    super(ring);
    this.claimSeq = ring.claimSequence;
    this.claimIdx = this.claimSeq.base;
    this.hintIdx = CLAIM_LINE * (LINE_BYTES / 8) + HINT_F64;
    this.flags = ring.flags!;
    this.lens = ring.lens!;
    this.mask = ring.mask;
    this.pubLine = PUBLISH_LINE * LINE_I32;
  }

  private current(): number {
    // The hint is written by the last successful claimer; it lags the truth by at most a ring's
    // worth of claims, far inside the 2^31 reconstruction window.
    return fullSequence(this.ring.f64[this.hintIdx]!, Atomics.load(this.ring.i32, this.claimIdx));
  }

  private claimOnce(n: number): number {
    // returns hi on success, INSUFFICIENT_CAPACITY when full, TIMEOUT (-3) marker never.
    const i32 = this.ring.i32;
    for (;;) {
      const cur = this.current();
      const hi = cur + n;
      const wrap = hi - this.size;
      if (wrap > this.cachedGate) {
        const gate = this.minGate(cur);
        this.cachedGate = gate;
        if (wrap > gate) return INSUFFICIENT_CAPACITY;
      }
      if (Atomics.compareExchange(i32, this.claimIdx, cur | 0, hi | 0) === (cur | 0)) {
        this.ring.f64[this.hintIdx] = hi;
        return hi;
      }
    }
  }

  next(n = 1, timeoutMs = Infinity): number {
    if (n !== 1) this.checkN(n);
    if (Atomics.load(this.ring.i32, C_STATE) !== 0) return this.stopped();
    const first = this.claimOnce(n);
    if (first >= 0) return first;
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      const cur = this.current();
      const left = deadline - now();
      if (left <= 0) return TIMEOUT;
      const r = this.waitGate(cur + n - this.size, cur, left);
      if (r < 0) return r;
      const hi = this.claimOnce(n);
      if (hi >= 0) return hi;
    }
  }

  tryNext(n = 1): number {
    this.checkN(n);
    if (Atomics.load(this.ring.i32, C_STATE) !== 0) return this.stopped();
    return this.claimOnce(n);
  }

  async nextAsync(n = 1, timeoutMs = Infinity): Promise<number> {
    this.checkN(n);
    if (Atomics.load(this.ring.i32, C_STATE) !== 0) return this.stopped();
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      const hi = this.claimOnce(n);
      if (hi >= 0) return hi;
      const cur = this.current();
      const left = deadline - now();
      if (left <= 0) return TIMEOUT;
      const r = await this.waitGateAsync(cur + n - this.size, cur, left);
      if (r < 0) return r;
    }
  }

  /**
   * Mark lo..hi available. The batch's first slot gets its length (plain) and then its flag
   * `round*2+1` with `Atomics.store`: the release point for the whole batch. Consumers scan batch
   * by batch: one `Atomics.load` on the first slot's flag (which synchronises with this store, so
   * the length and the slots are visible), then jump over the batch. The other slots get the flag
   * `round*2` as plain stores, only so that a reader starting mid-batch (a stage re-attached after
   * stopping inside a batch) can step through them one by one. One seq-cst store and load per
   * batch instead of per slot: both were measured at 15-25 ns each on this VM (not inlined),
   * which capped multi-producer publishing near 25M/s before any payload.
   */
  publish(lo: number, hi: number): void {
    const flags = this.flags;
    const mask = this.mask;
    const size = this.size;
    const first = lo & mask;
    const firstRound = Math.floor(lo / size) | 0;
    let round = firstRound;
    let idx = first;
    for (let s = lo + 1; s <= hi; s++) {
      if (++idx === size) {
        idx = 0;
        round = (round + 1) | 0;
      }
      flags[idx] = (round << 1) | 0;
    }
    this.lens[first] = hi - lo + 1;
    Atomics.store(flags, first, (firstRound << 1) | 1);
    const i32 = this.ring.i32;
    if (Atomics.load(i32, this.pubLine + W_WAITERS) !== 0) {
      Atomics.add(i32, this.pubLine + W_WAKE, 1);
      Atomics.notify(i32, this.pubLine + W_WAKE);
    }
  }

  remainingCapacity(): number {
    const cur = this.current();
    return this.size - (cur - this.minGate(cur));
  }

  claimed(): number {
    return this.current();
  }
}

// ---------------------------------------------------------------------------------------------

export interface RunOptions {
  /** Stop (status 'done') once this sequence has been handled. */
  until?: number;
  /** Return with status 'timeout' if no event arrives for this long. Default: wait forever (until halt or end). */
  idleTimeoutMs?: number;
  /** With `idleTimeoutMs`: called on each idle timeout, and the loop keeps waiting instead of returning 'timeout'. */
  onTimeout?: () => void;
  /**
   * Most events handed to one handler call (default slotCount / 4). Moving the cursor after a
   * bounded chunk gives a producer parked on a full ring room early instead of after a whole lap
   * (measured: 16K slots, 2K chunks about 1.5x the throughput of whole-ring batches under load).
   */
  maxBatch?: number;
  /**
   * `runAsync` only: how many handler promises may be outstanding (default 1). The cursor still
   * moves strictly in order: past a batch only once it and every batch before it have settled.
   */
  maxInFlight?: number;
  /** Called for every handler error (both policies), before halting or skipping. */
  onError?: (error: RingErrorRecord, cause: unknown) => void;
}

export interface RunResult {
  /** 'ended': every event up to the ring's end sequence was handled (cursor = endSequence). */
  status: 'done' | 'halted' | 'error' | 'timeout' | 'ended';
  /** Events handled (skipped ones excluded). */
  processed: number;
  /** This stage's cursor when the loop returned. */
  cursor: number;
  error?: RingErrorRecord;
}

/**
 * Batch handler: handle sequences first..last; slot of s at `ring.offsetOf(s)` in `bytes`.
 * Throw `new SlotError(seq, cause)` to report the exact failing sequence; a plain throw is
 * reported at `first`.
 */
export type BatchHandler = (bytes: Uint8Array, first: number, last: number) => void;
/** `runAsync`'s handler: may return a promise; the batch is handled when it settles (a rejection is a handler error). */
export type AsyncBatchHandler = (bytes: Uint8Array, first: number, last: number) => void | Promise<void>;
/** Per-event handler: `offset` is the slot's byte offset in `bytes`. */
export type EventHandler = (bytes: Uint8Array, offset: number, seq: number) => void;

/** Thrown by a batch handler to name the sequence that failed. */
export class SlotError extends Error {
  readonly sequence: number;
  override readonly cause: unknown;
  constructor(sequence: number, cause: unknown) {
    super(`slot ${sequence}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SlotError';
    this.sequence = sequence;
    this.cause = cause;
  }
}

/** The error record of a handler failure in first..last: SlotError's sequence when inside the batch, else `first`. */
function errorRecord(stage: string, error: unknown, first: number, last: number): { rec: RingErrorRecord; cause: unknown } {
  const seq = error instanceof SlotError && error.sequence >= first && error.sequence <= last ? error.sequence : first;
  const cause = error instanceof SlotError ? error.cause : error;
  return { rec: { stage, sequence: seq, message: String((cause as Error)?.stack ?? cause) }, cause };
}

function checkPositive(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RingError('BAD_ARGUMENT', `${name} must be a positive integer, got ${value}`);
}

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
class AsyncStageRun {
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
    let lastYield = now();
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
      if (now() - lastYield > 5) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = now();
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
      if (this.failure) queue.shift(); // handled, but the cursor stays before the failed batch
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

// ---------------------------------------------------------------------------------------------

/**
 * Fixed-size binary slots in one SharedArrayBuffer plus every cursor of the pipeline built on it.
 * Create once (`RingBuffer.create` or `new Pipeline(...).build()`), pass `ring.descriptor` in
 * `workerData`, and `RingBuffer.attach(descriptor)` in each worker.
 */
export class RingBuffer {
  readonly sab: SharedArrayBuffer;
  /** Byte view over the whole buffer; slot bytes are at `offsetOf(seq)`. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly slotSize: number;
  readonly slotCount: number;
  readonly mask: number;
  /** Byte offset of slot 0 in `bytes`. */
  readonly slotsOffset: number;
  readonly producerType: ProducerType;
  readonly wait: WaitStrategy;
  readonly onError: ErrorPolicy;
  readonly initialSequence: number;
  readonly stageSpecs: readonly StageSpec[];
  /** @internal */ readonly i32: Int32Array;
  /** @internal */ readonly f64: Float64Array;
  /** @internal */ readonly flags: Int32Array | null;
  /** @internal */ readonly lens: Int32Array | null;
  readonly claimSequence: Sequence;
  /** Single producer: the publish cursor. Multi producer: a wake line only (use `published()`). */
  readonly publishSequence: Sequence;
  private readonly stageSeqs: Sequence[];
  private readonly stageIndex = new Map<string, number>();
  private sequencerInstance: Sequencer | null = null;

  private constructor(sab: SharedArrayBuffer, meta: Meta) {
    this.sab = sab;
    this.bytes = new Uint8Array(sab);
    this.view = new DataView(sab);
    this.slotSize = meta.slotSize;
    this.slotCount = meta.slotCount;
    this.mask = meta.slotCount - 1;
    this.slotsOffset = meta.slotsOffset;
    this.producerType = meta.producer;
    this.wait = meta.wait;
    this.onError = meta.onError;
    this.initialSequence = meta.initialSequence;
    this.stageSpecs = meta.stages;
    const headerBytes = meta.flagsOffset;
    this.i32 = new Int32Array(sab, 0, headerBytes / 4);
    this.f64 = new Float64Array(sab, 0, headerBytes / 8);
    this.flags = meta.producer === 'multi' ? new Int32Array(sab, meta.flagsOffset, meta.slotCount) : null;
    this.lens = meta.producer === 'multi' ? new Int32Array(sab, meta.flagsOffset + meta.slotCount * 4, meta.slotCount) : null;
    this.claimSequence = new Sequence(this.i32, this.f64, CLAIM_LINE);
    this.publishSequence = new Sequence(this.i32, this.f64, PUBLISH_LINE);
    this.stageSeqs = meta.stages.map((_, i) => new Sequence(this.i32, this.f64, FIRST_STAGE_LINE + i));
    meta.stages.forEach((s, i) => {
      this.stageIndex.set(s.name, i);
    });
  }

  /** Allocate and initialise a ring with its topology. */
  static create(options: RingOptions): RingBuffer {
    const meta = validate(options);
    const nStages = meta.stages.length;
    const linesEnd = (FIRST_STAGE_LINE + nStages) * LINE_BYTES;
    const metaJson = new TextEncoder().encode(JSON.stringify({ ...meta, flagsOffset: 0, slotsOffset: 0 }));
    const metaOff = linesEnd;
    // Offsets are filled in below, so the final JSON is a few bytes longer than this estimate.
    const flagsOffset = align(metaOff + metaJson.length + 64 + ERROR_TEXT_BYTES, LINE_BYTES);
    const flagsBytes = meta.producer === 'multi' ? align(meta.slotCount * 8, LINE_BYTES) : 0;
    const slotsOffset = flagsOffset + flagsBytes;
    const total = slotsOffset + meta.slotCount * meta.slotSize;
    meta.flagsOffset = flagsOffset;
    meta.slotsOffset = slotsOffset;
    const json = new TextEncoder().encode(JSON.stringify(meta));
    // The JSON with real offsets can be a few bytes longer: re-place the error text after it.
    const sab = new SharedArrayBuffer(total);
    if (metaOff + json.length + ERROR_TEXT_BYTES > flagsOffset) throw new RingError('BAD_CONFIG', 'topology too large');
    new Uint8Array(sab).set(json, metaOff);
    const i32 = new Int32Array(sab, 0, flagsOffset / 4);
    i32[C_META_OFF] = metaOff;
    i32[C_META_LEN] = json.length;
    const ring = new RingBuffer(sab, meta);
    const start = meta.initialSequence - 1;
    ring.claimSequence.init(start);
    ring.publishSequence.init(start);
    for (const s of ring.stageSeqs) s.init(start);
    if (ring.flags) {
      const before = (Math.floor(meta.initialSequence / meta.slotCount) - 1) | 0;
      ring.flags.fill((before << 1) | 0);
    }
    Atomics.store(i32, C_VERSION, VERSION);
    Atomics.store(i32, C_MAGIC, MAGIC);
    return ring;
  }

  /** Attach to a ring created elsewhere (any thread), from `ring.descriptor` passed in workerData. */
  static attach(descriptor: RingDescriptor): RingBuffer {
    const sab = descriptor?.sab;
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < LINE_BYTES) {
      throw new RingError('BAD_DESCRIPTOR', 'descriptor.sab must be the SharedArrayBuffer of a ring');
    }
    const i32 = new Int32Array(sab, 0, LINE_I32);
    if (Atomics.load(i32, C_MAGIC) !== MAGIC || Atomics.load(i32, C_VERSION) !== VERSION) {
      throw new RingError('BAD_DESCRIPTOR', 'buffer is not a ringmatch ring (bad magic/version)');
    }
    const off = i32[C_META_OFF]!;
    const len = i32[C_META_LEN]!;
    const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(sab, off, len).slice())) as Meta;
    return new RingBuffer(sab, meta);
  }

  /** Plain, structured-clonable: put it in `workerData`. */
  get descriptor(): RingDescriptor {
    return { sab: this.sab };
  }

  /** Byte offset in `bytes` of the slot holding `seq`. */
  offsetOf(seq: number): number {
    return this.slotsOffset + (seq & this.mask) * this.slotSize;
  }

  /**
   * Contiguous byte ranges of the batch lo..hi (at most 2: a batch can wrap the ring end), as
   * [start1, end1, start2, end2] byte offsets in `bytes` (end exclusive; the second range is
   * empty, start2 === end2, when the batch does not wrap). Writes into `out` when given.
   */
  batchRanges(lo: number, hi: number, out: number[] = [0, 0, 0, 0]): number[] {
    const n = hi - lo + 1;
    if (n < 0 || n > this.slotCount) throw new RingError('BAD_ARGUMENT', `batch ${lo}..${hi} does not fit the ring`);
    const first = lo & this.mask;
    const inFirst = Math.min(n, this.slotCount - first);
    const s1 = this.slotsOffset + first * this.slotSize;
    out[0] = s1;
    out[1] = s1 + inFirst * this.slotSize;
    out[2] = this.slotsOffset;
    out[3] = this.slotsOffset + (n - inFirst) * this.slotSize;
    return out;
  }

  /** The batch lo..hi as 1 or 2 Uint8Array views over the shared slots (no copy). */
  batchViews(lo: number, hi: number): Uint8Array[] {
    const r = this.batchRanges(lo, hi);
    const a = new Uint8Array(this.sab, r[0]!, r[1]! - r[0]!);
    if (r[3] === r[2]) return [a];
    return [a, new Uint8Array(this.sab, r[2]!, r[3]! - r[2]!)];
  }

  /** The producer side. One instance per thread (cached). */
  sequencer(): Sequencer {
    if (!this.sequencerInstance) {
      this.sequencerInstance = this.producerType === 'single' ? new SingleProducerSequencer(this) : new MultiProducerSequencer(this);
    }
    return this.sequencerInstance;
  }

  /** A stage by name: its barrier (behind its dependencies) and its cursor. */
  stage(name: string): Stage {
    const index = this.stageIndex.get(name);
    if (index === undefined) throw new RingError('UNKNOWN_STAGE', `no stage ${JSON.stringify(name)}; stages: ${[...this.stageIndex.keys()].join(', ')}`);
    const spec = this.stageSpecs[index]!;
    return new Stage(this, name, index, this.barrierFor(spec.after), this.stageSeqs[index]!);
  }

  /** A barrier behind the named stages (or behind the producer when `after` is empty). */
  barrierFor(after: readonly string[]): SequenceBarrier {
    if (after.length === 0) return new SequenceBarrier(this, [this.producerType === 'single' ? this.publishSequence : this.claimSequence], true);
    return new SequenceBarrier(this, after.map((n) => this.stageSequence(n)), false);
  }

  stageSequence(name: string): Sequence {
    const index = this.stageIndex.get(name);
    if (index === undefined) throw new RingError('UNKNOWN_STAGE', `no stage ${JSON.stringify(name)}`);
    return this.stageSeqs[index]!;
  }

  stageNames(): string[] {
    return this.stageSpecs.map((s) => s.name);
  }

  /** @internal cursors of stages nobody depends on: the producer's gate. */
  terminalStageSequences(): Sequence[] {
    const used = new Set(this.stageSpecs.flatMap((s) => s.after));
    return this.stageSpecs.map((s, i) => (used.has(s.name) ? null : this.stageSeqs[i]!)).filter((s): s is Sequence => s !== null);
  }

  /** Highest claimed sequence (any producer). */
  claimed(): number {
    return this.claimSequence.get();
  }

  /** Highest sequence visible to first stages (MP: highest contiguous published). */
  published(): number {
    if (this.producerType === 'single') return this.publishSequence.get();
    const claimed = this.claimed();
    let from = claimed;
    for (const s of this.stageSpecs.map((sp, i) => (sp.after.length === 0 ? this.stageSeqs[i]!.get() : MAX_SEQUENCE))) from = Math.min(from, s);
    return this.highestPublished(from + 1, claimed);
  }

  /** @internal highest contiguous published sequence from `lo` up to `claimed` (MP), lo-1 if none. */
  highestPublished(lo: number, claimed: number): number {
    const flags = this.flags!;
    const lens = this.lens!;
    const mask = this.mask;
    const size = this.slotCount;
    let s = lo;
    while (s <= claimed) {
      const idx = s & mask;
      const round = (Math.floor(s / size) << 1) | 0;
      const f = Atomics.load(flags, idx);
      if (f === (round | 1)) s += lens[idx]!; // a batch start: its length is visible behind the flag
      else if (f === round) s++; // inside a batch (only when a reader starts mid-batch)
      else return s - 1;
    }
    return s - 1 > claimed ? claimed : s - 1;
  }

  /** Every cursor, exact, readable from any thread. */
  cursors(): CursorSnapshot {
    const stages: Record<string, number> = {};
    this.stageSpecs.forEach((s, i) => {
      stages[s.name] = this.stageSeqs[i]!.get();
    });
    return { claimed: this.claimed(), published: this.published(), stages };
  }

  /** Stop the pipeline: set the halt flag and wake every parked waiter (producers and stages). */
  halt(): void {
    Atomics.or(this.i32, C_STATE, S_HALTED);
    this.wakeAll();
  }

  get halted(): boolean {
    return (Atomics.load(this.i32, C_STATE) & S_HALTED) !== 0;
  }

  /**
   * End of stream, called by the producer after its last publish: records the end sequence (single
   * producer: the publish cursor; multi producer: the claimed cursor, so call it after every
   * producer has published), then wakes every parked waiter. Stages then get ENDED from their
   * barrier once they have handled everything up to the end; a later claim throws. Idempotent.
   */
  end(): void {
    const i32 = this.i32;
    if ((Atomics.load(i32, C_STATE) & S_ENDED) !== 0) return;
    // The sequence first, then the flag (a release): whoever sees the flag sees the sequence.
    this.f64[C_END_SEQ_F64] = this.producerType === 'single' ? this.publishSequence.get() : this.claimed();
    Atomics.or(i32, C_STATE, S_ENDED);
    this.wakeAll();
  }

  get ended(): boolean {
    return (Atomics.load(this.i32, C_STATE) & S_ENDED) !== 0;
  }

  /** The last sequence of the stream once `end()` was called; Infinity before (no sequence is past the end yet). */
  endSequence(): number {
    return (Atomics.load(this.i32, C_STATE) & S_ENDED) !== 0 ? this.f64[C_END_SEQ_F64]! : Infinity;
  }

  private wakeAll(): void {
    const i32 = this.i32;
    const lines = FIRST_STAGE_LINE + this.stageSeqs.length;
    for (let l = 1; l < lines; l++) {
      Atomics.add(i32, l * LINE_I32 + W_WAKE, 1);
      Atomics.notify(i32, l * LINE_I32 + W_WAKE);
    }
  }

  /** @internal */
  recordError(stage: number, sequence: number, message: string): void {
    const i32 = this.i32;
    const off = i32[C_META_OFF]! + i32[C_META_LEN]!;
    const enc = new TextEncoder().encode(message);
    const n = Math.min(enc.length, ERROR_TEXT_BYTES);
    this.bytes.set(enc.subarray(0, n), off);
    i32[C_ERR_STAGE] = stage;
    i32[C_ERR_TEXT_LEN] = n;
    this.f64[C_ERR_SEQ_F64] = sequence;
    Atomics.add(i32, C_ERRORS, 1);
  }

  /** @internal */
  countSkip(): void {
    Atomics.add(this.i32, C_SKIPPED, 1);
  }

  /** Number of handler errors recorded (any stage). */
  errorCount(): number {
    return Atomics.load(this.i32, C_ERRORS);
  }

  /** Events skipped under the 'skip' policy. */
  skippedCount(): number {
    return Atomics.load(this.i32, C_SKIPPED);
  }

  /** The last handler error (stage, failing sequence, message), or null. */
  lastError(): RingErrorRecord | null {
    const i32 = this.i32;
    if (Atomics.load(i32, C_ERRORS) === 0) return null;
    const off = i32[C_META_OFF]! + i32[C_META_LEN]!;
    const len = i32[C_ERR_TEXT_LEN]!;
    const message = new TextDecoder().decode(this.bytes.slice(off, off + len));
    return { stage: this.stageSpecs[i32[C_ERR_STAGE]!]?.name ?? '?', sequence: this.f64[C_ERR_SEQ_F64]!, message };
  }
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function validate(o: RingOptions): Meta {
  if (!o || typeof o !== 'object') throw new RingError('BAD_CONFIG', 'ring options required');
  if (!Number.isInteger(o.slotSize) || o.slotSize < 8 || o.slotSize % 8 !== 0 || o.slotSize > 1 << 20) {
    throw new RingError('BAD_CONFIG', `slotSize must be a multiple of 8 in 8..2^20, got ${o.slotSize}`);
  }
  if (!isPow2(o.slotCount) || o.slotCount > 1 << 28) {
    throw new RingError('BAD_CONFIG', `slotCount must be a power of two in 2..2^28, got ${o.slotCount}`);
  }
  const producer = o.producer ?? 'single';
  if (producer !== 'single' && producer !== 'multi') throw new RingError('BAD_CONFIG', `producer must be 'single' or 'multi'`);
  const initialSequence = o.initialSequence ?? 0;
  if (!Number.isSafeInteger(initialSequence) || initialSequence < 0 || initialSequence > 2 ** 52) {
    throw new RingError('BAD_CONFIG', `initialSequence must be an integer in 0..2^52, got ${initialSequence}`);
  }
  const onError = o.onError ?? 'halt';
  if (onError !== 'halt' && onError !== 'skip') throw new RingError('BAD_CONFIG', `onError must be 'halt' or 'skip'`);
  if (!Array.isArray(o.stages) || o.stages.length === 0) throw new RingError('BAD_CONFIG', 'at least one stage is required');
  const names = new Set<string>();
  const stages: StageSpec[] = [];
  for (const s of o.stages) {
    if (!s || typeof s.name !== 'string' || s.name.length === 0) throw new RingError('BAD_CONFIG', 'every stage needs a non-empty name');
    if (names.has(s.name)) throw new RingError('BAD_CONFIG', `duplicate stage ${JSON.stringify(s.name)}`);
    const after = [...(s.after ?? [])];
    for (const a of after) {
      if (!names.has(a)) throw new RingError('BAD_CONFIG', `stage ${JSON.stringify(s.name)} depends on unknown or later stage ${JSON.stringify(a)}`);
    }
    names.add(s.name);
    stages.push({ name: s.name, after });
  }
  return {
    slotSize: o.slotSize,
    slotCount: o.slotCount,
    producer,
    stages,
    wait: validateWaitStrategy(o.wait ?? DEFAULT_WAIT),
    onError,
    initialSequence,
    flagsOffset: 0,
    slotsOffset: 0,
  };
}

/** `stage.run(handler, options)`: the batch loop as a free function. */
export function runStage(stage: Stage, handler: BatchHandler, options: RunOptions = {}): RunResult {
  return stage.run(handler, options);
}
