// What the engine stores in a WAL snapshot: the books, and the position (sequence, index) of the
// last trade, report and depth line the outputs held at that sequence. On restart an output file behind
// that position lost its tail (a power loss before the file's data reached the disk, a cut, a
// deleted file), and the engine rebuilds it from an older point instead of trusting the snapshot.
import type { OutputPosition } from './output-file.js';

/**
 * Per output file: its last line's position at the snapshot, null when that run did not write the
 * file (`book` is absent from snapshots written before the depth stream).
 */
export interface SnapshotOutputs {
  trades: OutputPosition | null;
  reports: OutputPosition | null;
  book?: OutputPosition | null;
}

const MAGIC = [0x52, 0x4d, 0x45, 0x4e, 0x47, 0x53, 0x4e, 0x31]; // "RMENGSN1"
const HEADER = MAGIC.length + 4;

export function encodeEngineSnapshot(books: Uint8Array, outputs: SnapshotOutputs): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(outputs));
  const bytes = new Uint8Array(HEADER + json.length + books.length);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, json.length, true);
  bytes.set(json, HEADER);
  bytes.set(books, HEADER + json.length);
  return bytes;
}

/** The books and output positions of a snapshot; snapshots written before positions were recorded hold the books alone. */
export function decodeEngineSnapshot(data: Uint8Array): { books: Uint8Array; outputs: SnapshotOutputs | null } {
  if (data.length < HEADER || MAGIC.some((b, i) => data[i] !== b)) return { books: data, outputs: null };
  const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(MAGIC.length, true);
  const outputs = JSON.parse(new TextDecoder().decode(data.subarray(HEADER, HEADER + length))) as SnapshotOutputs;
  return { books: data.subarray(HEADER + length), outputs };
}
