// The snapshot file format: version 2 stores the source state as opaque bytes (length at byte 32)
// and round-trips it; version 1 files (16-byte offset entries there) still load, their entries
// becoming the source state byte for byte; a bad length or CRC is refused, and recovery falls back.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_HEADER_SIZE, listSnapshots, readLatestSnapshot, readRecords, recoverLog, snapshotName, type Wal } from '@ringmatch/wal';
import { TestRing, backendsUnderTest, decodeOffsets, encodeOffsets, walFixture } from './helpers.js';

const CREATED_AT = 1_700_000_000_123;

/**
 * A version-1 snapshot built by hand from its documented layout: 0 magic "RMSNAP01" | 8 u32 version 1
 * | 12 u32 header size 48 | 16 u64 sequence | 24 u64 data length | 32 u32 entry count | 36 u32 CRC32C
 * of bytes 0..36 and 40..end | 40 f64 created-at ms | 48 entries (u32 partition, u32 0, u64 offset) | data.
 */
function snapshotV1(sequence: number, offsets: Map<number, number>, data: Uint8Array): Uint8Array {
  const entries = encodeOffsets(offsets);
  const bytes = new Uint8Array(48 + entries.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode('RMSNAP01'), 0);
  view.setUint32(8, 1, true);
  view.setUint32(12, 48, true);
  view.setBigUint64(16, BigInt(sequence), true);
  view.setBigUint64(24, BigInt(data.length), true);
  view.setUint32(32, offsets.size, true);
  view.setFloat64(40, CREATED_AT, true);
  bytes.set(entries, 48);
  bytes.set(data, 48 + entries.length);
  view.setUint32(36, crc32c(bytes.subarray(40), crc32c(bytes.subarray(0, 36))) >>> 0, true);
  return bytes;
}

function u32At(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
}

/** A copy of `bytes` (a Buffer's slice would share them) with a u32 changed. */
function withU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  new DataView(copy.buffer).setUint32(at, value, true);
  return copy;
}

function withFlip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at] ^= 0x20;
  return copy;
}

/** The readers hand out views of the file they read (Buffers): compared as plain bytes. */
function plain(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes && new Uint8Array(bytes);
}

const [backend] = await backendsUnderTest();

describe('snapshot format', () => {
  const { dir, open } = walFixture(backend!, 'snapfmt-', { segmentSize: 64 * 1024 });

  async function appendRecords(wal: Wal, count: number): Promise<void> {
    const [a, b] = new TestRing(64).publish(wal.nextSequence, count);
    await wal.appendRecords(wal.nextSequence, 64, a, b);
  }

  it('version 2 round-trips the source state as given (empty, odd-sized, large), laid out after the header, before the data', async () => {
    const d = dir('v2');
    const wal = await open(d);
    await appendRecords(wal, 30);
    const large = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 131) & 0xff);
    const cases: [number, Uint8Array][] = [
      [10, new Uint8Array(0)],
      [20, new Uint8Array([1, 2, 3, 4, 5])],
      [30, large],
    ];
    const data = new TextEncoder().encode('books');
    for (const [sequence, state] of cases) {
      const written = await wal.writeSnapshot(sequence, data, state);
      const file = readFileSync(path.join(d, written.file));
      expect(u32At(file, 8)).toBe(2); // version
      expect(u32At(file, 32)).toBe(state.length);
      expect(file.length).toBe(SNAPSHOT_HEADER_SIZE + state.length + data.length);
      expect(written.bytes).toBe(file.length);
      expect(plain(file.subarray(SNAPSHOT_HEADER_SIZE, SNAPSHOT_HEADER_SIZE + state.length))).toEqual(state);
      expect(plain(file.subarray(SNAPSHOT_HEADER_SIZE + state.length))).toEqual(data);
      const latest = readLatestSnapshot(d).snapshot!;
      expect([latest.sequence, plain(latest.sourceState), plain(latest.data)]).toEqual([sequence, state, data]);
    }
    await wal.close();
    const recovery = recoverLog(d);
    expect(recovery.snapshot).toMatchObject({ sequence: 30, sourceState: large, data });
    expect(Object.getPrototypeOf(recovery.snapshot!.sourceState)).toBe(Uint8Array.prototype);
  });

  it('version 2: a wrong source state length, a cut file, a flipped byte or an unknown version are refused; recovery falls back to the older snapshot', async () => {
    const d = dir('v2bad');
    const wal = await open(d);
    await appendRecords(wal, 20);
    const older = encodeOffsets(new Map([[1, 10]]));
    await wal.writeSnapshot(10, new Uint8Array([7]), older);
    const state = new Uint8Array([9, 8, 7, 6, 5, 4, 3]);
    const { file } = await wal.writeSnapshot(20, new TextEncoder().encode('books@20'), state);
    await wal.close();
    const target = path.join(d, file);
    const good = new Uint8Array(readFileSync(target));
    const total = good.length;
    const cases: [Uint8Array, string][] = [
      [withU32(good, 32, state.length + 1), `snapshot length ${total} where ${total + 1} was expected`],
      [withU32(good, 32, state.length - 1), `snapshot length ${total} where ${total - 1} was expected`],
      [withU32(good, 32, 0xffffffff), `snapshot length ${total} where ${total - state.length + 0xffffffff} was expected`],
      [good.subarray(0, total - 1), `snapshot length ${total - 1} where ${total} was expected`],
      [withFlip(good, SNAPSHOT_HEADER_SIZE + 2), 'snapshot CRC mismatch'], // in the source state
      [withFlip(good, total - 1), 'snapshot CRC mismatch'], // in the data
      [withFlip(good, 41), 'snapshot CRC mismatch'], // created-at, in the header after the CRC
      [withFlip(good, 20), 'snapshot CRC mismatch'], // sequence
      [withU32(good, 8, 3), 'unsupported snapshot version 3'],
      [good.subarray(0, SNAPSHOT_HEADER_SIZE - 1), 'short snapshot'],
    ];
    for (const [bytes, reason] of cases) {
      writeFileSync(target, bytes);
      expect(listSnapshots(d).map((s) => s.status)).toEqual([reason, 'ok']);
      const recovery = recoverLog(d, { readOnly: true });
      expect(recovery.skippedSnapshots).toEqual([{ file, reason }]);
      expect(recovery.snapshot).toMatchObject({ sequence: 10, sourceState: older });
    }
    writeFileSync(target, good);
    expect(recoverLog(d).snapshot).toMatchObject({ sequence: 20, sourceState: state });
  });

  it('a version-1 file loads: its offset entries, byte for byte, are the source state; the next snapshot is written as version 2', async () => {
    const d = dir('v1');
    const offsets = new Map([
      [3, 2 ** 40 + 7],
      [0, 12_000],
      [1, 0],
    ]);
    const v1 = snapshotV1(500, offsets, new TextEncoder().encode('books@500'));
    writeFileSync(path.join(d, snapshotName(500)), v1);
    const loaded = readLatestSnapshot(d).snapshot!;
    expect(loaded).toMatchObject({ file: snapshotName(500), sequence: 500, createdAtMs: CREATED_AT });
    expect(new TextDecoder().decode(loaded.data)).toBe('books@500');
    expect(plain(loaded.sourceState)).toEqual(v1.subarray(48, 48 + 3 * 16));
    expect(plain(loaded.sourceState)).toEqual(encodeOffsets(offsets)); // what a Kafka-style source writes now
    expect(decodeOffsets(loaded.sourceState)).toEqual(offsets);
    expect(listSnapshots(d)).toEqual([{ file: snapshotName(500), sequence: 500, size: v1.length, status: 'ok' }]);

    // Recovery starts from it: the log continues after 500.
    const recovery = recoverLog(d);
    expect(recovery).toMatchObject({ lastSequence: 500, nextSequence: 501, snapshot: { sequence: 500 }, skippedSnapshots: [] });
    expect(recovery.snapshot!.sourceState).toEqual(encodeOffsets(offsets));
    expect(Object.getPrototypeOf(recovery.snapshot!.sourceState)).toBe(Uint8Array.prototype);
    const wal = await open(d, { recovery });
    await appendRecords(wal, 10);
    await wal.writeSnapshot(510, new TextEncoder().encode('books@510'), recovery.snapshot!.sourceState);
    await wal.close();
    const v2 = readFileSync(path.join(d, snapshotName(510)));
    expect(u32At(v2, 8)).toBe(2);
    expect(plain(v2.subarray(48, 48 + 48))).toEqual(encodeOffsets(offsets)); // same bytes, now the opaque state
    const latest = readLatestSnapshot(d).snapshot!;
    expect([latest.sequence, plain(latest.sourceState)]).toEqual([510, encodeOffsets(offsets)]);
    expect([...readRecords(d, 501)].map((r) => r.sequence)).toEqual([501, 502, 503, 504, 505, 506, 507, 508, 509, 510]);

    // No entries: an empty source state.
    const empty = dir('v1-empty');
    writeFileSync(path.join(empty, snapshotName(7)), snapshotV1(7, new Map(), new Uint8Array([1, 2])));
    const fromEmpty = readLatestSnapshot(empty).snapshot!;
    expect([fromEmpty.sequence, plain(fromEmpty.sourceState), plain(fromEmpty.data)]).toEqual([7, new Uint8Array(0), new Uint8Array([1, 2])]);
  });

  it('version 1: a wrong entry count or a flipped byte is refused as before', () => {
    const d = dir('v1bad');
    const good = snapshotV1(
      500,
      new Map([
        [0, 1],
        [1, 2],
      ]),
      new Uint8Array([5, 6, 7]),
    );
    const target = path.join(d, snapshotName(500));
    const cases: [Uint8Array, string][] = [
      [withU32(good, 32, 3), `snapshot length ${good.length} where ${good.length + 16} was expected`],
      [withU32(good, 32, 1), `snapshot length ${good.length} where ${good.length - 16} was expected`],
      [withFlip(good, 48 + 8), 'snapshot CRC mismatch'], // an entry's offset
      [withFlip(good, good.length - 1), 'snapshot CRC mismatch'], // the data
    ];
    for (const [bytes, reason] of cases) {
      writeFileSync(target, bytes);
      expect(listSnapshots(d)[0]!.status).toBe(reason);
      expect(readLatestSnapshot(d)).toEqual({ snapshot: null, skipped: [{ file: snapshotName(500), reason }] });
    }
  });

  it('writeSnapshot refuses a source state that is not bytes, writing nothing', async () => {
    const d = dir('notbytes');
    const wal = await open(d);
    await appendRecords(wal, 5);
    const offsets = new Map([[0, 5]]) as unknown as Uint8Array; // the old API's argument
    await expect(wal.writeSnapshot(5, new Uint8Array(1), offsets)).rejects.toMatchObject({
      code: 'WAL_INVALID',
      message: expect.stringMatching(/source state must be a Uint8Array/),
    });
    expect(readdirSync(d).filter((f) => f.includes('.snap'))).toEqual([]);
  });
});
