// The producer side of the command ring, as every source uses it: claim slots (counting a stall
// when the ring is full), publish them (stamping the publish time for latency, and the snapshot
// mark on every sequence that is a multiple of --snapshot-every), keep to --rate, and see the
// main thread's stop request. Each command's engine sequence is its ring sequence.
import { HALTED, INSUFFICIENT_CAPACITY, TIMEOUT, isTrimmable, type RingBuffer, type SequenceBarrier, type Sequencer } from '@ringmatch/ring';
import { COMMAND_SLOT_BYTES, markSnapshot, writeCommandSeq } from '@ringmatch/protocol';
import { Stat, processCpuUs } from '../stats.js';
import { copyIntoRing } from '../ring-copy.js';
import { parkAsync } from '../park-async.js';
import { Control, MATCHER, nowMs, type SharedState } from '../shared.js';

/**
 * Commands a source publishes at a time when unthrottled (a quarter of the default ring): fewer,
 * larger claims mean fewer wake-ups downstream and larger group commits. Alternated 2M-order file
 * runs, 16,384 over 4,096: median 1.10 in 13 pairs (1,024: 0.88-0.94, every pair slower).
 */
export const FLAT_OUT_BATCH = 16_384;

export class CommandPublisher {
  readonly bytes: Uint8Array;
  readonly slotCount: number;
  /** Highest sequence published by this run's source. */
  published: number;
  private readonly sequencer: Sequencer;
  private readonly stats: Float64Array;
  private readonly stamps: Float64Array;
  private readonly stampMask: number;
  private readonly control: Int32Array;
  /** Behind the last stage: how far the ring has room. */
  private readonly gate: SequenceBarrier;
  private startMs = nowMs();
  private sent = 0;

  constructor(
    readonly ring: RingBuffer,
    shared: SharedState,
    private readonly snapshotEvery: number,
    /** Orders per second, 0: unthrottled. */
    readonly rate: number,
    /** Only the sequences that are multiples of this get a publish time (the matcher samples those). */
    private readonly stampEvery = 1,
  ) {
    this.bytes = ring.bytes;
    this.slotCount = ring.slotCount;
    this.published = ring.published();
    this.sequencer = ring.sequencer();
    this.stats = new Float64Array(shared.stats);
    this.stamps = new Float64Array(shared.stamps);
    this.stampMask = this.stamps.length - 1;
    this.control = new Int32Array(shared.control);
    this.gate = ring.barrierFor([MATCHER]);
  }

  stopRequested(): boolean {
    return Atomics.load(this.control, Control.stopSource) !== 0;
  }

  /** Resolves once a stop is requested, or after `timeoutMs` (false then). */
  async whenStopRequested(timeoutMs: number): Promise<boolean> {
    await parkAsync(this.control, Control.stopSource, 0, timeoutMs);
    return this.stopRequested();
  }

  /** Ends a `whenStopRequested` wait early (the source has something to say, e.g. a failure). */
  wake(): void {
    Atomics.notify(this.control, Control.stopSource);
  }

  /** Claims `n` slots, counting a stall when the ring is full (backpressure). Returns lo, or -1 when halted or stopped. */
  claim(n: number): number {
    let hi = this.sequencer.tryNext(n);
    if (hi === INSUFFICIENT_CAPACITY) {
      this.stats[Stat.sourceStalls]!++;
      do {
        hi = this.sequencer.next(n, 250);
        if (this.stopRequested() && hi < 0) return -1;
      } while (hi < 0 && hi !== HALTED);
    }
    if (hi < 0) return -1;
    return hi - n + 1;
  }

  /**
   * Claims up to `max` slots that lie in one piece of the ring's memory (a claim stops at the ring's
   * end), for a writer that fills them in place; `publishClaimed` then publishes those it wrote.
   * Returns lo (the claim is `runLength(lo, max)` slots), or -1 when halted or stopped.
   */
  claimRun(max: number): number {
    return this.claim(this.runLength(this.sequencer.claimed() + 1, max));
  }

  /** Slots of a claim from `lo` of at most `max`: it stops at the ring's end. */
  runLength(lo: number, max: number): number {
    return Math.min(max, this.slotCount - (lo & this.ring.mask));
  }

  /**
   * Publishes the first `written` slots of the claim from `lo`, whose commands are in place with
   * their sequences (ClaimedSlotStaging numbers them as they are written: a numbering loop here
   * was the hottest JS left in the file source, and V8 compiled it twice during a run), and gives
   * the rest of the claim back, unpublished. Needs the single-producer ring.
   */
  publishClaimed(lo: number, written: number): void {
    const sequencer = this.sequencer;
    if (!isTrimmable(sequencer)) throw new Error('writing commands in place needs a single-producer command ring');
    sequencer.trimClaim(lo + written - 1);
    if (written > 0) this.publish(lo, lo + written - 1);
  }

  /** Slots free now (a claim of this many does not wait). */
  remainingCapacity(): number {
    return this.sequencer.remainingCapacity();
  }

  /** Waits until at least `slots` are free, the stop is requested or `timeoutMs` passed. */
  async waitForSpace(slots: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.remainingCapacity() < slots && !this.stopRequested()) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      const target = this.sequencer.claimed() + slots - this.slotCount;
      const got = await this.gate.waitForAsync(target, Math.min(left, 250));
      if (got === HALTED) return;
      if (got === TIMEOUT) continue;
    }
  }

  /** Publishes lo..hi, whose command slots are written. */
  publish(lo: number, hi: number): void {
    const t = nowMs();
    const stats = this.stats;
    if (stats[Stat.firstPublishAt] === 0) {
      stats[Stat.firstPublishAt] = t;
      stats[Stat.cpuAtFirstPublishUs] = processCpuUs();
    }
    // Only the sampled sequences: a store per order would stream the whole stamp array through the cache.
    const stampEvery = this.stampEvery;
    for (let s = Math.ceil(lo / stampEvery) * stampEvery; s <= hi; s += stampEvery) this.stamps[s & this.stampMask] = t;
    const every = this.snapshotEvery;
    if (every > 0) {
      // Snapshot points are a function of the sequence alone: a restart keeps them where they were.
      for (let s = Math.ceil(lo / every) * every; s <= hi; s += every) markSnapshot(this.bytes, this.ring.offsetOf(s));
    }
    stats[Stat.published] = hi; // before the publish: no later stage's figure is ever ahead of it
    this.sequencer.publish(lo, hi);
    this.published = hi;
    this.sent += hi - lo + 1;
  }

  /**
   * Claims, numbers and publishes `count` commands written in `staging` from slot 0, in pieces the
   * ring can take. False when the ring halted or a stop was requested before all were published.
   */
  publishStaged(staging: Uint8Array, count: number, piece = this.slotCount, throttle = false): boolean {
    for (let done = 0; done < count; ) {
      const n = Math.min(piece, count - done);
      const lo = this.claim(n);
      if (lo < 0) return false;
      for (let k = 0; k < n; k++) writeCommandSeq(staging, (done + k) * COMMAND_SLOT_BYTES, lo + k);
      copyIntoRing(this.ring, lo, lo + n - 1, staging, done * COMMAND_SLOT_BYTES);
      this.publish(lo, lo + n - 1);
      done += n;
      if (throttle) this.throttle();
    }
    return true;
  }

  /** Restarts the --rate schedule (after any pregeneration). */
  restartRate(): void {
    this.startMs = nowMs();
    this.sent = 0;
  }

  /** Blocks just enough to keep to the configured rate (sources that run synchronously). */
  throttle(): void {
    if (this.rate <= 0) return;
    const aheadMs = (this.sent * 1000) / this.rate - (nowMs() - this.startMs);
    // Parks on the stop word: a stop request ends the pause at once.
    if (aheadMs > 1) Atomics.wait(this.control, Control.stopSource, 0, Math.min(aheadMs, 100));
  }

  /** How far ahead of --rate the source is (ms): an asynchronous source waits that long. */
  aheadOfRateMs(): number {
    if (this.rate <= 0) return 0;
    return (this.sent * 1000) / this.rate - (nowMs() - this.startMs);
  }

  count(stat: number, by = 1): void {
    this.stats[stat]! += by;
  }

  setStat(stat: number, value: number): void {
    this.stats[stat] = value;
  }
}
