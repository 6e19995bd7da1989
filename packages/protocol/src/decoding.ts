// What every command decoder shares: the options it takes, the one error it throws (DecodeError:
// reason + field + batch index), and the Invalid command a lenient decode puts in a bad one's place.
import {
  CommandKind,
  Field,
  OrderType,
  Reason,
  Side,
  StpMode,
  TimeInForce,
  createCommand,
  fieldName,
  reasonText,
  type Command,
  type DecodeReason,
} from './types.js';
import type { SymbolTable } from './symbols.js';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    /** A decode Reason code (Reason.Malformed ...). */
    readonly reason: DecodeReason,
    /** A Field code (Field.None when the message as a whole is bad). */
    readonly field: number,
    /** Index of the bad command inside a batch (0 for a single command). */
    readonly index: number = 0,
    detail?: string,
  ) {
    super(`${reasonText(reason)}${field ? ` in field "${fieldName(field)}"` : ''}${index ? ` (batch index ${index})` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

export interface DecodeOptions {
  /** Needed to resolve symbol names in JSON (`"symbol": "BTC-USD"`); ids are always accepted. */
  symbols?: SymbolTable;
  /** The message's source position, stamped on every decoded command (default -1 / -1). */
  sourceStream?: number;
  sourcePosition?: number;
  /** Largest accepted batch (default 65535). */
  maxBatch?: number;
}

/** Receives each decoded command, in order. */
export type Emit = (c: Command) => void;

/** Largest batch a message may hold (u16 count in the binary codec). */
export const MAX_BATCH = 0xffff;

export function fail(reason: DecodeReason, field: number, index: number, detail?: string): never {
  throw new DecodeError(reason, field, index, detail);
}

/** Builds an `Invalid` command from a decode failure (any thrown value; non-DecodeErrors map to Malformed). */
export function invalidCommand(error: unknown, sourceStream = -1, sourcePosition = -1, recovered?: Partial<Command>): Command {
  const c = createCommand({ kind: CommandKind.Invalid, sourceStream, sourcePosition });
  if (recovered) {
    c.symbolId = recovered.symbolId ?? 0;
    c.orderId = recovered.orderId ?? 0;
    c.accountId = recovered.accountId ?? 0;
    c.timestamp = recovered.timestamp ?? 0;
  }
  c.side = Side.Buy;
  c.type = OrderType.Limit;
  c.tif = TimeInForce.GTC;
  c.stp = StpMode.Default;
  c.price = 0;
  c.qty = 0;
  c.stopPrice = 0;
  if (error instanceof DecodeError) {
    c.reason = error.reason;
    c.field = error.field;
  } else {
    c.reason = Reason.Malformed;
    c.field = Field.Message;
  }
  return c;
}
