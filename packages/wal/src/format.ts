// On-disk formats of the WAL (all little-endian). See README.md for the table.
import { createRequire } from 'node:module';

// Loaded with require, not `import`: an ESM import of a CommonJS module makes Node scan its source
// for export names (cjs-module-lexer), and over @node-rs/crc32's platform loader that scan turns
// hot enough for V8 to compile it (25-60 ms of compiler time in every worker thread at start).
const { crc32c } = createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32');

/** Segment header: 64 bytes at offset 0 of every segment file. */
const SEGMENT_MAGIC = 'RMWALSEG';
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 64;
/** Frame header: 32 bytes before each frame's payload. */
export const FRAME_MAGIC = 0x31524652; // bytes "RFR1"
export const FRAME_HEADER_SIZE = 32;
/** Snapshot file header: 48 bytes, then the source state, then the data. */
export const SNAPSHOT_MAGIC = 'RMSNAP01';
export const SNAPSHOT_VERSION = 2;
export const SNAPSHOT_HEADER_SIZE = 48;
/** Version 1 stored 16-byte (u32 partition, u32 0, u64 offset) entries where version 2 stores the source state. */
const SNAPSHOT_V1_ENTRY = 16;
/** Longest source state a snapshot holds (its length is a u32). */
export const MAX_SOURCE_STATE = 2 ** 32 - 1;

export const SEGMENT_PREFIX = 'seg-';
export const SEGMENT_SUFFIX = '.wal';
export const SNAPSHOT_PREFIX = 'snap-';
export const SNAPSHOT_SUFFIX = '.snap';
/** The next segment, preallocated in the background; its header is written when it is adopted. */
export const SPARE_SEGMENT_NAME = 'spare-segment.tmp';

const TWO32 = 2 ** 32;

function pad20(n: number): string {
  return String(n).padStart(20, '0');
}
export function segmentName(firstSequence: number): string {
  return `${SEGMENT_PREFIX}${pad20(firstSequence)}${SEGMENT_SUFFIX}`;
}
export function snapshotName(sequence: number): string {
  return `${SNAPSHOT_PREFIX}${pad20(sequence)}${SNAPSHOT_SUFFIX}`;
}
/** Parses `seg-<20 digits>.wal` / `snap-<20 digits>.snap`; null for any other name. */
export function parseSeqName(name: string, prefix: string, suffix: string): number | null {
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return null;
  const digits = name.slice(prefix.length, name.length - suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % TWO32, true);
  view.setUint32(at + 4, Math.floor(value / TWO32), true);
}
function readU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO32;
}

export interface SegmentHeader {
  version: number;
  segmentSize: number;
  firstSequence: number;
  createdAtMs: number;
}

/**
 * Segment header layout (64 bytes): 0 magic "RMWALSEG" | 8 u32 version | 12 u32 header size (64) |
 * 16 u64 segment size | 24 u64 first sequence | 32 f64 created-at ms | 40..60 zero | 60 u32 CRC32C of bytes 0..60.
 */
export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = SEGMENT_MAGIC.charCodeAt(i);
  view.setUint32(8, h.version, true);
  view.setUint32(12, SEGMENT_HEADER_SIZE, true);
  writeU64(view, 16, h.segmentSize);
  writeU64(view, 24, h.firstSequence);
  view.setFloat64(32, h.createdAtMs, true);
  view.setUint32(60, crc32c(bytes.subarray(0, 60)), true);
  return bytes;
}

/** Returns the header, or a reason string when it is not a valid segment header. */
export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeader | string {
  if (bytes.length < SEGMENT_HEADER_SIZE) return 'short header';
  for (let i = 0; i < 8; i++) if (bytes[i] !== SEGMENT_MAGIC.charCodeAt(i)) return 'bad segment magic';
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (view.getUint32(60, true) !== crc32c(bytes.subarray(0, 60))) return 'segment header CRC mismatch';
  const version = view.getUint32(8, true);
  if (version !== SEGMENT_VERSION) return `unsupported segment version ${version}`;
  if (view.getUint32(12, true) !== SEGMENT_HEADER_SIZE) return 'bad segment header size';
  return {
    version,
    segmentSize: readU64(view, 16),
    firstSequence: readU64(view, 24),
    createdAtMs: view.getFloat64(32, true),
  };
}

/**
 * Frame header layout (32 bytes): 0 u32 magic 0x31524652 | 4 u32 CRC32C of bytes 8..32 then the payload |
 * 8 u32 payload length | 12 u32 record size | 16 u64 first sequence | 24 u32 record count |
 * 28 u32 padding: zero bytes after the payload (< 4096) so that a large frame ends on a 4 KiB page
 * boundary and the next batch does not rewrite a page the previous fdatasync is writing back.
 * The payload is `count` records of `recordSize` bytes with sequences firstSequence .. firstSequence+count-1.
 */
export function fillFrameHeader(
  header: Uint8Array,
  firstSequence: number,
  recordSize: number,
  count: number,
  a: Uint8Array,
  b: Uint8Array | null,
  padding = 0,
): void {
  const view = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_SIZE);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(8, recordSize * count, true);
  view.setUint32(12, recordSize, true);
  writeU64(view, 16, firstSequence);
  view.setUint32(24, count, true);
  view.setUint32(28, padding, true);
  let crc = crc32c(header.subarray(8, FRAME_HEADER_SIZE));
  crc = crc32c(a, crc);
  if (b !== null && b.length > 0) crc = crc32c(b, crc);
  view.setUint32(4, crc >>> 0, true);
}

/** fillFrameHeader for a payload in any number of parts, back to back (`Wal.appendRecordParts`). */
export function fillFrameHeaderParts(
  header: Uint8Array,
  firstSequence: number,
  recordSize: number,
  count: number,
  parts: readonly Uint8Array[],
  padding = 0,
): void {
  fillFrameHeader(header, firstSequence, recordSize, count, parts[0]!, null, padding);
  if (parts.length === 1) return;
  const view = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_SIZE);
  let crc = view.getUint32(4, true);
  for (let i = 1; i < parts.length; i++) if (parts[i]!.length > 0) crc = crc32c(parts[i]!, crc);
  view.setUint32(4, crc >>> 0, true);
}

export interface FrameInfo {
  firstSequence: number;
  recordSize: number;
  count: number;
  payloadLength: number;
  padding: number;
}

const PAGE_SIZE = 4096;
/** Padding after a frame of `frameBytes` at `position`: frames of a page or more end on a page boundary. */
export function framePadding(position: number, frameBytes: number): number {
  if (frameBytes < PAGE_SIZE) return 0;
  return (PAGE_SIZE - ((position + frameBytes) % PAGE_SIZE)) % PAGE_SIZE;
}

/**
 * Checks the frame at `offset` of `buf` (a whole segment image; `end` = segment size).
 * Returns the frame, `'end'` at a clean end of log (an all-zero header), or a reason string.
 */
export function checkFrame(buf: Uint8Array, offset: number, end: number, expectedSequence: number | null): FrameInfo | 'end' | string {
  if (offset + FRAME_HEADER_SIZE > end) {
    for (let i = offset; i < end; i++) if (buf[i] !== 0) return 'torn frame header';
    return 'end';
  }
  const view = new DataView(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_SIZE);
  const magic = view.getUint32(0, true);
  if (magic !== FRAME_MAGIC) {
    for (let i = 0; i < FRAME_HEADER_SIZE; i++) if (buf[offset + i] !== 0) return 'bad frame magic';
    return 'end';
  }
  const payloadLength = view.getUint32(8, true);
  const recordSize = view.getUint32(12, true);
  const firstSequence = readU64(view, 16);
  const count = view.getUint32(24, true);
  const padding = view.getUint32(28, true);
  if (recordSize === 0 || count === 0 || recordSize * count !== payloadLength || padding >= PAGE_SIZE) return 'bad frame length';
  if (offset + FRAME_HEADER_SIZE + payloadLength + padding > end) return 'frame runs past segment end';
  let crc = crc32c(buf.subarray(offset + 8, offset + FRAME_HEADER_SIZE));
  crc = crc32c(buf.subarray(offset + FRAME_HEADER_SIZE, offset + FRAME_HEADER_SIZE + payloadLength), crc);
  if (crc >>> 0 !== view.getUint32(4, true)) return 'frame CRC mismatch';
  if (expectedSequence !== null && firstSequence !== expectedSequence) {
    return `sequence ${firstSequence} where ${expectedSequence} was expected`;
  }
  return { firstSequence, recordSize, count, payloadLength, padding };
}

/**
 * Snapshot layout (version 2): 0 magic "RMSNAP01" | 8 u32 version | 12 u32 header size (48) |
 * 16 u64 sequence | 24 u64 data length | 32 u32 source state length | 36 u32 CRC32C of bytes 0..36,
 * 40..end | 40 f64 created-at ms | 48 source state (opaque) | data (opaque).
 * Version 1 had, at 32, a count of 16-byte entries (u32 partition, u32 0, u64 offset) in place of the
 * source state; those entries are read back, byte for byte, as the source state.
 */
export function encodeSnapshot(sequence: number, data: Uint8Array, sourceState: Uint8Array): Uint8Array[] {
  const header = new Uint8Array(SNAPSHOT_HEADER_SIZE);
  const view = new DataView(header.buffer);
  for (let k = 0; k < 8; k++) header[k] = SNAPSHOT_MAGIC.charCodeAt(k);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(12, SNAPSHOT_HEADER_SIZE, true);
  writeU64(view, 16, sequence);
  writeU64(view, 24, data.length);
  view.setUint32(32, sourceState.length, true);
  view.setFloat64(40, Date.now(), true);
  let crc = crc32c(header.subarray(0, 36));
  crc = crc32c(header.subarray(40), crc);
  crc = crc32c(sourceState, crc);
  crc = crc32c(data, crc);
  view.setUint32(36, crc >>> 0, true);
  return [header, sourceState, data];
}

export interface DecodedSnapshot {
  sequence: number;
  data: Uint8Array;
  /** The source's resume position as it gave it to `writeSnapshot` (possibly empty). */
  sourceState: Uint8Array;
  createdAtMs: number;
}

export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot | string {
  if (bytes.length < SNAPSHOT_HEADER_SIZE) return 'short snapshot';
  for (let k = 0; k < 8; k++) if (bytes[k] !== SNAPSHOT_MAGIC.charCodeAt(k)) return 'bad snapshot magic';
  const view = new DataView(bytes.buffer, bytes.byteOffset, SNAPSHOT_HEADER_SIZE);
  const version = view.getUint32(8, true);
  if (version !== 1 && version !== SNAPSHOT_VERSION) return `unsupported snapshot version ${version}`;
  if (view.getUint32(12, true) !== SNAPSHOT_HEADER_SIZE) return 'bad snapshot header size';
  const sequence = readU64(view, 16);
  const dataLength = readU64(view, 24);
  const stateLength = version === 1 ? view.getUint32(32, true) * SNAPSHOT_V1_ENTRY : view.getUint32(32, true);
  const total = SNAPSHOT_HEADER_SIZE + stateLength + dataLength;
  if (total !== bytes.length) return `snapshot length ${bytes.length} where ${total} was expected`;
  let crc = crc32c(bytes.subarray(0, 36));
  crc = crc32c(bytes.subarray(40), crc);
  if (crc >>> 0 !== view.getUint32(36, true)) return 'snapshot CRC mismatch';
  const dataStart = SNAPSHOT_HEADER_SIZE + stateLength;
  return {
    sequence,
    data: bytes.subarray(dataStart, dataStart + dataLength),
    sourceState: bytes.subarray(SNAPSHOT_HEADER_SIZE, dataStart),
    createdAtMs: view.getFloat64(40, true),
  };
}
