import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import { availableBackends, openWal, type BackendName, type Wal, type WalOptions } from '@ringmatch/wal';

/**
 * Backends the suite runs against: every available one, or the one forced by
 * RINGMATCH_WAL_BACKEND. (RINGMATCH_EXPECT_NATIVE=1 is asserted in native.test.ts.)
 */
export async function backendsUnderTest(): Promise<BackendName[]> {
  const forced = process.env.RINGMATCH_WAL_BACKEND;
  if (forced === 'fs' || forced === 'native') return [forced];
  const available = await availableBackends();
  if (process.env.RINGMATCH_EXPECT_NATIVE === '1' && !available.includes('native')) {
    // Keep 'native' in the list so its tests run and fail loudly with the load error.
    return ['fs', 'native'];
  }
  return available;
}

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ringmatch-wal-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Temp dirs and WALs for the tests of one describe block on `backend`: every WAL opened is closed
 * and every dir removed after each test.
 */
export function walFixture(
  backend: BackendName,
  tagPrefix: string,
  defaults: WalOptions,
): { dir(tag: string): string; open(dir: string, options?: WalOptions): Promise<Wal> } {
  const cleanups: (() => void)[] = [];
  const wals: Wal[] = [];
  afterEach(async () => {
    for (const w of wals.splice(0)) await w.close().catch(() => undefined);
    for (const c of cleanups.splice(0)) c();
  });
  return {
    dir(tag) {
      const t = tempDir(`${backend}-${tagPrefix}${tag}`);
      cleanups.push(t.cleanup);
      return t.dir;
    },
    async open(dir, options = {}) {
      const wal = await openWal(dir, { backend, ...defaults, ...options });
      wals.push(wal);
      return wal;
    },
  };
}

/** Deterministic record content for a sequence: every byte derived from it. */
export function fillRecord(target: Uint8Array, sequence: number): void {
  const view = new DataView(target.buffer, target.byteOffset, target.length);
  view.setFloat64(0, sequence, true);
  for (let i = 8; i < target.length; i++) target[i] = (sequence * 31 + i * 7) & 0xff;
}

export function recordMatches(payload: Uint8Array, sequence: number): boolean {
  const expected = new Uint8Array(payload.length);
  fillRecord(expected, sequence);
  return Buffer.compare(Buffer.from(payload), Buffer.from(expected)) === 0;
}

/** A ring of `slots` 64-byte slots over a SharedArrayBuffer, like the engine's. */
export class TestRing {
  readonly bytes: Uint8Array;
  constructor(
    readonly slots: number,
    readonly slotSize = 64,
  ) {
    this.bytes = new Uint8Array(new SharedArrayBuffer(slots * slotSize));
  }
  /** Fills the slots of sequences first..first+count-1 and returns the one or two views covering them. */
  publish(first: number, count: number): [Uint8Array, Uint8Array | null] {
    for (let s = first; s < first + count; s++) {
      const i = s % this.slots;
      fillRecord(this.bytes.subarray(i * this.slotSize, (i + 1) * this.slotSize), s);
    }
    const start = first % this.slots;
    const endSlot = start + count;
    if (endSlot <= this.slots) return [this.bytes.subarray(start * this.slotSize, endSlot * this.slotSize), null];
    return [this.bytes.subarray(start * this.slotSize), this.bytes.subarray(0, (endSlot - this.slots) * this.slotSize)];
  }
}

/** Seeded PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A source state in the layout snapshot version 1 stored its offsets in (per partition, ascending:
 * u32 partition, u32 0, u64 offset, little-endian): what a Kafka-style caller might give writeSnapshot.
 */
export function encodeOffsets(offsets: Map<number, number>): Uint8Array {
  const bytes = new Uint8Array(offsets.size * 16);
  const view = new DataView(bytes.buffer);
  [...offsets]
    .sort((x, y) => x[0] - y[0])
    .forEach(([partition, offset], i) => {
      view.setUint32(i * 16, partition, true);
      view.setBigUint64(i * 16 + 8, BigInt(offset), true);
    });
  return bytes;
}

export function decodeOffsets(state: Uint8Array): Map<number, number> {
  const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
  const offsets = new Map<number, number>();
  for (let at = 0; at < state.length; at += 16) offsets.set(view.getUint32(at, true), Number(view.getBigUint64(at + 8, true)));
  return offsets;
}

/** An `onRecord` that keeps every call (sequence and a copy of the payload). */
export function recordCollector(): { onRecord: (payload: Uint8Array, sequence: number) => void; calls: { sequence: number; payload: Uint8Array }[] } {
  const calls: { sequence: number; payload: Uint8Array }[] = [];
  return { calls, onRecord: (payload, sequence) => calls.push({ sequence, payload: payload.slice() }) };
}

/** Fails unless `calls` are exactly the records first..last in order, each once, with their content. */
export function expectRecordsDelivered(calls: { sequence: number; payload: Uint8Array }[], first: number, last: number): void {
  expect(calls.length).toBe(last - first + 1);
  expect(calls[0]?.sequence).toBe(first);
  expect(calls.at(-1)?.sequence).toBe(last);
  calls.forEach((c, i) => {
    if (c.sequence !== first + i) expect(c.sequence, `call ${i}`).toBe(first + i);
    if (!recordMatches(c.payload, c.sequence)) expect.fail(`record ${c.sequence}: wrong payload`);
  });
}
