// recoverLog on its own, and openWal trusting its result: the same recovery as a plain openWal
// (torn tail included), the kept records handed to onRecord once each (and not again by the trusted
// open), plain data that survives structuredClone (it is posted to a worker), the same refusals
// with nothing changed on disk, and a stale result refused instead of overwriting.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_SIZE, WalCorruptError, WalError, readFrames, readRecords, recoverLog, type RecoveryResult, type Wal } from '@ringmatch/wal';
import { TestRing, backendsUnderTest, decodeOffsets, encodeOffsets, expectRecordsDelivered, recordCollector, recordMatches, walFixture } from './helpers.js';

const SEGMENT = 64 * 1024;
const BATCH = 50; // 3232-byte frames: 20 per 64 KiB segment
/** The snapshot's source state: Kafka-style offsets, in the layout snapshot version 1 used. */
const SOURCE_STATE = encodeOffsets(
  new Map([
    [0, 12000],
    [9, 5],
  ]),
);
/** The source position a record carries in these tests (none for every 7th). */
const positionOf = (s: number): { partition: number; offset: number } | null => (s % 7 === 0 ? null : { partition: s % 3, offset: s * 10 });

/** The offset `positionOf` gives the last record of `partition` up to `last`. */
function lastOffset(partition: number, last: number): number {
  for (let s = last; s > 0; s--) if (s % 7 !== 0 && s % 3 === partition) return s * 10;
  return -1;
}

/** What a Kafka-style caller computes: the snapshot's offsets, raised by the records recovery kept. */
function resumeOffsets(recovery: RecoveryResult, sequences: number[]): Map<number, number> {
  const offsets = decodeOffsets(recovery.snapshot?.sourceState ?? new Uint8Array(0));
  for (const s of sequences) {
    const p = positionOf(s);
    if (p && p.offset > (offsets.get(p.partition) ?? -1)) offsets.set(p.partition, p.offset);
  }
  return offsets;
}

/** Fails unless `value` holds only plain objects, arrays, Maps, Uint8Arrays and primitives. */
function expectPlainData(value: unknown, at = 'result'): void {
  if (value === null || typeof value !== 'object') {
    expect(typeof value, at).not.toBe('function');
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Uint8Array.prototype) return;
  if (proto === Map.prototype) {
    for (const [k, v] of value as Map<unknown, unknown>) {
      expectPlainData(k, `${at} key`);
      expectPlainData(v, `${at}.get(${String(k)})`);
    }
    return;
  }
  expect(proto === Object.prototype || proto === Array.prototype, `${at} is a ${proto?.constructor?.name}`).toBe(true);
  for (const [k, v] of Object.entries(value)) expectPlainData(v, `${at}.${k}`);
}

/** Every file of `d` (temp files included) with its bytes. */
function image(d: string): Map<string, Buffer> {
  return new Map(
    readdirSync(d)
      .sort()
      .map((f) => [f, readFileSync(path.join(d, f))]),
  );
}

function flip(file: string, at: number): void {
  const bytes = readFileSync(file);
  bytes[at] ^= 0x20;
  writeFileSync(file, bytes);
}

describe.each(await backendsUnderTest())('recoverLog on the %s backend', (backend) => {
  const { dir, open } = walFixture(backend, 'rl-', { segmentSize: SEGMENT });

  async function append(wal: Wal, ring: TestRing, batches: number): Promise<void> {
    const pending: Promise<number>[] = [];
    for (let i = 0; i < batches; i++) {
      if (wal.pending >= 2) await pending[pending.length - 2];
      const first = wal.nextSequence;
      const [a, b] = ring.publish(first, BATCH);
      pending.push(wal.appendRecords(first, 64, a, b));
    }
    await Promise.all(pending);
  }

  /** A closed log of 2000 records in 2 segments, snapshot at 1200 (source state included), then 500 more. */
  async function build(d: string): Promise<void> {
    const wal = await open(d);
    const ring = new TestRing(256);
    await append(wal, ring, 40);
    await wal.writeSnapshot(1200, new TextEncoder().encode('books@1200'), SOURCE_STATE);
    await append(wal, ring, 10);
    await wal.close();
  }

  function expectLog(d: string, last: number): void {
    let expected = 1201;
    for (const r of readRecords(d, 1201)) {
      expect(r.sequence).toBe(expected);
      expect(recordMatches(r.payload, r.sequence), `record ${r.sequence}`).toBe(true);
      expected++;
    }
    expect(expected - 1).toBe(last);
  }

  /** Copies `from` into a new dir, then cuts the last frame's payload in both (a torn tail). */
  function twinsWithTornTail(from: string, tag: string): string {
    const twin = dir(tag);
    cpSync(from, twin, { recursive: true });
    const last = [...readFrames(from, 1001)].at(-1)!;
    for (const d of [from, twin]) flip(path.join(d, last.segment), last.offset + FRAME_HEADER_SIZE + 5);
    return twin;
  }

  it('openWal(dir, { recovery: recoverLog(dir) }) recovers, appends and re-opens exactly as a plain openWal, after a torn tail was cut', async () => {
    const trusted = dir('trusted');
    await build(trusted);
    const plain = twinsWithTornTail(trusted, 'plain');

    const fromRecover = recordCollector();
    const recovery = recoverLog(trusted, { segmentSize: SEGMENT, onRecord: fromRecover.onRecord });
    expect(recovery).not.toHaveProperty('backend'); // no backend needed to recover
    expect(recovery.truncated).toMatchObject({ sequence: 2451, reason: 'frame CRC mismatch', removedSegments: [] });
    // Every record kept (1001..2450, the ones the snapshot covers included), none of the torn tail.
    expectRecordsDelivered(fromRecover.calls, 1001, 2450);
    const notAgain = recordCollector();
    const a = await open(trusted, { recovery, onRecord: notAgain.onRecord });
    expect(notAgain.calls).toEqual([]); // a trusted recovery does not scan again
    const fromOpen = recordCollector();
    const b = await open(plain, { onRecord: fromOpen.onRecord });
    expect(fromOpen.calls).toEqual(fromRecover.calls);
    expect(a.recovery).toEqual(b.recovery);
    expect(a.recovery).toEqual({ ...recovery, backend });
    expect(a.recovery.backend).toBe(a.backend);
    expect(a.recovery).toMatchObject({ lastSequence: 2450, nextSequence: 2451, firstLogSequence: 1001, records: 1450, snapshot: { sequence: 1200 } });
    expect(a.recovery.snapshot!.sourceState).toEqual(SOURCE_STATE);
    const sequences = fromRecover.calls.map((c) => c.sequence);
    expect(resumeOffsets(a.recovery, sequences)).toEqual(
      new Map([
        [0, lastOffset(0, 2450)],
        [9, 5],
        [1, lastOffset(1, 2450)],
        [2, lastOffset(2, 2450)],
      ]),
    );
    expect(image(trusted)).toEqual(image(plain)); // the same cut, byte for byte

    expect([a.activeSegment, a.activeSegmentUsed]).toEqual([b.activeSegment, b.activeSegmentUsed]);
    for (const wal of [a, b]) {
      await append(wal, new TestRing(256), 30); // rolls over into a new segment
      await wal.close();
    }
    expectLog(trusted, 3950);
    expectLog(plain, 3950);
    const reopened = [recordCollector(), recordCollector()];
    const again = [await open(trusted, { onRecord: reopened[0]!.onRecord }), await open(plain, { onRecord: reopened[1]!.onRecord })];
    expect(again[0]!.recovery).toEqual(again[1]!.recovery);
    expect(again[0]!.recovery).toMatchObject({ lastSequence: 3950, truncated: null, records: 2950 });
    for (const r of reopened) expectRecordsDelivered(r.calls, 1001, 3950);
  });

  it('readOnly: onRecord gets the records a recovery would keep, not those of the torn tail it would cut; nothing changes', async () => {
    const d = dir('readonly');
    await build(d);
    const last = [...readFrames(d, 1001)].at(-1)!;
    flip(path.join(d, last.segment), last.offset + FRAME_HEADER_SIZE + 5);
    const before = image(d);
    const seen = recordCollector();
    const recovery = recoverLog(d, { segmentSize: SEGMENT, readOnly: true, onRecord: seen.onRecord });
    expect(recovery).toMatchObject({ lastSequence: 2450, records: 1450, truncated: { sequence: 2451, removedSegments: [] } });
    expectRecordsDelivered(seen.calls, 1001, 2450);
    expect(image(d)).toEqual(before);
  });

  it('a log that ends before its snapshot: its records are dropped; those onRecord saw are all covered by the snapshot', async () => {
    const d = dir('behind');
    await build(d); // records 1001..2500, snapshot at 1200
    const wal = await open(d);
    await wal.writeSnapshot(2450, new TextEncoder().encode('books@2450'), encodeOffsets(new Map([[0, 24500]])));
    await wal.close();
    // Tear the log at 2351: zero the last three frames, then break the one before.
    const frames = [...readFrames(d, 2301)];
    expect(frames.map((f) => f.firstSequence)).toEqual([2301, 2351, 2401, 2451]);
    const bytes = readFileSync(path.join(d, frames[2]!.segment));
    bytes.fill(0, frames[2]!.offset);
    writeFileSync(path.join(d, frames[2]!.segment), bytes);
    flip(path.join(d, frames[1]!.segment), frames[1]!.offset + FRAME_HEADER_SIZE + 5);

    for (const readOnly of [true, false]) {
      const seen = recordCollector();
      const recovery = recoverLog(d, { segmentSize: SEGMENT, readOnly, onRecord: seen.onRecord });
      expect(recovery).toMatchObject({
        lastSequence: 2450,
        nextSequence: 2451,
        records: 0,
        segments: 0,
        firstLogSequence: null,
        truncated: { sequence: 2351 },
      });
      // The scan met records 1001..2350 (all before the snapshot at 2450), none of the torn tail.
      expectRecordsDelivered(seen.calls, 1001, 2350);
      expect(recovery.snapshot!.sourceState).toEqual(encodeOffsets(new Map([[0, 24500]])));
    }
    expect(readdirSync(d).filter((f) => f.endsWith('.wal'))).toEqual([]);
  });

  it('an empty directory: recoverLog creates it, the trusted open starts the first segment', async () => {
    const d = path.join(dir('empty'), 'not-yet');
    const recovery = recoverLog(d, { firstSequence: 101 });
    expect(recovery).toMatchObject({ lastSequence: 100, nextSequence: 101, firstLogSequence: null, snapshot: null, appendAt: null, records: 0 });
    const wal = await open(d, { recovery });
    const [p] = new TestRing(16).publish(101, 3);
    expect(await wal.appendRecords(101, 64, p)).toBe(103);
    await wal.close();
    expect([...readRecords(d, 101)].map((r) => r.sequence)).toEqual([101, 102, 103]);
  });

  it('the result is plain data: structuredClone keeps it whole and the clone opens the WAL', async () => {
    const d = dir('clone');
    await build(d);
    const payloadTypes = new Set<string>();
    const recovery = recoverLog(d, { segmentSize: SEGMENT, onRecord: (p) => payloadTypes.add(p.constructor.name) });
    expect([...payloadTypes]).toEqual(['Uint8Array']); // not a Buffer: a payload posted on keeps its type too
    expectPlainData(recovery);
    const clone: RecoveryResult = structuredClone(recovery);
    expect(clone).toEqual(recovery);
    expect(new TextDecoder().decode(clone.snapshot!.data)).toBe('books@1200');
    expect(Object.getPrototypeOf(clone.snapshot!.sourceState)).toBe(Uint8Array.prototype);
    expect(clone.snapshot!.sourceState).toEqual(SOURCE_STATE);
    const wal = await open(d, { recovery: clone });
    expect(wal.recovery).toMatchObject({ lastSequence: 2500, nextSequence: 2501, snapshot: { sequence: 1200 } });
    await append(wal, new TestRing(256), 2);
    await wal.close();
    expectLog(d, 2600);
  });

  it('corruption: recoverLog throws the WalCorruptError openWal throws, and neither changes a byte (temp files included)', async () => {
    const d = dir('corrupt');
    await build(d);
    const victim = [...readFrames(d, 1001)].find((f) => f.firstSequence === 1501)!;
    flip(path.join(d, victim.segment), victim.offset + FRAME_HEADER_SIZE + 100);
    writeFileSync(path.join(d, 'spare-segment.tmp'), new Uint8Array(10));
    const before = image(d);
    let fromRecover: unknown = null;
    try {
      recoverLog(d, { segmentSize: SEGMENT });
    } catch (e) {
      fromRecover = e;
    }
    expect(fromRecover).toBeInstanceOf(WalCorruptError);
    expect(image(d)).toEqual(before);
    const fromOpen = await open(d).then(
      () => null,
      (e: unknown) => e,
    );
    expect(fromOpen).toBeInstanceOf(WalCorruptError);
    const fields = (e: unknown) => {
      const c = e as WalCorruptError;
      return { name: c.name, code: c.code, message: c.message, segment: c.segment, path: c.path, offset: c.offset, sequence: c.sequence, reason: c.reason };
    };
    expect(fields(fromRecover)).toEqual(fields(fromOpen));
    expect(fields(fromRecover)).toMatchObject({ segment: victim.segment, offset: victim.offset, sequence: 1501 });
    expect(image(d)).toEqual(before);
  });

  it('a log start no snapshot covers: recoverLog refuses with WAL_RECOVERY, nothing changed', async () => {
    const d = dir('gap');
    await build(d);
    for (const f of readdirSync(d)) if (f.endsWith('.snap')) writeFileSync(path.join(d, f), new Uint8Array(3)); // invalid snapshot
    const before = image(d);
    // The snapshot made segment 1 go: the log starts at 1001 and the only snapshot is broken.
    expect(readdirSync(d).filter((f) => f.endsWith('.wal'))).not.toContain('seg-00000000000000000001.wal');
    let error: unknown = null;
    try {
      recoverLog(d);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'WAL_RECOVERY', message: expect.stringMatching(/^records 1\.\.1000 are missing/) });
    expect(image(d)).toEqual(before);
  });

  it('a stale result (the log moved on since) is refused, nothing appended', async () => {
    const d = dir('stale');
    await build(d);
    const recovery = recoverLog(d, { segmentSize: SEGMENT });
    const first = await open(d, { recovery });
    await append(first, new TestRing(256), 1);
    await first.close();
    const before = image(d);
    await expect(open(d, { recovery })).rejects.toMatchObject({
      code: 'WAL_INVALID',
      message: expect.stringMatching(/does not describe .* any more \(seg-\d+\.wal holds data at byte \d+/),
    });
    expect(image(d)).toEqual(before);

    const fresh = path.join(dir('stale-new'), 'wal');
    const empty = recoverLog(fresh);
    await (await open(fresh, { recovery: empty })).close();
    await expect(open(fresh, { recovery: empty })).rejects.toBeInstanceOf(WalError);
    await expect(open(fresh, { recovery: empty })).rejects.toMatchObject({ message: expect.stringMatching(/a segment at or after sequence 1 exists/) });
  });
});
