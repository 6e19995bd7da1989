// Fixed binary slot layouts (little-endian) for the command ring and the output ring.
//
// Command slot, COMMAND_SLOT_BYTES = 64:
//   off size type  field
//    0   8   f64   seq         engine sequence (integer-valued, exact to 2^53)
//    8   8   f64   orderId
//   16   8   f64   price       (Invalid: u16 reason at 16, u16 field at 18)
//   24   8   f64   qty
//   32   8   f64   stopPrice
//   40   8   f64   timestamp   client timestamp
//   48   4   u32   source position, low 32 bits  } 48 bits; all ones = -1 (unknown)
//   52   2   u16   source position, high 16 bits }
//   54   2   i16   source stream   -1 = unknown
//   (the source position is the source's own numbering of its input: Kafka partition and offset,
//   a file's line number, the generator's index; see Command)
//   56   4   u32   accountId
//   60   2   u16   symbolId
//   62   1   u8    kind        bits 0-5 CommandKind (0 = empty slot, never valid); bit 6 BATCH END
//                              mark: the journaler wrote this command last in its group commit;
//                              bit 7 SNAPSHOT mark: the matcher snapshots its state right after it
//   63   1   u8    flags       bit 0 side | bits 1-2 type | bits 3-4 tif | bits 5-7 stp
//
// Output slot, OUTPUT_SLOT_BYTES = 96 (kind at byte 78: 1 = execution report, 2 = trade, 3 = mark):
//   off type  report       trade
//    0  f64   seq          seq
//    8  f64   timestamp    timestamp
//   16  f64   orderId      makerOrderId
//   24  f64   price        price
//   32  f64   cumQty       qty
//   40  f64   leavesQty    takerOrderId
//   48  f64   lastQty      tradeId
//   56  f64   lastPrice    takerAccountId
//   64  f64   tradeId      -          (report with flag SOURCE: source offset instead, see below)
//   72  u32   accountId    makerAccountId
//   76  u16   symbolId     symbolId
//   78  u8    kind=1       kind=2
//   79  u8    status       -
//   80  u8    reason       -
//   81  u8    field        -
//   82  u8    side         takerSide
//   83  u8    type         -
//   84  u8    tif          -
//   85  u8    flags        -          bit 0 SOURCE: the report carries where its input came from
//   86  i16   source partition (flag SOURCE, else 0)
//   88  f64   qty          -
//   (stopPrice of a report is not carried in the slot; read back as 0)
//   A mark (kind 3) carries only seq (at 0) and its flags (at 79): every output of sequences <= seq
//   is before it in the ring (MARK_FLAG_SNAPSHOT: a snapshot at seq waits for those outputs to be durable).
//   A REJECTED report for undecodable input carries its source position (sourceStream at 86,
//   sourcePosition at 64): a reject has no tradeId, so the slot stays 96 bytes. Bytes 85..87 were
//   reserved zeros before, so a slot without the flag reads as it always did.
import {
  CommandKind,
  OutputKind,
  type Command,
  type ExecutionReport,
  type Trade,
  type Side,
  type OrderType,
  type TimeInForce,
  type StpMode,
  type ExecStatus,
} from './types.js';

export const COMMAND_SLOT_BYTES = 64;
/** Alias used by the ring wiring. */
export const SLOT_SIZE = COMMAND_SLOT_BYTES;
export const OUTPUT_SLOT_BYTES = 96;

/** Byte offsets inside a command slot (for code that peeks at single fields, e.g. the WAL). */
export const CommandSlot = {
  seq: 0,
  orderId: 8,
  price: 16,
  reason: 16,
  field: 18,
  qty: 24,
  stopPrice: 32,
  timestamp: 40,
  sourcePositionLo: 48,
  sourcePositionHi: 52,
  sourceStream: 54,
  accountId: 56,
  symbolId: 60,
  kind: 62,
  flags: 63,
} as const;

export const OutputSlot = {
  seq: 0,
  timestamp: 8,
  orderId: 16,
  makerOrderId: 16,
  price: 24,
  cumQty: 32,
  qty: 32,
  leavesQty: 40,
  takerOrderId: 40,
  lastQty: 48,
  tradeId: 48,
  lastPrice: 56,
  takerAccountId: 56,
  reportTradeId: 64,
  accountId: 72,
  makerAccountId: 72,
  symbolId: 76,
  kind: 78,
  status: 79,
  reason: 80,
  field: 81,
  side: 82,
  type: 83,
  tif: 84,
  reportFlags: 85,
  sourceStream: 86,
  sourcePosition: 64,
  reportQty: 88,
} as const;

const KIND_MASK = 0x3f;
const BATCH_END_MARK = 0x40;
/** The command slot's snapshot mark bit (byte 62, above the kind): the native book can stop at it. */
export const SNAPSHOT_MARK = 0x80;

/**
 * Marks the command slot at `offset` as the last of a journal batch (one group commit). The mark
 * goes into the WAL with the record, so a replay sees the batches the live run saw: the depth
 * stream is published at batch ends (depth-feed.ts).
 */
export function markBatchEnd(bytes: Uint8Array, offset: number): void {
  bytes[offset + 62] = bytes[offset + 62]! | BATCH_END_MARK;
}

/** True if the command slot (or WAL record) at `offset` ends a journal batch. */
export function hasBatchEndMark(bytes: Uint8Array, offset: number): boolean {
  return (bytes[offset + 62]! & BATCH_END_MARK) !== 0;
}

/** Marks the command slot at `offset`: the matcher snapshots its state right after processing it. */
export function markSnapshot(bytes: Uint8Array, offset: number): void {
  bytes[offset + 62] = bytes[offset + 62]! | SNAPSHOT_MARK;
}

/** True if the command slot at `offset` carries the snapshot mark. */
export function hasSnapshotMark(bytes: Uint8Array, offset: number): boolean {
  return (bytes[offset + 62]! & SNAPSHOT_MARK) !== 0;
}

/** Mark flag: the matcher took a snapshot at the mark's sequence. */
export const MARK_FLAG_SNAPSHOT = 1;

/** Writes a mark output slot: every output of sequences <= `seq` precedes it. */
export function writeMark(bytes: Uint8Array, offset: number, seq: number, flags: number): void {
  const v = viewOf(bytes);
  v.setFloat64(offset, seq, true);
  v.setUint8(offset + 78, OutputKind.Mark);
  v.setUint8(offset + 79, flags);
}

/** The flags of the mark slot at `offset`. */
export function readMarkFlags(bytes: Uint8Array, offset: number): number {
  return bytes[offset + 79]!;
}

/** Report flag (OutputSlot.reportFlags): sourceStream/sourcePosition are present. */
export const REPORT_FLAG_SOURCE = 1;

const TWO32 = 4294967296;
const OFFSET_NONE_HI = 0xffff;
const OFFSET_NONE_LO = 0xffffffff;
/** Largest source position representable in a slot (2^48 - 2). */
export const MAX_SLOT_OFFSET = 2 ** 48 - 2;

// One-entry DataView cache: the same ring buffer is used for every call, so this avoids a
// DataView allocation per command without a WeakMap lookup.
// Two entries, because the matcher alternates between the command ring (reads) and its output
// staging buffer (writes): with one entry every call allocated a DataView (18% of matcher time).
let cachedBytesA: Uint8Array | null = null;
let cachedViewA: DataView = new DataView(new ArrayBuffer(8));
let cachedBytesB: Uint8Array | null = null;
let cachedViewB: DataView = cachedViewA;

export function viewOf(bytes: Uint8Array): DataView {
  if (bytes === cachedBytesA) return cachedViewA;
  if (bytes === cachedBytesB) return cachedViewB;
  cachedBytesB = cachedBytesA;
  cachedViewB = cachedViewA;
  cachedBytesA = bytes;
  cachedViewA = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return cachedViewA;
}

/** Writes `cmd` into `bytes` at `offset` (COMMAND_SLOT_BYTES bytes). */
export function writeCommand(bytes: Uint8Array, offset: number, cmd: Command): void {
  const v = viewOf(bytes);
  v.setFloat64(offset, cmd.seq, true);
  v.setFloat64(offset + 8, cmd.orderId, true);
  if (cmd.kind === CommandKind.Invalid) {
    v.setUint16(offset + 16, cmd.reason, true);
    v.setUint16(offset + 18, cmd.field, true);
    v.setUint32(offset + 20, 0, true);
  } else {
    v.setFloat64(offset + 16, cmd.price, true);
  }
  v.setFloat64(offset + 24, cmd.qty, true);
  v.setFloat64(offset + 32, cmd.stopPrice, true);
  v.setFloat64(offset + 40, cmd.timestamp, true);
  const o = cmd.sourcePosition;
  if (o < 0) {
    v.setUint32(offset + 48, OFFSET_NONE_LO, true);
    v.setUint16(offset + 52, OFFSET_NONE_HI, true);
  } else {
    v.setUint32(offset + 48, o >>> 0, true);
    v.setUint16(offset + 52, Math.floor(o / TWO32), true);
  }
  v.setInt16(offset + 54, cmd.sourceStream, true);
  v.setUint32(offset + 56, cmd.accountId, true);
  v.setUint16(offset + 60, cmd.symbolId, true);
  v.setUint8(offset + 62, cmd.kind);
  v.setUint8(offset + 63, (cmd.side & 1) | ((cmd.type & 3) << 1) | ((cmd.tif & 3) << 3) | ((cmd.stp & 7) << 5));
}

/** Reads the command slot at `offset` into the reused object `into` (no allocation). */
export function readCommand(bytes: Uint8Array, offset: number, into: Command): Command {
  const v = viewOf(bytes);
  into.seq = v.getFloat64(offset, true);
  into.orderId = v.getFloat64(offset + 8, true);
  const kind = (v.getUint8(offset + 62) & KIND_MASK) as CommandKind;
  into.kind = kind;
  if (kind === CommandKind.Invalid) {
    into.reason = v.getUint16(offset + 16, true);
    into.field = v.getUint16(offset + 18, true);
    into.price = 0;
  } else {
    into.price = v.getFloat64(offset + 16, true);
    into.reason = 0;
    into.field = 0;
  }
  into.qty = v.getFloat64(offset + 24, true);
  into.stopPrice = v.getFloat64(offset + 32, true);
  into.timestamp = v.getFloat64(offset + 40, true);
  into.sourcePosition = sourcePositionAt(v, offset);
  into.sourceStream = v.getInt16(offset + 54, true);
  into.accountId = v.getUint32(offset + 56, true);
  into.symbolId = v.getUint16(offset + 60, true);
  const flags = v.getUint8(offset + 63);
  into.side = (flags & 1) as Side;
  into.type = ((flags >> 1) & 3) as OrderType;
  into.tif = ((flags >> 3) & 3) as TimeInForce;
  into.stp = ((flags >> 5) & 7) as StpMode;
  return into;
}

/** Sets the engine sequence of the command slot at `offset` (the rest is unchanged). */
export function writeCommandSeq(bytes: Uint8Array, offset: number, seq: number): void {
  viewOf(bytes).setFloat64(offset, seq, true);
}

/** Engine sequence of the command slot at `offset`, without decoding the rest. */
export function readCommandSeq(bytes: Uint8Array, offset: number): number {
  return viewOf(bytes).getFloat64(offset, true);
}

/** The 48-bit source position of the command slot at `offset` in `v` (-1: none). */
function sourcePositionAt(v: DataView, offset: number): number {
  const lo = v.getUint32(offset + CommandSlot.sourcePositionLo, true);
  const hi = v.getUint16(offset + CommandSlot.sourcePositionHi, true);
  return hi === OFFSET_NONE_HI && lo === OFFSET_NONE_LO ? -1 : hi * TWO32 + lo;
}

/** Source stream of the command slot at `offset` (-1: none), without decoding the rest. */
export function readCommandSourceStream(bytes: Uint8Array, offset: number): number {
  return viewOf(bytes).getInt16(offset + CommandSlot.sourceStream, true);
}

/** Source position of the command slot at `offset` (-1: none), without decoding the rest. */
export function readCommandSourcePosition(bytes: Uint8Array, offset: number): number {
  return sourcePositionAt(viewOf(bytes), offset);
}

/** Symbol id of the command slot at `offset`, without decoding the rest. */
export function readCommandSymbolId(bytes: Uint8Array, offset: number): number {
  return viewOf(bytes).getUint16(offset + CommandSlot.symbolId, true);
}

/** Writes an execution report into an output slot (OUTPUT_SLOT_BYTES bytes). */
export function writeReport(bytes: Uint8Array, offset: number, r: ExecutionReport): void {
  const v = viewOf(bytes);
  v.setFloat64(offset, r.seq, true);
  v.setFloat64(offset + 8, r.timestamp, true);
  v.setFloat64(offset + 16, r.orderId, true);
  v.setFloat64(offset + 24, r.price, true);
  v.setFloat64(offset + 32, r.cumQty, true);
  v.setFloat64(offset + 40, r.leavesQty, true);
  v.setFloat64(offset + 48, r.lastQty, true);
  v.setFloat64(offset + 56, r.lastPrice, true);
  const hasSource = r.sourcePosition >= 0;
  v.setFloat64(offset + 64, hasSource ? r.sourcePosition : r.tradeId, true);
  v.setUint32(offset + 72, r.accountId, true);
  v.setUint16(offset + 76, r.symbolId, true);
  v.setUint8(offset + 78, OutputKind.Report);
  v.setUint8(offset + 79, r.status);
  v.setUint8(offset + 80, r.reason);
  v.setUint8(offset + 81, r.field);
  v.setUint8(offset + 82, r.side);
  v.setUint8(offset + 83, r.type);
  v.setUint8(offset + 84, r.tif);
  v.setUint8(offset + 85, hasSource ? REPORT_FLAG_SOURCE : 0);
  v.setInt16(offset + 86, hasSource ? r.sourceStream : 0, true);
  v.setFloat64(offset + 88, r.qty, true);
}

/** Writes a trade into an output slot. */
export function writeTrade(bytes: Uint8Array, offset: number, t: Trade): void {
  const v = viewOf(bytes);
  v.setFloat64(offset, t.seq, true);
  v.setFloat64(offset + 8, t.timestamp, true);
  v.setFloat64(offset + 16, t.makerOrderId, true);
  v.setFloat64(offset + 24, t.price, true);
  v.setFloat64(offset + 32, t.qty, true);
  v.setFloat64(offset + 40, t.takerOrderId, true);
  v.setFloat64(offset + 48, t.tradeId, true);
  v.setFloat64(offset + 56, t.takerAccountId, true);
  v.setFloat64(offset + 64, 0, true);
  v.setUint32(offset + 72, t.makerAccountId, true);
  v.setUint16(offset + 76, t.symbolId, true);
  v.setUint8(offset + 78, OutputKind.Trade);
  v.setUint32(offset + 79, 0, true);
  v.setUint8(offset + 82, t.takerSide);
  v.setUint8(offset + 83, 0);
  v.setUint32(offset + 84, 0, true);
  v.setFloat64(offset + 88, 0, true);
}

/** Output kind of the slot at `offset` (OutputKind.Report / Trade / Mark, 0 if empty). */
/** The engine sequence of the output slot at `offset`, whatever its kind (every kind keeps it first). */
export function readOutputSeq(bytes: Uint8Array, offset: number): number {
  return viewOf(bytes).getFloat64(offset, true);
}

export function readOutputKind(bytes: Uint8Array, offset: number): number {
  return viewOf(bytes).getUint8(offset + 78);
}

export function readReport(bytes: Uint8Array, offset: number, into: ExecutionReport): ExecutionReport {
  const v = viewOf(bytes);
  into.seq = v.getFloat64(offset, true);
  into.timestamp = v.getFloat64(offset + 8, true);
  into.orderId = v.getFloat64(offset + 16, true);
  into.price = v.getFloat64(offset + 24, true);
  into.cumQty = v.getFloat64(offset + 32, true);
  into.leavesQty = v.getFloat64(offset + 40, true);
  into.lastQty = v.getFloat64(offset + 48, true);
  into.lastPrice = v.getFloat64(offset + 56, true);
  if ((v.getUint8(offset + 85) & REPORT_FLAG_SOURCE) !== 0) {
    into.tradeId = 0;
    into.sourcePosition = v.getFloat64(offset + 64, true);
    into.sourceStream = v.getInt16(offset + 86, true);
  } else {
    into.tradeId = v.getFloat64(offset + 64, true);
    into.sourcePosition = -1;
    into.sourceStream = -1;
  }
  into.accountId = v.getUint32(offset + 72, true);
  into.symbolId = v.getUint16(offset + 76, true);
  into.status = v.getUint8(offset + 79) as ExecStatus;
  into.reason = v.getUint8(offset + 80);
  into.field = v.getUint8(offset + 81);
  into.side = v.getUint8(offset + 82) as Side;
  into.type = v.getUint8(offset + 83) as OrderType;
  into.tif = v.getUint8(offset + 84) as TimeInForce;
  into.qty = v.getFloat64(offset + 88, true);
  into.stopPrice = 0;
  return into;
}

export function readTrade(bytes: Uint8Array, offset: number, into: Trade): Trade {
  const v = viewOf(bytes);
  into.seq = v.getFloat64(offset, true);
  into.timestamp = v.getFloat64(offset + 8, true);
  into.makerOrderId = v.getFloat64(offset + 16, true);
  into.price = v.getFloat64(offset + 24, true);
  into.qty = v.getFloat64(offset + 32, true);
  into.takerOrderId = v.getFloat64(offset + 40, true);
  into.tradeId = v.getFloat64(offset + 48, true);
  into.takerAccountId = v.getFloat64(offset + 56, true);
  into.makerAccountId = v.getUint32(offset + 72, true);
  into.symbolId = v.getUint16(offset + 76, true);
  into.takerSide = v.getUint8(offset + 82) as Side;
  return into;
}

/**
 * Reads an output slot into `report` or `trade` depending on its kind; returns the kind
 * (OutputKind.Report or OutputKind.Trade; a mark or an empty slot fills nothing).
 */
export function readOutput(bytes: Uint8Array, offset: number, report: ExecutionReport, trade: Trade): number {
  const kind = readOutputKind(bytes, offset);
  if (kind === OutputKind.Report) readReport(bytes, offset, report);
  else if (kind === OutputKind.Trade) readTrade(bytes, offset, trade);
  return kind;
}
