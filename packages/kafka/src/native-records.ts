// The flat layouts of @ringmatch/native-kafka: a produce batch (keys and header values joined,
// lengths in typed arrays) and the records a consumer poll copies into one buffer.
import type { NativeProduceBatch } from './native-module.js';

/** Bytes of a record header in a poll buffer: u32 partition, f64 offset, f64 timestamp, i32 key and value lengths. */
export const NATIVE_RECORD_HEADER = 28;

export interface FlatMessage {
  partition: number;
  key: string | Uint8Array | null;
  value: Uint8Array;
  headers?: Record<string, string | Uint8Array>;
}

/** Encodes messages into the flat batch `sendBatch` takes (header names: the union, in first-seen order). */
export function flatBatch(messages: FlatMessage[]): NativeProduceBatch {
  const n = messages.length;
  const partitions = new Int32Array(n);
  const keyLens = new Int32Array(n);
  const keyParts: Uint8Array[] = [];
  const names: string[] = [];
  const index = new Map<string, number>();
  for (const m of messages) {
    if (m.headers) for (const h in m.headers) if (!index.has(h)) index.set(h, names.push(h) - 1);
  }
  const headerLens = new Int32Array(n * names.length).fill(-1);
  const headerParts: Uint8Array[] = [];
  const values: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    partitions[i] = m.partition;
    values[i] = m.value;
    if (m.key === null) keyLens[i] = -1;
    else {
      const k = typeof m.key === 'string' ? Buffer.from(m.key) : m.key;
      keyLens[i] = k.length;
      keyParts.push(k);
    }
    if (!m.headers) continue;
    // joined in name order within a message, as the native side reads them
    const row: Array<Uint8Array | undefined> = new Array(names.length);
    for (const h in m.headers) {
      const v = m.headers[h]!;
      row[index.get(h)!] = typeof v === 'string' ? Buffer.from(v) : v;
    }
    for (let j = 0; j < names.length; j++) {
      const v = row[j];
      if (v === undefined) continue;
      headerLens[i * names.length + j] = v.length;
      headerParts.push(v);
    }
  }
  const batch: NativeProduceBatch = { partitions, values, keys: Buffer.concat(keyParts), keyLens };
  if (names.length > 0) Object.assign(batch, { headerNames: names, headerValues: Buffer.concat(headerParts), headerLens });
  return batch;
}

/**
 * Reads the records of one poll in place: `next()` moves to the following record and the fields
 * describe it (no object per record). `key()`/`value()` are views into the poll buffer.
 */
export class NativeRecordReader {
  partition = 0;
  offset = 0;
  timestamp = 0;
  keyLength = -1;
  valueLength = -1;
  /** Byte where the current record (the last `next()` read) starts: its header. */
  recordStart = 0;
  private at = 0;
  private start = 0;
  private left = 0;
  private view: DataView;

  constructor(readonly buffer: Uint8Array) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  /** Starts over on `count` records at the front of the buffer. */
  reset(count: number): this {
    this.at = 0;
    this.left = count;
    return this;
  }

  next(): boolean {
    if (this.left === 0) return false;
    this.left--;
    const v = this.view;
    const at = this.at;
    this.recordStart = at;
    this.partition = v.getUint32(at, true);
    this.offset = v.getFloat64(at + 4, true);
    this.timestamp = v.getFloat64(at + 12, true);
    this.keyLength = v.getInt32(at + 20, true);
    this.valueLength = v.getInt32(at + 24, true);
    this.start = at + NATIVE_RECORD_HEADER;
    this.at = this.start + Math.max(0, this.keyLength) + Math.max(0, this.valueLength);
    return true;
  }

  /** Records left after the current one. */
  get remaining(): number {
    return this.left;
  }

  /**
   * The current record and the `count - 1` after it were taken elsewhere (a bulk scanner), ending
   * before byte `nextByte`: the next `next()` reads the record there.
   */
  skipTaken(count: number, nextByte: number): void {
    if (count < 1 || count - 1 > this.left || nextByte < this.at) throw new RangeError(`skipTaken(${count}, ${nextByte}) past the records read`);
    this.left -= count - 1;
    this.at = nextByte;
  }

  key(): Uint8Array | null {
    return this.keyLength < 0 ? null : this.buffer.subarray(this.start, this.start + this.keyLength);
  }

  value(): Uint8Array | null {
    const from = this.start + Math.max(0, this.keyLength);
    return this.valueLength < 0 ? null : this.buffer.subarray(from, from + this.valueLength);
  }

  /** Bytes of the buffer the records read so far take. */
  get bytesRead(): number {
    return this.at;
  }
}
