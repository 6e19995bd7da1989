import { readFileSync, truncateSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  WalCorruptError,
  WalError,
  WalFatalError,
  describeWal,
  dumpRecords,
  listSegments,
  listSnapshots,
  openWal,
  readFrames,
  readLatestSnapshot,
  readRecords,
  type Wal,
  type WalOptions,
} from '@ringmatch/wal';
import {
  TestRing,
  backendsUnderTest,
  decodeOffsets,
  encodeOffsets,
  expectRecordsDelivered,
  fillRecord,
  recordCollector,
  recordMatches,
  rng,
  walFixture,
} from './helpers.js';

const backends = await backendsUnderTest();

describe.each(backends)('WAL on the %s backend', (backend) => {
  const fixture = walFixture(backend, '', { segmentSize: 64 * 1024 });
  const dir = fixture.dir;
  async function open(d: string, options: WalOptions = {}): Promise<Wal> {
    const wal = await fixture.open(d, options);
    expect(wal.backend).toBe(backend);
    return wal;
  }
  /** Appends `count` records from `ring` as one batch (pipelined: waits only when 2 are outstanding). */
  async function appendAll(wal: Wal, ring: TestRing, sizes: number[]): Promise<number> {
    const pending: Promise<number>[] = [];
    let last = wal.durableSequence;
    for (const n of sizes) {
      if (wal.pending >= 2) await pending[pending.length - 2];
      const first = wal.nextSequence;
      const [a, b] = ring.publish(first, n);
      pending.push(wal.appendRecords(first, 64, a, b));
    }
    for (const p of pending) last = await p;
    return last;
  }
  function expectLog(d: string, from: number, to: number): void {
    let expected = from;
    for (const r of readRecords(d, from)) {
      expect(r.sequence).toBe(expected);
      expect(recordMatches(r.payload, r.sequence)).toBe(true);
      expected++;
    }
    expect(expected - 1).toBe(to);
  }
  function lastSegmentPath(d: string): string {
    const segs = readdirSync(d)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    return path.join(d, segs[segs.length - 1]!);
  }

  it('round trip: batches (some wrapping the ring end) across segment rollovers, reopen, iterate from any sequence', async () => {
    const d = dir('roundtrip');
    const onEmpty = recordCollector();
    const wal = await open(d, { onRecord: onEmpty.onRecord });
    expect(wal.recovery).toMatchObject({ lastSequence: 0, nextSequence: 1, truncated: null, records: 0 });
    expect(onEmpty.calls).toEqual([]);
    const ring = new TestRing(256);
    const r = rng(1);
    const sizes = Array.from({ length: 120 }, () => 1 + Math.floor(r() * 100));
    const total = sizes.reduce((a, b) => a + b, 0);
    const last = await appendAll(wal, ring, sizes);
    expect(last).toBe(total);
    expect(wal.durableSequence).toBe(total);
    expect(wal.syncs).toBe(sizes.length);
    await wal.close();
    const segs = listSegments(d);
    expect(segs.length).toBeGreaterThan(5); // 64 KiB segments: rolled over
    expect(segs.every((s) => s.status === 'ok' && s.fileSize === 64 * 1024)).toBe(true);
    expect(segs.reduce((a, s) => a + s.records, 0)).toBe(total);

    const seen = recordCollector();
    const again = await open(d, { onRecord: seen.onRecord });
    expect(again.recovery.lastSequence).toBe(total);
    expect(again.recovery.truncated).toBeNull();
    expect(again.recovery.records).toBe(total);
    expectRecordsDelivered(seen.calls, 1, total);
    expectLog(d, 1, total);
    for (const from of [1, 2, 77, 1000, total]) {
      const got = [...again.records(from)];
      expect(got[0]!.sequence).toBe(from);
      expect(got.length).toBe(total - from + 1);
    }
    // Appending continues after the recovered sequence.
    expect(() => again.appendRecords(5, 64, new Uint8Array(64))).toThrow(/expects/);
    const [a] = ring.publish(total + 1, 3);
    expect(await again.appendRecords(total + 1, 64, a)).toBe(total + 3);
    const dump = dumpRecords(d, { from: total + 2, limit: 5 });
    expect(dump).toHaveLength(2);
    expect(dump[0]).toMatch(new RegExp(`^seq=${total + 2} segment=seg-\\d{20}\\.wal frame@\\d+ size=64 [0-9a-f]{128}$`));
    const summary = describeWal(d);
    expect(summary).toMatchObject({ firstSequence: 1, lastSequence: total + 3, records: total + 3, problem: null, snapshots: [] });
  });

  it('pipelining contract: at most two outstanding batches, resolved in order; bad input is a typed error', async () => {
    const d = dir('pipeline');
    const wal = await open(d);
    const ring = new TestRing(64);
    const [a1] = ring.publish(1, 4);
    const p1 = wal.appendRecords(1, 64, a1);
    const [a2] = ring.publish(5, 4);
    const p2 = wal.appendRecords(5, 64, a2);
    const order: number[] = [];
    p1.then((s) => order.push(s));
    p2.then((s) => order.push(s));
    if (backend === 'native') {
      expect(wal.pending).toBe(2);
      expect(() => wal.appendRecords(9, 64, new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'WAL_BUSY' }));
    }
    expect(await p2).toBe(8);
    expect(await p1).toBe(4);
    expect(order).toEqual([4, 8]);
    expect(wal.pending).toBe(0);
    const bad = (fn: () => unknown, code: string): void => {
      try {
        fn();
        expect.unreachable('should throw');
      } catch (error) {
        expect(error).toBeInstanceOf(WalError);
        expect((error as WalError).code).toBe(code);
      }
    };
    bad(() => wal.appendRecords(10, 64, new Uint8Array(64)), 'WAL_SEQUENCE');
    bad(() => wal.appendRecords(9, 64, new Uint8Array(63)), 'WAL_INVALID');
    bad(() => wal.appendRecords(9, 0, new Uint8Array(64)), 'WAL_INVALID');
    bad(() => wal.appendRecords(9, 64, new Uint8Array(0)), 'WAL_INVALID');
    bad(() => wal.appendRecords(9, 64, new Uint8Array(128 * 1024)), 'WAL_INVALID');
    // A single variable-size record.
    expect(await wal.append(new Uint8Array([1, 2, 3]))).toBe(9);
    await wal.close();
    bad(() => wal.append(new Uint8Array(1)), 'WAL_CLOSED');
  });

  it('the next segment is prepared in the background once an eighth of the active one is written, and not before', async () => {
    // 64 KiB segments: a log under 8 KiB makes no spare; one past it (well under half) has one ready by close.
    const spareAfter = async (records: number): Promise<boolean> => {
      const d = dir(`spare-${records}`);
      const wal = await open(d);
      expect(await wal.appendRecords(1, 64, new Uint8Array(records * 64).fill(7))).toBe(records);
      await wal.close(); // waits for a preparation in progress
      return readdirSync(d).includes('spare-segment.tmp');
    };
    expect(await spareAfter(50)).toBe(false); // 3.2 KiB
    expect(await spareAfter(160)).toBe(true); // 10 KiB: under the old half-full start, no spare yet
  });

  it('appendRecordParts: a payload in many separate buffers is one frame, the same bytes as one joined buffer', async () => {
    const d = dir('parts');
    const wal = await open(d);
    const parts: Uint8Array[] = [];
    let sequence = 1;
    for (const n of [3, 1, 0, 7, 2]) {
      const part = new Uint8Array(n * 64);
      for (let k = 0; k < n; k++) fillRecord(part.subarray(k * 64, (k + 1) * 64), sequence++);
      parts.push(part);
    }
    expect(await wal.appendRecordParts(1, 64, parts)).toBe(13);
    const single = new Uint8Array(64);
    fillRecord(single, 14);
    expect(await wal.appendRecordParts(14, 64, [single])).toBe(14);
    expect(() => wal.appendRecordParts(15, 64, [new Uint8Array(0)])).toThrow(expect.objectContaining({ code: 'WAL_INVALID' }));
    expect(() => wal.appendRecordParts(15, 64, [new Uint8Array(64), new Uint8Array(32)])).toThrow(expect.objectContaining({ code: 'WAL_INVALID' }));
    expect(wal.syncs).toBe(2);
    await wal.close();
    const frames = [...readFrames(d, 1)];
    expect(frames.map((f) => [f.firstSequence, f.count])).toEqual([
      [1, 13],
      [14, 1],
    ]);
    expectLog(d, 1, 14);
    // The same records appended joined make the same segment bytes.
    const joined = dir('parts-joined');
    const other = await open(joined);
    expect(await other.appendRecords(1, 64, Buffer.concat(parts))).toBe(13);
    const [a] = new TestRing(1).publish(14, 1);
    expect(await other.appendRecords(14, 64, a)).toBe(14);
    await other.close();
    // (past the segment header, which carries its creation time)
    const segment = (w: string): Buffer => readFileSync(path.join(w, listSegments(w)[0]!.file)).subarray(SEGMENT_HEADER_SIZE);
    expect(segment(joined).equals(segment(d))).toBe(true);
  });

  it('torn tail: cutting the file at every byte offset inside the last frame never yields a partial record; a cut at a frame end is refused', async () => {
    const d = dir('torn');
    const wal = await open(d);
    const ring = new TestRing(64);
    await appendAll(wal, ring, [3, 5, 4]); // seq 1..12; last frame = seq 9..12
    await wal.close();
    const file = lastSegmentPath(d);
    const original = readFileSync(file);
    const lastFrameStart = SEGMENT_HEADER_SIZE + 2 * FRAME_HEADER_SIZE + 8 * 64;
    const lastFrameEnd = lastFrameStart + FRAME_HEADER_SIZE + 4 * 64;
    for (let cut = lastFrameStart; cut <= lastFrameEnd; cut++) {
      writeFileSync(file, original);
      truncateSync(file, cut);
      if (cut === lastFrameStart || cut === lastFrameEnd) {
        // A crash never shortens a segment: a file ending cleanly short of its size may have lost whole frames.
        const refused = await openWal(d, { backend, segmentSize: 64 * 1024 }).then(
          (w) => w.close().then(() => null),
          (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(WalCorruptError);
        expect(refused).toMatchObject({
          offset: cut,
          sequence: cut === lastFrameStart ? 9 : 13,
          reason: expect.stringMatching(/shorter than its segment size/),
        });
        expect(statSync(file).size).toBe(cut); // nothing changed
        continue;
      }
      const w = await openWal(d, { backend, segmentSize: 64 * 1024 });
      try {
        expect(w.recovery.lastSequence).toBe(8);
        expect(w.recovery.truncated).toMatchObject({ segment: path.basename(file), offset: lastFrameStart, sequence: 9 });
        expectLog(d, 1, 8);
        expect(statSync(file).size).toBe(64 * 1024); // preallocated size restored
        // The log stays appendable right after the cut.
        const [a] = ring.publish(w.nextSequence, 2);
        expect(await w.appendRecords(w.nextSequence, 64, a)).toBe(10);
      } finally {
        await w.close();
      }
      expectLog(d, 1, 10);
    }
  });

  it('random bit flips are detected: in the last frame a torn tail (cut), in an earlier one corruption (refused, file untouched), in padding a warning', async () => {
    const d = dir('flips');
    const ring = new TestRing(128);
    const sizes = [7, 1, 30, 12, 64, 5, 9, 100, 20];
    const wal = await open(d);
    await appendAll(wal, ring, sizes);
    await wal.close();
    const total = sizes.reduce((x, y) => x + y, 0);
    // Frame layout as written (frames of 4 KiB or more are padded to end on a page boundary).
    const frames = [...readFrames(d, 1)];
    expect(frames.map((f) => f.count)).toEqual(sizes);
    const starts = frames.map((f) => f.offset);
    const frameSeq = frames.map((f) => f.firstSequence);
    const payloadEnd = frames.map((f) => f.offset + FRAME_HEADER_SIZE + f.data.length);
    expect(payloadEnd.some((e, i) => i + 1 < starts.length && starts[i + 1]! > e)).toBe(true); // some padding exists
    const used = listSegments(d)[0]!.usedBytes;
    const file = lastSegmentPath(d);
    const original = readFileSync(file);
    const r = rng(42);
    const seen = { torn: 0, corrupt: 0, padding: 0 };
    for (let trial = 0; trial < 60; trial++) {
      const byte = SEGMENT_HEADER_SIZE + Math.floor(r() * (used - SEGMENT_HEADER_SIZE));
      const bit = Math.floor(r() * 8);
      const damaged = Buffer.from(original);
      damaged[byte] ^= 1 << bit;
      writeFileSync(file, damaged);
      let frame = 0;
      while (frame + 1 < starts.length && starts[frame + 1]! <= byte) frame++;
      if (byte < payloadEnd[frame]! && frame < frames.length - 1) {
        seen.corrupt++;
        const error = await openWal(d, { backend, segmentSize: 64 * 1024 }).then(
          (w) => w.close().then(() => null),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WalCorruptError);
        expect(error).toMatchObject({ code: 'WAL_CORRUPT', segment: path.basename(file), offset: starts[frame], sequence: frameSeq[frame] });
        expect(readFileSync(file).equals(damaged)).toBe(true);
        expect(() => [...readRecords(d, 0)]).toThrow(WalCorruptError);
        continue;
      }
      const w = await openWal(d, { backend, segmentSize: 64 * 1024 });
      try {
        if (byte >= payloadEnd[frame]!) {
          // A flip in the zero padding after a frame belongs to no record: nothing is lost, it is reported.
          seen.padding++;
          expect(w.recovery.lastSequence).toBe(total);
          expect(w.recovery.warnings).toEqual([{ segment: path.basename(file), offset: byte, reason: expect.stringMatching(/padding/) }]);
          expectLog(d, 1, total);
          continue;
        }
        seen.torn++;
        expect(w.recovery.lastSequence).toBe(frameSeq[frame]! - 1);
        expect(w.recovery.truncated).toMatchObject({ offset: starts[frame], sequence: frameSeq[frame] });
        expectLog(d, 1, frameSeq[frame]! - 1);
      } finally {
        await w.close();
      }
    }
    expect(seen.corrupt).toBeGreaterThan(20);
    expect(seen.padding).toBeGreaterThan(0);
    // A flipped segment-header bit: corruption, refused, never misread.
    const damaged = Buffer.from(original);
    damaged[20] ^= 4;
    writeFileSync(file, damaged);
    await expect(openWal(d, { backend, segmentSize: 64 * 1024 })).rejects.toMatchObject({
      code: 'WAL_CORRUPT',
      offset: 0,
      sequence: 1,
      reason: expect.stringMatching(/segment header/),
    });
    expect(readFileSync(file).equals(damaged)).toBe(true);
  });

  it('non-zero bytes left after the end of the log by a torn write are zeroed and reported', async () => {
    const d = dir('garbage');
    const wal = await open(d);
    await appendAll(wal, new TestRing(64), [4]);
    await wal.close();
    const file = lastSegmentPath(d);
    const bytes = readFileSync(file);
    bytes[SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE + 4 * 64 + 100] = 0xee;
    writeFileSync(file, bytes);
    expect(listSegments(d)[0]!.status).toMatch(/^torn tail: non-zero bytes after the end of the log \(first at byte \d+\) \(recovery cuts it\)$/);
    expect(describeWal(d).problem).toMatchObject({ kind: 'torn', sequence: 5 });
    const w = await open(d);
    expect(w.recovery.lastSequence).toBe(4);
    expect(w.recovery.truncated).toMatchObject({ sequence: 5, reason: expect.stringMatching(/non-zero/) });
    expect(readFileSync(file)[SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE + 4 * 64 + 100]).toBe(0);
  });

  it('snapshots: atomic write, covered segments deleted, recovery = snapshot + later records, corrupt newest falls back', async () => {
    const d = dir('snap');
    const ring = new TestRing(256);
    const wal = await open(d);
    await appendAll(wal, ring, Array(40).fill(50)); // 2000 records: segments 1..1000, 1001..2000
    expect(listSegments(d).map((s) => s.firstSequence)).toEqual([1, 1001]);
    const s1 = await wal.writeSnapshot(
      1500,
      new TextEncoder().encode('books@1500'),
      encodeOffsets(
        new Map([
          [0, 1500],
          [7, 99],
        ]),
      ),
    );
    expect(s1).toMatchObject({ sequence: 1500, deletedSnapshots: [] });
    // Only one snapshot so far: segments entirely <= 1500 are deleted.
    expect(s1.deletedSegments).toEqual(['seg-00000000000000000001.wal']);
    await appendAll(wal, ring, Array(20).fill(50)); // up to 3000
    const s2 = await wal.writeSnapshot(
      2900,
      new TextEncoder().encode('books@2900'),
      encodeOffsets(
        new Map([
          [0, 2900],
          [7, 120],
        ]),
      ),
    );
    // Two snapshots kept: segments are deleted only up to the older one (1500).
    const firstLeft = listSegments(d)[0]!;
    expect(firstLeft.firstSequence).toBeLessThanOrEqual(1501);
    expect(s2.deletedSnapshots).toEqual([]);
    await appendAll(wal, ring, [10]); // 3010
    await expect(wal.writeSnapshot(5000, new Uint8Array(1))).rejects.toThrow(/durable/);
    await wal.close();
    expect(readdirSync(d).some((f) => f.endsWith('.snap.tmp'))).toBe(false);

    const seen = recordCollector();
    let w = await open(d, { onRecord: seen.onRecord });
    expect(w.recovery.snapshot).toMatchObject({ sequence: 2900 });
    expect(new TextDecoder().decode(w.recovery.snapshot!.data)).toBe('books@2900');
    expect(w.recovery.lastSequence).toBe(3010);
    expect(w.recovery.snapshot!.sourceState).toEqual(
      encodeOffsets(
        new Map([
          [0, 2900],
          [7, 120],
        ]),
      ),
    );
    // Every record the log keeps, the ones the snapshot covers included; a caller resuming a source
    // combines them with the snapshot's state (here each record's position is its sequence, partition 0).
    expectRecordsDelivered(seen.calls, w.recovery.firstLogSequence!, 3010);
    expect(seen.calls.length).toBe(w.recovery.records);
    const resume = decodeOffsets(w.recovery.snapshot!.sourceState);
    for (const c of seen.calls) resume.set(0, Math.max(resume.get(0)!, c.sequence));
    expect(resume).toEqual(
      new Map([
        [0, 3010],
        [7, 120],
      ]),
    );
    expect([...w.records(2901)].length).toBe(110);
    await w.close();

    // Corrupt the newest snapshot: fall back to 1500 and replay the log from 1501.
    const newest = path.join(d, 'snap-00000000000000002900.snap');
    const bytes = readFileSync(newest);
    bytes[bytes.length - 3] ^= 0x10;
    writeFileSync(newest, bytes);
    expect(listSnapshots(d).map((s) => s.status)).toEqual([expect.stringMatching(/CRC/), 'ok']);
    w = await open(d);
    expect(w.recovery.snapshot).toMatchObject({ sequence: 1500 });
    expect(decodeOffsets(w.recovery.snapshot!.sourceState)).toEqual(
      new Map([
        [0, 1500],
        [7, 99],
      ]),
    );
    expect(w.recovery.skippedSnapshots).toEqual([{ file: 'snap-00000000000000002900.snap', reason: expect.stringMatching(/CRC/) }]);
    expect(w.recovery.lastSequence).toBe(3010);
    expectLog(d, 1501, 3010);
    const latest = readLatestSnapshot(d).snapshot!;
    expect(latest.sequence).toBe(1500);
    expect(decodeOffsets(latest.sourceState)).toEqual(
      new Map([
        [0, 1500],
        [7, 99],
      ]),
    );
    // A third snapshot prunes the oldest and deletes the segments covered by the older kept one.
    const s3 = await w.writeSnapshot(3010, new Uint8Array([9]));
    expect(s3.deletedSnapshots).toEqual(['snap-00000000000000001500.snap']);
    await w.close();
    const w2 = await open(d);
    expect(w2.recovery.snapshot?.sequence).toBe(3010);
    expect(w2.recovery.snapshot?.sourceState).toEqual(new Uint8Array(0)); // none given
    expect(w2.recovery.lastSequence).toBe(3010);
  });

  it('an injected fdatasync failure stops the writer: the batch rejects, nothing is retried, later appends throw', async () => {
    const d = dir('fsyncfail');
    const syncs: number[] = [];
    const wal = await open(d, { faults: { failSyncAt: 3 }, onSync: (i) => syncs.push(i.durableSequence) });
    const ring = new TestRing(64);
    const [a1] = ring.publish(1, 2);
    expect(await wal.appendRecords(1, 64, a1)).toBe(2);
    const [a2] = ring.publish(3, 2);
    expect(await wal.appendRecords(3, 64, a2)).toBe(4);
    const [a3] = ring.publish(5, 2);
    const p3 = wal.appendRecords(5, 64, a3);
    let p4: Promise<number> | null = null;
    if (backend === 'native') {
      const [a4] = ring.publish(7, 2);
      p4 = wal.appendRecords(7, 64, a4); // framed while #3 syncs: must fail with it
    }
    await expect(p3).rejects.toBeInstanceOf(WalFatalError);
    await expect(p3).rejects.toThrow(/EIO.*fdatasync/);
    if (p4) await expect(p4).rejects.toBeInstanceOf(WalFatalError);
    expect(wal.failed).toBeInstanceOf(WalFatalError);
    expect(wal.failed!.code).toBe('WAL_FATAL');
    expect(wal.durableSequence).toBe(4);
    expect(syncs).toEqual([2, 4]);
    expect(() => wal.appendRecords(wal.nextSequence, 64, new Uint8Array(64))).toThrow(WalFatalError);
    await wal.close(); // closing a failed writer is fine
    // Everything reported durable is recovered by a new writer.
    const w = await open(d);
    expect(w.recovery.lastSequence).toBeGreaterThanOrEqual(4);
    expectLog(d, 1, w.recovery.lastSequence);
  });
});
