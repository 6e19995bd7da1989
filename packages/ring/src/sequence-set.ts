import { C_STATE, LINE_BYTES, LINE_I32, S_HALTED, W_WAKE } from './layout.js';
import { RingError } from './ring-error.js';
import { Sequence } from './sequence.js';
import { HALTED } from './status-codes.js';
import { waitAsync, waitSync, type WaitSite } from './wait-loop.js';
import { DEFAULT_WAIT, validateWaitStrategy, type WaitStrategy } from './wait-strategy.js';

// Layout (one SharedArrayBuffer): line 0 control (magic, version, state word at the ring's index,
// meta offset/length), line 1 + i the sequence named names[i] (the ring's cursor line layout), then
// the meta JSON (names, wait strategy) so a worker attaches from the buffer alone.
const MAGIC = 0x53455153; // 'SEQS'
const VERSION = 1;
const C_MAGIC = 0;
const C_VERSION = 1;
const C_META_OFF = 6;
const C_META_LEN = 7;

export interface SequenceSetDescriptor {
  readonly sab: SharedArrayBuffer;
}

export interface SequenceSetOptions {
  /** Value of every sequence at creation. Default -1 (nothing done yet). */
  initial?: number;
  wait?: WaitStrategy;
}

interface SetMeta {
  names: string[];
  wait: WaitStrategy;
}

/**
 * Named standalone sequences shared across threads (progress marks outside any ring: a snapshot
 * point, a commit position...). Each sits on its own padded 64-byte line, with the ring cursors'
 * layout and wait strategies, so `waitFor` parks and `set` wakes exactly as ring cursors do.
 * One writer per sequence; values are >= -1 (waits return HALTED / TIMEOUT, negative, otherwise)
 * and move by less than 2^31 per `set` (the wrapping Int32 rule).
 */
export class SequenceSet {
  private readonly sab: SharedArrayBuffer;
  private readonly site: WaitSite;
  private readonly i32: Int32Array;
  private readonly byName = new Map<string, Sequence>();
  private readonly lineCount: number;

  private constructor(sab: SharedArrayBuffer, meta: SetMeta) {
    this.sab = sab;
    const lines = 1 + meta.names.length;
    this.lineCount = lines;
    this.i32 = new Int32Array(sab, 0, lines * LINE_I32);
    const f64 = new Float64Array(sab, 0, (lines * LINE_BYTES) / 8);
    this.site = { i32: this.i32, f64, strategy: meta.wait, endAware: false };
    meta.names.forEach((name, i) => {
      this.byName.set(name, new Sequence(this.i32, f64, 1 + i));
    });
  }

  static create(names: readonly string[], options: SequenceSetOptions = {}): SequenceSet {
    if (!Array.isArray(names) || names.length === 0) throw new RingError('BAD_CONFIG', 'a sequence set needs at least one name');
    const seen = new Set<string>();
    for (const name of names) {
      if (typeof name !== 'string' || name.length === 0) throw new RingError('BAD_CONFIG', 'every sequence needs a non-empty name');
      if (seen.has(name)) throw new RingError('BAD_CONFIG', `duplicate sequence ${JSON.stringify(name)}`);
      seen.add(name);
    }
    const initial = options.initial ?? -1;
    // Values stay >= -1 so that HALTED and TIMEOUT (negative) cannot be mistaken for one.
    if (!Number.isSafeInteger(initial) || initial < -1) throw new RingError('BAD_CONFIG', `initial must be a safe integer >= -1, got ${initial}`);
    const meta: SetMeta = { names: [...names], wait: validateWaitStrategy(options.wait ?? DEFAULT_WAIT) };
    const json = new TextEncoder().encode(JSON.stringify(meta));
    const metaOff = (1 + names.length) * LINE_BYTES;
    const sab = new SharedArrayBuffer(metaOff + json.length);
    new Uint8Array(sab).set(json, metaOff);
    const set = new SequenceSet(sab, meta);
    for (const seq of set.byName.values()) seq.init(initial);
    const i32 = set.i32;
    i32[C_META_OFF] = metaOff;
    i32[C_META_LEN] = json.length;
    Atomics.store(i32, C_VERSION, VERSION);
    Atomics.store(i32, C_MAGIC, MAGIC);
    return set;
  }

  /** Attach to a set created elsewhere (any thread), from `set.descriptor` passed in workerData. */
  static attach(descriptor: SequenceSetDescriptor): SequenceSet {
    const sab = descriptor?.sab;
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < LINE_BYTES) {
      throw new RingError('BAD_DESCRIPTOR', 'descriptor.sab must be the SharedArrayBuffer of a sequence set');
    }
    const i32 = new Int32Array(sab, 0, LINE_I32);
    if (Atomics.load(i32, C_MAGIC) !== MAGIC || Atomics.load(i32, C_VERSION) !== VERSION) {
      throw new RingError('BAD_DESCRIPTOR', 'buffer is not a ringmatch sequence set (bad magic/version)');
    }
    const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(sab, i32[C_META_OFF]!, i32[C_META_LEN]!).slice())) as SetMeta;
    return new SequenceSet(sab, meta);
  }

  /** Plain, structured-clonable: put it in `workerData`. */
  get descriptor(): SequenceSetDescriptor {
    return { sab: this.sab };
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The named sequence (hold on to it on a hot path: this is a map lookup). */
  sequence(name: string): Sequence {
    const seq = this.byName.get(name);
    if (seq === undefined) throw new RingError('BAD_ARGUMENT', `no sequence ${JSON.stringify(name)}; sequences: ${this.names().join(', ')}`);
    return seq;
  }

  /** The sequence's value once it is >= target, or TIMEOUT after `timeoutMs`, or HALTED. */
  waitFor(name: string, target: number, timeoutMs = Infinity): number {
    const seq = this.sequence(name);
    const v = seq.get();
    if (v >= target) return v;
    if (this.halted) return HALTED;
    return waitSync(
      this.site,
      target,
      () => seq.get(),
      () => seq.base,
      timeoutMs,
    );
  }

  /** Like `waitFor`, parking with `Atomics.waitAsync` so the event loop keeps running. */
  waitForAsync(name: string, target: number, timeoutMs = Infinity): Promise<number> {
    const seq = this.sequence(name);
    const v = seq.get();
    if (v >= target) return Promise.resolve(v);
    return waitAsync(
      this.site,
      target,
      () => seq.get(),
      () => seq.base,
      timeoutMs,
    );
  }

  /** Set the halt flag and wake every waiter: waits then return HALTED. */
  halt(): void {
    const i32 = this.i32;
    Atomics.or(i32, C_STATE, S_HALTED);
    for (let l = 1; l < this.lineCount; l++) {
      Atomics.add(i32, l * LINE_I32 + W_WAKE, 1);
      Atomics.notify(i32, l * LINE_I32 + W_WAKE);
    }
  }

  get halted(): boolean {
    return (Atomics.load(this.i32, C_STATE) & S_HALTED) !== 0;
  }

  /** Every sequence's exact value (for metrics). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, seq] of this.byName) out[name] = seq.get();
    return out;
  }
}
