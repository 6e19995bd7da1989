// What the engine stores in a WAL snapshot: the books, the position (sequence, index) of the last
// trade, report and depth line the outputs held at that sequence, and the depth tracker's state. On
// restart an output file behind that position lost its tail (a power loss before the file's data
// reached the disk, a cut, a deleted file), and the engine rebuilds it from an older point instead
// of trusting the snapshot.
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

export interface EngineSnapshot {
  books: Uint8Array;
  outputs: SnapshotOutputs | null;
  /** The depth tracker's state (depth-state.ts); null when the stream was off or the snapshot predates it. */
  depth: Uint8Array | null;
}

// "RMENGSN1": u32 JSON length | JSON outputs | books. "RMENGSN2" adds, after the JSON: u32 depth length | depth state.
const MAGIC_V1 = [0x52, 0x4d, 0x45, 0x4e, 0x47, 0x53, 0x4e, 0x31];
const MAGIC_V2 = [0x52, 0x4d, 0x45, 0x4e, 0x47, 0x53, 0x4e, 0x32];
const HEADER = MAGIC_V2.length + 4;

export function encodeEngineSnapshot(books: Uint8Array, outputs: SnapshotOutputs, depth: Uint8Array | null): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(outputs));
  const depthBytes = depth ?? new Uint8Array(0);
  const bytes = new Uint8Array(HEADER + json.length + 4 + depthBytes.length + books.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_V2, 0);
  view.setUint32(MAGIC_V2.length, json.length, true);
  bytes.set(json, HEADER);
  view.setUint32(HEADER + json.length, depthBytes.length, true);
  bytes.set(depthBytes, HEADER + json.length + 4);
  bytes.set(books, HEADER + json.length + 4 + depthBytes.length);
  return bytes;
}

function startsWith(data: Uint8Array, magic: number[]): boolean {
  return data.length >= HEADER && magic.every((b, i) => data[i] === b);
}

/** The parts of a snapshot; snapshots written before positions were recorded hold the books alone. */
export function decodeEngineSnapshot(data: Uint8Array): EngineSnapshot {
  const v2 = startsWith(data, MAGIC_V2);
  if (!v2 && !startsWith(data, MAGIC_V1)) return { books: data, outputs: null, depth: null };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = view.getUint32(MAGIC_V2.length, true);
  const outputs = JSON.parse(new TextDecoder().decode(data.subarray(HEADER, HEADER + length))) as SnapshotOutputs;
  if (!v2) return { books: data.subarray(HEADER + length), outputs, depth: null };
  const depthLength = view.getUint32(HEADER + length, true);
  const depthAt = HEADER + length + 4;
  return {
    books: data.subarray(depthAt + depthLength),
    outputs,
    depth: depthLength > 0 ? data.subarray(depthAt, depthAt + depthLength) : null,
  };
}
