// How a snapshot travels from the matcher to the journaler: through its own ring of large slots,
// in chunks, so that the books' bytes never cross a MessagePort and the matcher never waits for a
// file write (only, briefly, for the journaler to copy chunks out when the ring is full).
//
// Chunk slot: f64 sequence | u32 bytes in this chunk | u8 flags (1 first, 2 last) | pad to 16 | bytes.
// The chunks of one snapshot carry: u32 source state length, the source state, the data.
import { HALTED, type RingBuffer, type Sequencer } from '@ringmatch/ring';

export const SNAPSHOT_CHUNK_SLOT_BYTES = 64 * 1024;
export const SNAPSHOT_RING_SLOTS = 32;
const HEADER = 16;
const CHUNK_DATA = SNAPSHOT_CHUNK_SLOT_BYTES - HEADER;
const FIRST = 1;
const LAST = 2;
/** Longest the matcher waits for the journaler to free one chunk before it reports a stall. */
const CLAIM_WAIT_MS = 60_000;

export interface HandedSnapshot {
  sequence: number;
  /** The source's positions at `sequence` (opaque here; source-positions.ts). */
  sourceState: Uint8Array;
  data: Uint8Array;
}

/** Matcher side. */
export class SnapshotSender {
  private readonly sequencer: Sequencer;
  constructor(private readonly ring: RingBuffer) {
    this.sequencer = ring.sequencer();
  }

  /** Publishes one snapshot. False when the ring was halted (the engine is failing). */
  send(snapshot: HandedSnapshot): boolean {
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, snapshot.sourceState.length, true);
    const parts = [head, snapshot.sourceState, snapshot.data];
    const total = parts.reduce((n, part) => n + part.length, 0);
    const bytes = this.ring.bytes;
    const slots = this.ring.view;
    let part = 0;
    let inPart = 0;
    for (let sent = 0, first = true; first || sent < total; first = false) {
      const seq = this.sequencer.next(1, CLAIM_WAIT_MS);
      if (seq === HALTED) return false;
      if (seq < 0) throw new Error(`snapshot ${snapshot.sequence}: the journaler took no snapshot chunk for ${CLAIM_WAIT_MS} ms`);
      const at = this.ring.offsetOf(seq);
      const n = Math.min(CHUNK_DATA, total - sent);
      for (let filled = 0; filled < n; ) {
        const from = parts[part]!;
        const take = Math.min(n - filled, from.length - inPart);
        bytes.set(from.subarray(inPart, inPart + take), at + HEADER + filled);
        filled += take;
        inPart += take;
        if (inPart === from.length) {
          part++;
          inPart = 0;
        }
      }
      sent += n;
      slots.setFloat64(at, snapshot.sequence, true);
      slots.setUint32(at + 8, n, true);
      slots.setUint8(at + 12, (first ? FIRST : 0) | (sent === total ? LAST : 0));
      this.sequencer.publish(seq, seq);
    }
    return true;
  }
}

/** Journaler side: rebuilds snapshots from the chunks of a batch of slots. */
export class SnapshotAssembler {
  private chunks: Uint8Array[] = [];
  private sequence = -1;

  constructor(private readonly ring: RingBuffer) {}

  /** Takes the chunks of slots first..last; returns the snapshots they complete. */
  take(first: number, last: number): HandedSnapshot[] {
    const done: HandedSnapshot[] = [];
    const view = this.ring.view;
    for (let s = first; s <= last; s++) {
      const at = this.ring.offsetOf(s);
      const sequence = view.getFloat64(at, true);
      const n = view.getUint32(at + 8, true);
      const flags = view.getUint8(at + 12);
      if (flags & FIRST) {
        this.chunks = [];
        this.sequence = sequence;
      } else if (sequence !== this.sequence) {
        throw new Error(`snapshot chunk of sequence ${sequence} inside snapshot ${this.sequence}`);
      }
      this.chunks.push(this.ring.bytes.slice(at + HEADER, at + HEADER + n));
      if (flags & LAST) {
        done.push(decode(sequence, concat(this.chunks)));
        this.chunks = [];
      }
    }
    return done;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function decode(sequence: number, payload: Uint8Array): HandedSnapshot {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const length = view.getUint32(0, true);
  return { sequence, sourceState: payload.subarray(4, 4 + length), data: payload.subarray(4 + length) };
}
