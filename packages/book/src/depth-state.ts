// The depth tracker's state as bytes, for engine snapshots: what the stream last published (each
// symbol and side's top N) and the sequence it is exact at. A snapshot can fall inside a journal
// batch, where the books have moved on from what was published; restoring this state (not the
// books' top N) makes the next batch's lines those of an uninterrupted run.
// Layout (little-endian): u32 version | u32 levels | u32 keys (symbol slots x 2) | f64 published-at |
// per key: u32 count, then count x (f64 price, f64 qty, u32 orders).

const VERSION = 1;
const HEADER = 20;
const LEVEL_BYTES = 20;

/** Per key (symbol * 2 + side): `counts[key]` levels at [key * levels, ...) of the three arrays, best first. */
export interface DepthState {
  levels: number;
  publishedAt: number;
  counts: Int32Array;
  prices: Float64Array;
  qtys: Float64Array;
  orders: Int32Array;
}

export function encodeDepthState(state: DepthState): Uint8Array {
  let size = HEADER;
  for (const count of state.counts) size += 4 + count * LEVEL_BYTES;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, VERSION, true);
  view.setUint32(4, state.levels, true);
  view.setUint32(8, state.counts.length, true);
  view.setFloat64(12, state.publishedAt, true);
  let at = HEADER;
  for (let key = 0; key < state.counts.length; key++) {
    const count = state.counts[key]!;
    view.setUint32(at, count, true);
    at += 4;
    for (let i = key * state.levels; i < key * state.levels + count; i++) {
      view.setFloat64(at, state.prices[i]!, true);
      view.setFloat64(at + 8, state.qtys[i]!, true);
      view.setUint32(at + 16, state.orders[i]!, true);
      at += LEVEL_BYTES;
    }
  }
  return bytes;
}

/** The state in `bytes`, or a reason string when they are not one. */
export function decodeDepthState(bytes: Uint8Array): DepthState | string {
  if (bytes.length < HEADER) return 'short depth state';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== VERSION) return `unsupported depth state version ${view.getUint32(0, true)}`;
  const levels = view.getUint32(4, true);
  const keys = view.getUint32(8, true);
  if (levels < 1 || keys > 2 * 65536) return 'bad depth state header';
  const state: DepthState = {
    levels,
    publishedAt: view.getFloat64(12, true),
    counts: new Int32Array(keys),
    prices: new Float64Array(keys * levels),
    qtys: new Float64Array(keys * levels),
    orders: new Int32Array(keys * levels),
  };
  let at = HEADER;
  for (let key = 0; key < keys; key++) {
    if (at + 4 > bytes.length) return 'truncated depth state';
    const count = view.getUint32(at, true);
    at += 4;
    if (count > levels || at + count * LEVEL_BYTES > bytes.length) return 'truncated depth state';
    state.counts[key] = count;
    for (let i = key * levels; i < key * levels + count; i++) {
      state.prices[i] = view.getFloat64(at, true);
      state.qtys[i] = view.getFloat64(at + 8, true);
      state.orders[i] = view.getUint32(at + 16, true);
      at += LEVEL_BYTES;
    }
  }
  return at === bytes.length ? state : 'trailing bytes after the depth state';
}
