import {
  CLAIM_LINE,
  C_END_SEQ_F64,
  C_ERRORS,
  C_ERR_SEQ_F64,
  C_ERR_STAGE,
  C_ERR_TEXT_LEN,
  C_MAGIC,
  C_META_LEN,
  C_META_OFF,
  C_SKIPPED,
  C_STATE,
  C_VERSION,
  ERROR_TEXT_BYTES,
  FIRST_STAGE_LINE,
  LINE_BYTES,
  LINE_I32,
  MAGIC,
  MAX_SEQUENCE,
  PUBLISH_LINE,
  S_ENDED,
  S_HALTED,
  VERSION,
  W_WAKE,
} from './layout.js';
import { MultiProducerSequencer } from './multi-producer-sequencer.js';
import { RingError } from './ring-error.js';
import { validateRingOptions, type ErrorPolicy, type ProducerType, type RingMeta, type RingOptions, type StageSpec } from './ring-options.js';
import { Sequence } from './sequence.js';
import { SequenceBarrier } from './sequence-barrier.js';
import type { Sequencer } from './sequencer.js';
import { SingleProducerSequencer } from './single-producer-sequencer.js';
import { Stage } from './stage.js';
import type { WaitStrategy } from './wait-strategy.js';

/** What a worker needs to attach: the whole topology lives in the buffer itself. */
export interface RingDescriptor {
  readonly sab: SharedArrayBuffer;
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

  private constructor(sab: SharedArrayBuffer, meta: RingMeta) {
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
    const meta = validateRingOptions(options);
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
    const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(sab, off, len).slice())) as RingMeta;
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
    return new SequenceBarrier(
      this,
      after.map((n) => this.stageSequence(n)),
      false,
    );
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
      if (f === (round | 1))
        s += lens[idx]!; // a batch start: its length is visible behind the flag
      else if (f === round)
        s++; // inside a batch (only when a reader starts mid-batch)
      else return s - 1;
    }
    return s - 1 > claimed ? claimed : s - 1;
  }

  /**
   * Every cursor, exact, readable from any thread, and consistent: each cursor is read before the
   * ones it waits on (stages from the last declared, a stage only waits on earlier ones; then the
   * publish and claim cursors), so no stage in the snapshot is ahead of its gate although all move.
   */
  cursors(): CursorSnapshot {
    const values: number[] = [];
    for (let i = this.stageSeqs.length - 1; i >= 0; i--) values[i] = this.stageSeqs[i]!.get();
    const published = this.published();
    const stages: Record<string, number> = {};
    this.stageSpecs.forEach((s, i) => {
      stages[s.name] = values[i]!;
    });
    return { claimed: this.claimed(), published, stages };
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
