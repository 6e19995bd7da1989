import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
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
export function walFixture(backend: BackendName, tagPrefix: string, defaults: WalOptions): { dir(tag: string): string; open(dir: string, options?: WalOptions): Promise<Wal> } {
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
  constructor(readonly slots: number, readonly slotSize = 64) {
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
