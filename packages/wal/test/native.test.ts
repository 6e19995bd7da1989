import { closeSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { availableBackends, loadNative, nativeLoadFailure, openWal, readRecords, WalError } from '@ringmatch/wal';
import { backendsUnderTest, tempDir } from './helpers.js';

const native = await loadNative();
const expectNative = process.env.RINGMATCH_EXPECT_NATIVE === '1';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('native backend availability', () => {
  it(expectNative ? 'RINGMATCH_EXPECT_NATIVE=1: @ringmatch/native loaded' : 'native absent or present: auto falls back to node:fs', async () => {
    if (expectNative) {
      expect(native, `native module did not load: ${String(nativeLoadFailure())}`).not.toBeNull();
      expect(await availableBackends()).toEqual(['fs', 'native']);
      expect(native!.nativeInfo()).toMatch(/ringmatch-native/);
      return;
    }
    const t = tempDir('auto');
    cleanups.push(t.cleanup);
    const previous = process.env.RINGMATCH_WAL_BACKEND;
    delete process.env.RINGMATCH_WAL_BACKEND;
    try {
      const wal = await openWal(t.dir, { segmentSize: 1 << 16 });
      expect(wal.backend).toBe(native ? 'native' : 'fs');
      await wal.close();
      if (!native) await expect(openWal(t.dir, { backend: 'native' })).rejects.toMatchObject({ code: 'WAL_BACKEND' });
    } finally {
      if (previous !== undefined) process.env.RINGMATCH_WAL_BACKEND = previous;
    }
  });

  it('RINGMATCH_WAL_BACKEND forces a backend and rejects unknown values', async () => {
    const t = tempDir('env');
    cleanups.push(t.cleanup);
    const previous = process.env.RINGMATCH_WAL_BACKEND;
    try {
      process.env.RINGMATCH_WAL_BACKEND = 'fs';
      const wal = await openWal(t.dir, { segmentSize: 1 << 16 });
      expect(wal.backend).toBe('fs');
      await wal.close();
      process.env.RINGMATCH_WAL_BACKEND = 'tokio';
      await expect(openWal(t.dir, { segmentSize: 1 << 16 })).rejects.toBeInstanceOf(WalError);
    } finally {
      if (previous === undefined) delete process.env.RINGMATCH_WAL_BACKEND;
      else process.env.RINGMATCH_WAL_BACKEND = previous;
    }
  });
});

describe.runIf(native !== null || expectNative)('native module on Node 20: SharedArrayBuffer views', () => {
  it('a Uint8Array view over a SharedArrayBuffer reaches native code with the shared bytes (read and write in place)', () => {
    expect(native).not.toBeNull();
    const sab = new SharedArrayBuffer(4096);
    const all = new Uint8Array(sab);
    for (let i = 0; i < all.length; i++) all[i] = (i * 13) & 0xff;
    const view = new Uint8Array(sab, 1000, 640);
    let sum = 0;
    for (const b of view) sum += b;
    expect(native!.viewSum(view)).toBe(sum);
    native!.viewFill(view, 0xab); // writes land in the shared memory, not in a copy
    expect(all[999]).toBe((999 * 13) & 0xff);
    expect(all[1000]).toBe(0xab);
    expect(all[1639]).toBe(0xab);
    expect(all[1640]).toBe((1640 * 13) & 0xff);
  });

  it('writeAndSync writes SharedArrayBuffer views (two, like a wrapped ring batch) at a position, then fdatasyncs', async () => {
    const t = tempDir('nativeio');
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'f.bin');
    const fd = openSync(file, 'w+');
    try {
      const sab = new SharedArrayBuffer(256);
      const ring = new Uint8Array(sab);
      for (let i = 0; i < 256; i++) ring[i] = i;
      const head = new Uint8Array([0xde, 0xad]);
      const n = await native!.writeAndSync(fd, 10, [head, ring.subarray(192), ring.subarray(0, 64)]);
      expect(n).toBe(2 + 64 + 64);
      const bytes = readFileSync(file);
      expect(bytes.length).toBe(10 + 130);
      expect([...bytes.subarray(10, 12)]).toEqual([0xde, 0xad]);
      expect([...bytes.subarray(12, 76)]).toEqual([...ring.subarray(192)]);
      expect([...bytes.subarray(76, 140)]).toEqual([...ring.subarray(0, 64)]);
      await expect(native!.writeAndSync(fd, 0, [head], true)).rejects.toThrow(/^EIO: fdatasync: injected/);
    } finally {
      closeSync(fd);
    }
    // A real error from the OS: a bad file descriptor.
    await expect(native!.writeAndSync(fd, 0, [new Uint8Array(4)])).rejects.toThrow(/EBADF/);
  });
});

describe.runIf(native !== null || expectNative)('native SyncWriter thread', () => {
  it('runs batches in submission order and does no I/O after the first failure', async () => {
    expect(native).not.toBeNull();
    const t = tempDir('syncwriter');
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'w.bin');
    const fd = openSync(file, 'w+');
    const reports: [number, number, string][] = [];
    const keep = setInterval(() => undefined, 1000);
    try {
      const all = new Promise<void>((resolve) => {
        const writer = new native!.SyncWriter((id, written, error) => {
          reports.push([id, written, error]);
          if (reports.length === 4) {
            writer.close();
            resolve();
          }
        });
        const sab = new SharedArrayBuffer(64);
        new Uint8Array(sab).fill(7);
        writer.submit(1, fd, 0, [new Uint8Array(sab)]);
        writer.submit(2, fd, 64, [new Uint8Array(sab)]);
        writer.submit(3, fd, 128, [new Uint8Array(sab)], true); // written, then the sync fails
        writer.submit(4, fd, 192, [new Uint8Array(sab)]); // must not be written
      });
      await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000))]);
      expect(reports.map((r) => r[0])).toEqual([1, 2, 3, 4]);
      expect(reports.slice(0, 2)).toEqual([
        [1, 64, ''],
        [2, 64, ''],
      ]);
      expect(reports[2]![2]).toMatch(/^EIO: fdatasync: injected/);
      expect(reports[3]![2]).toMatch(/writer stopped after an earlier error/);
      expect(readFileSync(file).length).toBe(192); // batch 4 never reached the file
    } finally {
      clearInterval(keep);
      closeSync(fd);
    }
  });
});

describe.each(await backendsUnderTest())('WAL in a worker thread on the %s backend (the journaler setup)', (backend) => {
  it('appends views over a SharedArrayBuffer filled by the main thread; the log holds the shared bytes', async () => {
    const t = tempDir(`worker-${backend}`);
    cleanups.push(t.cleanup);
    mkdirSync(t.dir, { recursive: true });
    const sab = new SharedArrayBuffer(64 * 64);
    const ring = new Uint8Array(sab);
    for (let i = 0; i < ring.length; i++) ring[i] = (i * 7 + 3) & 0xff;
    const batches = [
      [0, 10],
      [10, 30],
      [40, 24],
      [0, 64],
    ];
    const worker = new Worker(new URL('./journaler-worker.mjs', import.meta.url), { workerData: { dir: t.dir, backend, sab, batches } });
    try {
      const result = await new Promise<{ backend: string; durable: number[] }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('worker timed out')), 20_000);
        worker.once('message', (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        worker.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      expect(result).toEqual({ backend, durable: [10, 40, 64, 128] });
    } finally {
      await worker.terminate();
    }
    const records = [...readRecords(t.dir, 1)];
    expect(records.length).toBe(128);
    let seq = 1;
    for (const [slot, count] of batches) {
      for (let k = 0; k < count; k++) {
        const rec = records[seq - 1]!;
        expect(rec.sequence).toBe(seq);
        expect(Buffer.from(rec.payload).equals(Buffer.from(ring.subarray((slot! + k) * 64, (slot! + k + 1) * 64)))).toBe(true);
        seq++;
      }
    }
    expect(readdirSync(t.dir).filter((f) => f.endsWith('.wal'))).toHaveLength(1);
  });
});
