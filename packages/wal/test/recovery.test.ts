// Torn tail or corruption: recovery cuts the first (a crash artifact), refuses the second without
// changing a byte, the readers and listings say which it is, and repairWal is the explicit way past.
import { readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  WalCorruptError,
  WalError,
  describeWal,
  listSegments,
  openWal,
  readFrames,
  readRecords,
  repairWal,
  segmentName,
  type Wal,
  type WalFrame,
} from '@ringmatch/wal';
import { TestRing, backendsUnderTest, recordMatches, walFixture } from './helpers.js';

const SEGMENT = 64 * 1024;
// Batches of 50 64-byte records: 3232-byte frames (no padding), 20 per 64 KiB segment, so the
// 4500 records of `fiveSegments` sit in seg 1, 1001, 2001, 3001 and 4001 (500 records).
const BATCH = 50;
const TOTAL = 4500;

describe.each(await backendsUnderTest())('recovery on the %s backend: torn tail or corruption', (backend) => {
  const { dir, open } = walFixture(backend, 'rec-', { segmentSize: SEGMENT });
  async function append(wal: Wal, ring: TestRing, sizes: number[]): Promise<void> {
    const pending: Promise<number>[] = [];
    for (const n of sizes) {
      if (wal.pending >= 2) await pending[pending.length - 2];
      const first = wal.nextSequence;
      const [a, b] = ring.publish(first, n);
      pending.push(wal.appendRecords(first, 64, a, b));
    }
    await Promise.all(pending);
  }
  /** A closed log of TOTAL records in five segments; returns its frames. */
  async function fiveSegments(d: string): Promise<WalFrame[]> {
    const wal = await open(d);
    await append(wal, new TestRing(256), Array(TOTAL / BATCH).fill(BATCH));
    await wal.close();
    const frames = [...readFrames(d, 1)];
    expect(frames.length).toBe(TOTAL / BATCH);
    expect([...new Set(frames.map((f) => f.segment))]).toEqual([1, 1001, 2001, 3001, 4001].map(segmentName));
    return frames;
  }
  function seg(d: string, firstSequence: number): string {
    return path.join(d, segmentName(firstSequence));
  }
  function flip(file: string, at: number): void {
    const bytes = readFileSync(file);
    bytes[at] ^= 0x20;
    writeFileSync(file, bytes);
  }
  function zero(file: string, from: number, to: number): void {
    const bytes = readFileSync(file);
    bytes.fill(0, from, to);
    writeFileSync(file, bytes);
  }
  /** Every segment file's bytes (the .tmp spare openWal may delete is left out). */
  function image(d: string): Map<string, Buffer> {
    return new Map(
      readdirSync(d)
        .filter((f) => f.endsWith('.wal'))
        .sort()
        .map((f) => [f, readFileSync(path.join(d, f))]),
    );
  }
  function expectUnchanged(d: string, before: Map<string, Buffer>): void {
    const after = image(d);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [f, bytes] of before) expect(after.get(f)!.equals(bytes), `${f} changed`).toBe(true);
  }
  /** openWal must refuse with WalCorruptError and change nothing. */
  async function refused(d: string, at: { segment: string; offset: number; sequence: number; reason?: RegExp }): Promise<WalCorruptError> {
    const before = image(d);
    let error: unknown = null;
    try {
      await open(d);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WalCorruptError);
    const e = error as WalCorruptError;
    expect(e).toBeInstanceOf(WalError);
    expect({ code: e.code, segment: e.segment, offset: e.offset, sequence: e.sequence }).toEqual({
      code: 'WAL_CORRUPT',
      segment: at.segment,
      offset: at.offset,
      sequence: at.sequence,
    });
    expect(e.path).toBe(path.join(d, at.segment));
    if (at.reason) expect(e.reason).toMatch(at.reason);
    expect(e.message).toBe(`WAL corrupt: ${e.path} at byte ${e.offset} (sequence ${e.sequence}): ${e.reason}`);
    expect(e.message).not.toMatch(/\n/);
    expectUnchanged(d, before);
    return e;
  }
  function expectLog(d: string, last: number): void {
    let expected = 1;
    for (const r of readRecords(d, 1)) {
      expect(r.sequence).toBe(expected);
      expect(recordMatches(r.payload, r.sequence), `record ${r.sequence}`).toBe(true);
      expected++;
    }
    expect(expected - 1).toBe(last);
  }
  /** Appends 3 records after recovery and checks the whole log. */
  async function appendable(wal: Wal, d: string): Promise<void> {
    const last = wal.recovery.lastSequence;
    const [a] = new TestRing(256).publish(last + 1, 3);
    expect(await wal.appendRecords(last + 1, 64, a)).toBe(last + 3);
    expectLog(d, last + 3);
  }

  it('a flipped byte in a middle frame: WalCorruptError naming segment, offset and sequence; every file unchanged; readers throw, listings say corrupt', async () => {
    const d = dir('middle');
    const frames = await fiveSegments(d);
    const victim = frames[50]!; // seg-2001, its 11th frame
    flip(path.join(d, victim.segment), victim.offset + FRAME_HEADER_SIZE + 100);
    const e = await refused(d, {
      segment: victim.segment,
      offset: victim.offset,
      sequence: victim.firstSequence,
      reason: /^frame CRC mismatch, and a valid frame follows at byte \d+ \(sequence 2551\)$/,
    });
    expect(victim.firstSequence).toBe(2501);
    expect(() => [...readRecords(d, 1)]).toThrow(WalCorruptError);
    expect(() => [...readRecords(d, 2400)]).toThrow(e.message);
    expect([...readRecords(d, 1, 2500)].length).toBe(2500); // damage past `to` is not looked at
    const segments = listSegments(d);
    expect(segments.map((s) => s.state)).toEqual(['ok', 'ok', 'corrupt', 'corrupt', 'corrupt']);
    expect(segments[2]).toMatchObject({ status: `corrupt: ${e.reason}`, corruptAt: victim.offset, records: 500, lastSequence: 2500 });
    expect(segments[3]!.status).toMatch(/^corrupt: after the corrupt point in seg-0+2001\.wal at byte \d+ \(sequence 2501\)/);
    expect(segments[3]!.records).toBe(1000); // what the segment holds on its own
    expect(describeWal(d)).toMatchObject({
      firstSequence: 1,
      lastSequence: 2500,
      records: 2500,
      problem: { kind: 'corrupt', segment: victim.segment, offset: victim.offset, sequence: 2501, reason: e.reason },
    });
  });

  it('a flipped byte in the last frame is a torn tail: cut, reported, appendable', async () => {
    const d = dir('lastframe');
    const frames = await fiveSegments(d);
    const last = frames.at(-1)!;
    flip(path.join(d, last.segment), last.offset + FRAME_HEADER_SIZE + 7);
    expect(listSegments(d).at(-1)!.status).toBe('torn tail: frame CRC mismatch (recovery cuts it)');
    expect(describeWal(d).problem).toMatchObject({ kind: 'torn', sequence: last.firstSequence });
    expect([...readRecords(d, 1)].length).toBe(TOTAL - BATCH); // a torn tail ends the readers quietly
    expect(() => [...readRecords(d, 1, TOTAL)]).toThrow(/the log ends at sequence 4450 \(torn tail at .* byte \d+: frame CRC mismatch\), before sequence 4500/);
    const wal = await open(d);
    expect(wal.recovery.truncated).toEqual({
      segment: last.segment,
      offset: last.offset,
      sequence: TOTAL - BATCH + 1,
      reason: 'frame CRC mismatch',
      removedSegments: [],
    });
    expect(wal.recovery.lastSequence).toBe(TOTAL - BATCH);
    const bytes = readFileSync(path.join(d, last.segment));
    expect(bytes.length).toBe(SEGMENT);
    expect(bytes.subarray(last.offset).every((b) => b === 0)).toBe(true);
    await appendable(wal, d);
  });

  it('a segment file cut inside its last frame is torn; cut exactly at a frame end (or anywhere in the zeros after it) is corrupt', async () => {
    const d = dir('cut');
    const frames = await fiveSegments(d);
    const last = frames.at(-1)!;
    const file = path.join(d, last.segment);
    const original = readFileSync(file);
    const frameEnd = last.offset + FRAME_HEADER_SIZE + BATCH * 64;
    for (const cut of [last.offset, frameEnd, frameEnd + 100]) {
      writeFileSync(file, original);
      truncateSync(file, cut);
      const end = cut === last.offset ? last.offset : frameEnd;
      await refused(d, {
        segment: last.segment,
        offset: end,
        sequence: cut === last.offset ? last.firstSequence : TOTAL + 1,
        reason: new RegExp(`^file is ${cut} bytes, shorter than its segment size ${SEGMENT}`),
      });
    }
    for (const cut of [last.offset + 1, last.offset + FRAME_HEADER_SIZE, frameEnd - 1]) {
      writeFileSync(file, original);
      truncateSync(file, cut);
      const wal = await open(d);
      expect(wal.recovery.truncated).toMatchObject({ segment: last.segment, offset: last.offset, sequence: last.firstSequence });
      expect(readFileSync(file).length).toBe(SEGMENT); // preallocated size restored
      await wal.close();
      expectLog(d, TOTAL - BATCH);
    }
  });

  it('a deleted middle segment is corrupt, named by the segment after the gap; repairWal there, then openWal keeps exactly the records before it', async () => {
    const d = dir('gap');
    await fiveSegments(d);
    rmSync(seg(d, 2001));
    const e = await refused(d, {
      segment: segmentName(3001),
      offset: 0,
      sequence: 2001,
      reason: /^segment starts at sequence 3001 where 2001 was expected, and it holds a valid frame at byte 64 \(sequence 3001\)$/,
    });
    expect(() => [...readRecords(d, 1500)]).toThrow(WalCorruptError);
    expect(listSegments(d).map((s) => s.state)).toEqual(['ok', 'ok', 'corrupt', 'corrupt']);
    const repaired = repairWal(d, { truncateAt: e.sequence });
    expect(repaired).toEqual({
      segment: segmentName(1001),
      offset: SEGMENT_HEADER_SIZE + 20 * (FRAME_HEADER_SIZE + BATCH * 64),
      removedSegments: [segmentName(3001), segmentName(4001)],
      lostFrom: 2001,
      lostTo: TOTAL,
    });
    const wal = await open(d);
    expect(wal.recovery).toMatchObject({ lastSequence: 2000, truncated: null, records: 2000 });
    await appendable(wal, d);
  });

  it('a middle segment cut to its header is corrupt', async () => {
    const d = dir('midheader');
    await fiveSegments(d);
    truncateSync(seg(d, 2001), SEGMENT_HEADER_SIZE);
    await refused(d, { segment: segmentName(2001), offset: SEGMENT_HEADER_SIZE, sequence: 2001, reason: /shorter than its segment size/ });
    // Zeroed instead (full size, header-only) it is a header-only segment between others: corrupt too.
    writeFileSync(seg(d, 2001), Buffer.concat([readFileSync(seg(d, 2001)), Buffer.alloc(SEGMENT - SEGMENT_HEADER_SIZE)]));
    await refused(d, {
      segment: segmentName(3001),
      offset: 0,
      sequence: 2001,
      reason: /^segment starts at sequence 3001 where 2001 was expected, and it holds a valid frame/,
    });
  });

  it('a header-only last segment after a torn frame in the previous one is a torn tail: cut, the empty segment removed', async () => {
    const d = dir('aheadtorn');
    const frames = await fiveSegments(d);
    // The native backend creates the next segment while the previous batch is in flight.
    zero(seg(d, 4001), SEGMENT_HEADER_SIZE, SEGMENT);
    const lastOf3001 = frames.filter((f) => f.segment === segmentName(3001)).at(-1)!;
    flip(seg(d, 3001), lastOf3001.offset + FRAME_HEADER_SIZE + 3);
    expect(listSegments(d).map((s) => s.state)).toEqual(['ok', 'ok', 'ok', 'torn', 'torn']);
    const wal = await open(d);
    expect(wal.recovery.truncated).toEqual({
      segment: segmentName(3001),
      offset: lastOf3001.offset,
      sequence: 3951,
      reason: 'frame CRC mismatch',
      removedSegments: [segmentName(4001)],
    });
    expect(wal.recovery.lastSequence).toBe(3950);
    await appendable(wal, d);
  });

  it('a header-only last segment after a batch that never reached the previous one is a torn tail', async () => {
    const d = dir('aheadzero');
    const frames = await fiveSegments(d);
    zero(seg(d, 4001), SEGMENT_HEADER_SIZE, SEGMENT);
    const lastOf3001 = frames.filter((f) => f.segment === segmentName(3001)).at(-1)!;
    zero(seg(d, 3001), lastOf3001.offset, SEGMENT);
    const wal = await open(d);
    expect(wal.recovery.truncated).toMatchObject({
      segment: segmentName(3001),
      offset: lastOf3001.offset,
      sequence: 3951,
      reason: expect.stringMatching(/^segment starts at sequence 4001 where 3951 was expected, and no record follows/),
      removedSegments: [segmentName(4001)],
    });
    await appendable(wal, d);
  });

  it('a zeroed frame header followed by valid frames is corrupt (it reads as the end of the log)', async () => {
    const d = dir('zeroheader');
    const frames = await fiveSegments(d);
    const victim = frames.find((f) => f.firstSequence === 4101)!;
    zero(path.join(d, victim.segment), victim.offset, victim.offset + FRAME_HEADER_SIZE);
    await refused(d, {
      segment: victim.segment,
      offset: victim.offset,
      sequence: 4101,
      reason: /^non-zero bytes after the end of the log \(first at byte \d+\), and a valid frame follows at byte \d+ \(sequence 4151\)$/,
    });
  });

  it('a flipped segment-header byte is corrupt, in the first or a later segment', async () => {
    const d = dir('header');
    await fiveSegments(d);
    flip(seg(d, 3001), 20);
    await refused(d, { segment: segmentName(3001), offset: 0, sequence: 3001, reason: /^bad segment header: segment header CRC mismatch$/ });
    flip(seg(d, 3001), 20);
    flip(seg(d, 1), 2);
    await refused(d, { segment: segmentName(1), offset: 0, sequence: 1, reason: /bad segment magic/ });
  });

  it('a segment whose header disagrees with its name is corrupt', async () => {
    const d = dir('rename');
    await fiveSegments(d);
    // seg-4001 renamed as if it started later: its header still says 4001.
    writeFileSync(seg(d, 4002), readFileSync(seg(d, 4001)));
    rmSync(seg(d, 4001));
    await refused(d, { segment: segmentName(4002), offset: 0, sequence: 4001, reason: /header says first sequence 4001, its name says 4002/ });
  });

  it('non-zero bytes in a frame padding: a warning, no record lost, no cut', async () => {
    const d = dir('padding');
    const wal = await open(d);
    await append(wal, new TestRing(256), [64, 10]); // 4 KiB frame: padded to end on a page
    await wal.close();
    const frames = [...readFrames(d, 1)];
    const paddingStart = frames[0]!.offset + FRAME_HEADER_SIZE + 64 * 64;
    expect(frames[1]!.offset).toBeGreaterThan(paddingStart + 100);
    const file = seg(d, 1);
    flip(file, paddingStart + 100);
    const reason = expect.stringMatching(/^non-zero byte in the padding after the frame at byte 64 \(sequences 1\.\.64\)/);
    expect(listSegments(d)[0]).toMatchObject({ state: 'ok', status: 'ok', warnings: [{ offset: paddingStart + 100, reason }] });
    expect(describeWal(d)).toMatchObject({ problem: null, lastSequence: 74, warnings: [{ segment: segmentName(1), offset: paddingStart + 100, reason }] });
    const w = await open(d);
    expect(w.recovery).toMatchObject({ lastSequence: 74, truncated: null, warnings: [{ segment: segmentName(1), offset: paddingStart + 100, reason }] });
    await appendable(w, d);
  });

  it('no snapshot and a log starting above 1: WAL_RECOVERY, nothing changed; a snapshot below the log start too', async () => {
    const d = dir('nosnap');
    await fiveSegments(d);
    rmSync(seg(d, 1));
    const before = image(d);
    await expect(open(d)).rejects.toMatchObject({
      code: 'WAL_RECOVERY',
      message: expect.stringMatching(
        /records 1\.\.1000 are missing: the log starts at sequence 1001 \(seg-0+1001\.wal\) and no valid snapshot covers them \(snapshots: none\)/,
      ),
    });
    expectUnchanged(d, before);
    expect(() => [...readRecords(d, 1)]).toThrow(/records 1\.\.1000 are not in the log: it starts at sequence 1001/);
    expect([...readRecords(d, 0)].length).toBe(TOTAL - 1000); // 0: from wherever the log starts
    // A snapshot at 500 does not reach the log's start either.
    const w = await openWal(dir('other'), { backend, segmentSize: SEGMENT });
    await append(w, new TestRing(256), Array(12).fill(BATCH));
    await w.writeSnapshot(500, new Uint8Array([1]));
    await w.close();
    writeFileSync(path.join(d, 'snap-00000000000000000500.snap'), readFileSync(path.join(w.dir, 'snap-00000000000000000500.snap')));
    await expect(open(d)).rejects.toMatchObject({
      code: 'WAL_RECOVERY',
      message: expect.stringMatching(/records 501\.\.1000 are missing: .*snapshots: snap-0+500\.snap \(ok\)/),
    });
    expectUnchanged(d, before);
  });

  it('readRecords: records before the log start or past its end throw; an empty range yields nothing', async () => {
    const d = dir('ranges');
    await fiveSegments(d);
    expect([...readRecords(d, 4400, TOTAL)].length).toBe(101);
    expect(() => [...readRecords(d, 4400, TOTAL + 1)]).toThrow(/the log ends at sequence 4500, before sequence 4501/);
    expect([...readRecords(d, TOTAL + 1)]).toEqual([]); // unbounded: nothing more
    expect([...readRecords(d, 10, 9)]).toEqual([]);
    rmSync(seg(d, 1));
    expect(() => [...readRecords(d, 999, 1500)]).toThrow(WalError);
    expect([...readRecords(d, 1001, 1002)].map((r) => r.sequence)).toEqual([1001, 1002]);
  });

  it('repairWal: cuts at a corrupt frame; refuses a sequence that is not a frame start or lies past the corruption; a cut at the end is a no-op', async () => {
    const d = dir('repair');
    const frames = await fiveSegments(d);
    const victim = frames[50]!;
    flip(path.join(d, victim.segment), victim.offset + FRAME_HEADER_SIZE + 100);
    const before = image(d);
    expect(() => repairWal(d, { truncateAt: 1502 })).toThrow(
      /cannot cut at sequence 1502: no frame starts there \(nearest frame starts: 1501, 1551; or 2501, after the last readable record\)/,
    );
    expect(() => repairWal(d, { truncateAt: 2502 })).toThrow(/cannot cut at sequence 2502: the log is corrupt before it/);
    expect(() => repairWal(d, { truncateAt: 3001 })).toThrow(
      /cannot cut at sequence 3001: the log is corrupt before it, at .*seg-0+2001\.wal byte \d+ \(sequence 2501: frame CRC mismatch.*cut at 2501 first/,
    );
    expect(() => repairWal(d, { truncateAt: -1 })).toThrow(WalError);
    expectUnchanged(d, before);
    const r = repairWal(d, { truncateAt: 2501 });
    expect(r).toEqual({
      segment: victim.segment,
      offset: victim.offset,
      removedSegments: [segmentName(3001), segmentName(4001)],
      lostFrom: 2501,
      lostTo: TOTAL,
    });
    expect(
      readFileSync(path.join(d, victim.segment))
        .subarray(victim.offset)
        .every((b) => b === 0),
    ).toBe(true);
    expect(repairWal(d, { truncateAt: 2501 })).toEqual({ segment: victim.segment, offset: victim.offset, removedSegments: [], lostFrom: 2501, lostTo: null });
    const wal = await open(d);
    expect(wal.recovery).toMatchObject({ lastSequence: 2500, truncated: null });
    await appendable(wal, d);
  });
});
