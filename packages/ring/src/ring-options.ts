import { RingError } from './ring-error.js';
import { DEFAULT_WAIT, validateWaitStrategy, type WaitStrategy } from './wait-strategy.js';

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

/** The validated options as stored (JSON) in the ring's buffer, with the offsets computed at creation. */
export interface RingMeta {
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

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/** Check ring options (typed RingError on any mistake) and fill in the defaults. */
export function validateRingOptions(o: RingOptions): RingMeta {
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
