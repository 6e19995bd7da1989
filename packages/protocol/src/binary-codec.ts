// The compact binary wire codec for commands.
//
// Message: u8 magic 0xB7 | u8 version 1 | u16 count | count records. Record (little-endian):
//   u8 kind | u8 flags (slot flags: side | type<<1 | tif<<3 | stp<<5) | u16 symbolId |
//   u32 accountId | f64 orderId | f64 timestamp |
//   New: f64 price, f64 qty, and f64 stopPrice only when type is Stop/StopLimit
//   Amend: f64 price, f64 qty            Cancel: nothing more
// All f64 must be integer-valued safe integers.
import { DecodeError, MAX_BATCH, fail, invalidCommand, type DecodeOptions, type Emit } from './decoding.js';
import { CommandKind, Field, OrderType, Reason, Side, StpMode, TimeInForce, createCommand, resetCommand, type Command } from './types.js';

const BINARY_MAGIC = 0xb7;
const BINARY_VERSION = 1;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function binaryRecordSize(c: Command): number {
  if (c.kind === CommandKind.New) return c.type === OrderType.Stop || c.type === OrderType.StopLimit ? 48 : 40;
  if (c.kind === CommandKind.Amend) return 40;
  if (c.kind === CommandKind.Cancel) return 24;
  throw new RangeError(`cannot encode command kind ${c.kind}`);
}

export function encodeBinary(cmds: readonly Command[]): Uint8Array {
  if (cmds.length === 0 || cmds.length > MAX_BATCH) throw new RangeError(`batch must hold 1..${MAX_BATCH} commands`);
  let size = 4;
  for (const c of cmds) size += binaryRecordSize(c);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint8(0, BINARY_MAGIC);
  v.setUint8(1, BINARY_VERSION);
  v.setUint16(2, cmds.length, true);
  let p = 4;
  for (const c of cmds) {
    v.setUint8(p, c.kind);
    v.setUint8(p + 1, (c.side & 1) | ((c.type & 3) << 1) | ((c.tif & 3) << 3) | ((c.stp & 7) << 5));
    v.setUint16(p + 2, c.symbolId, true);
    v.setUint32(p + 4, c.accountId, true);
    v.setFloat64(p + 8, c.orderId, true);
    v.setFloat64(p + 16, c.timestamp, true);
    p += 24;
    if (c.kind === CommandKind.New || c.kind === CommandKind.Amend) {
      v.setFloat64(p, c.price, true);
      v.setFloat64(p + 8, c.qty, true);
      p += 16;
      if (c.kind === CommandKind.New && (c.type === OrderType.Stop || c.type === OrderType.StopLimit)) {
        v.setFloat64(p, c.stopPrice, true);
        p += 8;
      }
    }
  }
  return out;
}

function binF64(v: DataView, p: number, field: number, index: number, min: number): number {
  const x = v.getFloat64(p, true);
  if (!Number.isInteger(x)) fail(Reason.NotInteger, field, index, String(x));
  if (!Number.isSafeInteger(x) || x < min) fail(Reason.OutOfRange, field, index, String(x));
  return x;
}

/**
 * Binary records -> `emit` (a fresh command each, or `scratch` reused when given). Lenient: a bad
 * record whose length is known becomes an Invalid command and decoding goes on.
 */
export function decodeBinaryInto(bytes: Uint8Array, emit: Emit, opts: DecodeOptions | undefined, lenient: boolean, scratch?: Command): void {
  if (bytes.length < 4) fail(Reason.Truncated, Field.Message, 0, `${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(0) !== BINARY_MAGIC) fail(Reason.Malformed, Field.Message, 0, 'bad magic');
  if (v.getUint8(1) !== BINARY_VERSION) fail(Reason.UnsupportedVersion, Field.Version, 0, String(v.getUint8(1)));
  const count = v.getUint16(2, true);
  if (count === 0) fail(Reason.EmptyBatch, Field.Batch, 0);
  if (count > (opts?.maxBatch ?? MAX_BATCH)) fail(Reason.TooLarge, Field.Batch, 0, `${count} commands`);
  let p = 4;
  for (let i = 0; i < count; i++) {
    const c = scratch
      ? resetCommand(scratch, opts?.sourceStream ?? -1, opts?.sourcePosition ?? -1)
      : createCommand({ sourceStream: opts?.sourceStream ?? -1, sourcePosition: opts?.sourcePosition ?? -1 });
    if (p + 24 > bytes.length) fail(Reason.Truncated, Field.Message, i);
    // Recoverable ids first, so a lenient decode can carry them in the Invalid command.
    c.symbolId = v.getUint16(p + 2, true);
    c.accountId = v.getUint32(p + 4, true);
    const oid = v.getFloat64(p + 8, true);
    c.orderId = Number.isSafeInteger(oid) && oid >= 0 ? oid : 0;
    try {
      const kind = v.getUint8(p);
      if (kind !== CommandKind.New && kind !== CommandKind.Cancel && kind !== CommandKind.Amend) fail(Reason.UnknownEnum, Field.Op, i, String(kind));
      c.kind = kind;
      const flags = v.getUint8(p + 1);
      c.side = (flags & 1) as Side;
      c.type = ((flags >> 1) & 3) as OrderType;
      c.tif = ((flags >> 3) & 3) as TimeInForce;
      const stp = (flags >> 5) & 7;
      if (stp > StpMode.CancelBoth) fail(Reason.UnknownEnum, Field.Stp, i, String(stp));
      c.stp = stp as StpMode;
      if (c.symbolId === 0) fail(Reason.OutOfRange, Field.Symbol, i, '0');
      binF64(v, p + 8, Field.OrderId, i, 0);
      c.timestamp = binF64(v, p + 16, Field.Timestamp, i, -MAX_SAFE);
      const size = kind === CommandKind.Cancel ? 24 : kind === CommandKind.Amend ? 40 : c.type === OrderType.Stop || c.type === OrderType.StopLimit ? 48 : 40;
      if (p + size > bytes.length) fail(Reason.Truncated, Field.Message, i);
      if (kind !== CommandKind.Cancel) {
        c.price = binF64(v, p + 24, Field.Price, i, -MAX_SAFE);
        c.qty = binF64(v, p + 32, Field.Qty, i, -MAX_SAFE);
        if (size === 48) c.stopPrice = binF64(v, p + 40, Field.StopPrice, i, -MAX_SAFE);
      }
      if (kind !== CommandKind.New) {
        c.side = Side.Buy;
        c.type = OrderType.Limit;
        c.tif = TimeInForce.GTC;
        c.stp = StpMode.Default;
      }
      p += size;
      emit(c);
    } catch (e) {
      if (!lenient || !(e instanceof DecodeError) || e.reason === Reason.Truncated) throw e;
      emit(invalidCommand(e, c.sourceStream, c.sourcePosition, c));
      // The record length is only known when kind/type decoded; stop at an unknown kind.
      const kind = v.getUint8(p);
      if (kind !== CommandKind.New && kind !== CommandKind.Cancel && kind !== CommandKind.Amend) return;
      const type = (v.getUint8(p + 1) >> 1) & 3;
      p += kind === CommandKind.Cancel ? 24 : kind === CommandKind.Amend ? 40 : type === OrderType.Stop || type === OrderType.StopLimit ? 48 : 40;
    }
  }
  if (p !== bytes.length) fail(Reason.TrailingBytes, Field.Message, count - 1, `${bytes.length - p} bytes`);
}
