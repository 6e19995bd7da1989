// A source's resume state, as the engine keeps it: per source stream (a Kafka partition; 0 for a
// file or the generator), the highest position (offset, line, index) the WAL holds. Commands carry
// their position in the command slot; a snapshot carries these positions as opaque bytes the WAL
// stores: sorted 16-byte entries (u32 stream, u32 0, u64 position, little-endian), the layout of
// the offset entries of version-1 snapshot files, so those load unchanged.
import { slotSourcePosition } from './shared.js';

const ENTRY = 16;

export type SourcePositions = Map<number, number>;

export function encodeSourcePositions(positions: Iterable<[number, number]>): Uint8Array {
  const sorted = [...positions].sort((a, b) => a[0] - b[0]);
  const bytes = new Uint8Array(sorted.length * ENTRY);
  const view = new DataView(bytes.buffer);
  sorted.forEach(([stream, position], i) => {
    view.setUint32(i * ENTRY, stream, true);
    view.setUint32(i * ENTRY + 8, position % 2 ** 32, true);
    view.setUint32(i * ENTRY + 12, Math.floor(position / 2 ** 32), true);
  });
  return bytes;
}

export function decodeSourcePositions(bytes: Uint8Array): SourcePositions {
  if (bytes.length % ENTRY !== 0) throw new Error(`source positions: ${bytes.length} bytes is not a whole number of ${ENTRY}-byte entries`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const positions: SourcePositions = new Map();
  for (let at = 0; at < bytes.length; at += ENTRY) {
    positions.set(view.getUint32(at, true), view.getUint32(at + 8, true) + view.getUint32(at + 12, true) * 2 ** 32);
  }
  return positions;
}

/** Raises each stream's position to the one a command slot carries (a slot without one changes nothing). */
export function advancePositions(positions: SourcePositions, slot: Uint8Array): void {
  const at = slotSourcePosition(slot);
  if (at === null) return;
  const before = positions.get(at.partition);
  if (before === undefined || at.offset > before) positions.set(at.partition, at.offset);
}
