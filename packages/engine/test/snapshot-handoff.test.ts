// The snapshot handoff (matcher -> journaler through the snapshot ring), on a real ring, in one
// thread: every byte of the source state and the data arrives, for sizes around the chunk size
// and for a snapshot larger than the whole ring (the sender waits for the receiver to take chunks).
import { describe, expect, it } from 'vitest';
import { RingBuffer } from '@ringmatch/ring';
import { SNAPSHOT_CHUNK_SLOT_BYTES, SnapshotAssembler, SnapshotSender, type HandedSnapshot } from '../src/snapshot-handoff.js';

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function ring(slots: number): RingBuffer {
  return RingBuffer.create({ slotSize: SNAPSHOT_CHUNK_SLOT_BYTES, slotCount: slots, stages: [{ name: 'writer', after: [] }] });
}

/** Sends each snapshot, draining the ring after each chunk claim would block. */
function roundTrip(snapshots: HandedSnapshot[], slots = 32): HandedSnapshot[] {
  const r = ring(slots);
  const sender = new SnapshotSender(r);
  const assembler = new SnapshotAssembler(r);
  const stage = r.stage('writer');
  const got: HandedSnapshot[] = [];
  for (const s of snapshots) {
    expect(sender.send(s)).toBe(true);
    const last = r.published();
    const first = stage.nextSequence();
    got.push(...assembler.take(first, last));
    stage.cursor.set(last);
  }
  return got;
}

describe('snapshot handoff', () => {
  it.each([0, 1, SNAPSHOT_CHUNK_SLOT_BYTES - 100, SNAPSHOT_CHUNK_SLOT_BYTES, 5 * SNAPSHOT_CHUNK_SLOT_BYTES + 7])(
    '%i data bytes arrive whole, with the source state',
    (size) => {
      const sent: HandedSnapshot[] = [
        { sequence: 1000, sourceState: bytes(48, 1), data: bytes(size, 2) },
        { sequence: 2000, sourceState: new Uint8Array(0), data: bytes(size + 3, 3) },
      ];
      const got = roundTrip(sent);
      expect(got.map((s) => s.sequence)).toEqual([1000, 2000]);
      got.forEach((s, i) => {
        expect(Buffer.from(s.sourceState).equals(Buffer.from(sent[i]!.sourceState))).toBe(true);
        expect(Buffer.from(s.data).equals(Buffer.from(sent[i]!.data))).toBe(true);
      });
    },
  );

  it('a snapshot larger than the ring goes through while the receiver takes chunks', async () => {
    const r = ring(4);
    const sent: HandedSnapshot = { sequence: 7, sourceState: bytes(32, 9), data: bytes(20 * SNAPSHOT_CHUNK_SLOT_BYTES + 11, 5) };
    const assembler = new SnapshotAssembler(r);
    const stage = r.stage('writer');
    const got: HandedSnapshot[] = [];
    // The sender on its own thread (as the matcher): it blocks while the ring is full.
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(new URL('./snapshot-sender-worker.mjs', import.meta.url), { workerData: { descriptor: r.descriptor, snapshot: sent } });
    const result = await stage.runAsync((_b, first, last) => {
      got.push(...assembler.take(first, last));
    });
    await worker.terminate();
    expect(result.status).toBe('ended');
    expect(got).toHaveLength(1);
    expect(got[0]!.sequence).toBe(7);
    expect(Buffer.from(got[0]!.sourceState).equals(Buffer.from(sent.sourceState))).toBe(true);
    expect(Buffer.from(got[0]!.data).equals(Buffer.from(sent.data))).toBe(true);
  }, 30_000);
});
