// Enumerations and the plain command / report / trade shapes shared by every ringmatch stage.
// All enums are plain `as const` objects (no TS `enum`), so they survive isolated compilation and
// are cheap integer comparisons on the hot path.

/** Command kinds (byte 62 of a command slot). 0 is never a valid kind (an all-zero slot). */
export const CommandKind = { New: 1, Cancel: 2, Amend: 3, Invalid: 4 } as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

export const Side = { Buy: 0, Sell: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Stop = stop-market; StopLimit = becomes a limit order (with its tif) when triggered. */
export const OrderType = { Limit: 0, Market: 1, Stop: 2, StopLimit: 3 } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

/** Time in force. PostOnly = GTC that must rest (rejected if it would take liquidity). */
export const TimeInForce = { GTC: 0, IOC: 1, FOK: 2, PostOnly: 3 } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];

/**
 * Self-trade prevention, applied when a taker would match a resting order of the same account.
 * Default = use the account's configured mode (None when the account has none).
 */
export const StpMode = { Default: 0, None: 1, CancelNewest: 2, CancelOldest: 3, CancelBoth: 4 } as const;
export type StpMode = (typeof StpMode)[keyof typeof StpMode];

/** Execution report statuses. */
export const ExecStatus = {
  Accepted: 1,
  Rejected: 2,
  PartiallyFilled: 3,
  Filled: 4,
  Cancelled: 5,
  Amended: 6,
  Expired: 7,
  Triggered: 8,
} as const;
export type ExecStatus = (typeof ExecStatus)[keyof typeof ExecStatus];

/**
 * Reason codes (one byte): rejects from the book (1..31), cancel/expiry causes (32..63) and decode
 * errors (64..). A decode error becomes an `Invalid` command whose REJECTED report carries the
 * decode reason and field.
 */
export const Reason = {
  None: 0,
  // book validation (REJECTED)
  UnknownSymbol: 1,
  InvalidQuantity: 2,
  InvalidPrice: 3,
  PriceOffTick: 4,
  QtyOffLot: 5,
  DuplicateOrderId: 6,
  UnknownOrder: 7,
  PostOnlyWouldCross: 8,
  FokCannotFill: 9,
  NoLiquidity: 10,
  InvalidStopPrice: 11,
  NotOwner: 12,
  InvalidOrderType: 13,
  InvalidAmend: 14,
  // cancel / expiry causes
  UserCancel: 32,
  SelfTradePrevention: 33,
  UnfilledRemainder: 34,
  // decode errors
  Malformed: 64,
  Truncated: 65,
  UnsupportedVersion: 66,
  MissingField: 67,
  WrongType: 68,
  NotInteger: 69,
  OutOfRange: 70,
  UnknownEnum: 71,
  UnknownSymbolName: 72,
  EmptyBatch: 73,
  TooLarge: 74,
  TrailingBytes: 75,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** The decode-error subset of Reason. */
export type DecodeReason =
  | typeof Reason.Malformed
  | typeof Reason.Truncated
  | typeof Reason.UnsupportedVersion
  | typeof Reason.MissingField
  | typeof Reason.WrongType
  | typeof Reason.NotInteger
  | typeof Reason.OutOfRange
  | typeof Reason.UnknownEnum
  | typeof Reason.UnknownSymbolName
  | typeof Reason.EmptyBatch
  | typeof Reason.TooLarge
  | typeof Reason.TrailingBytes;

const REASON_TEXT: Record<number, string> = {
  0: 'none',
  1: 'unknown symbol',
  2: 'quantity must be a positive integer',
  3: 'invalid price',
  4: 'price is not a multiple of the tick size',
  5: 'quantity is not a multiple of the lot size',
  6: 'duplicate order id',
  7: 'unknown order',
  8: 'post-only order would cross',
  9: 'fill-or-kill order cannot be filled completely',
  10: 'no liquidity for market order',
  11: 'invalid stop price',
  12: 'order belongs to another account',
  13: 'invalid order type / time in force combination',
  14: 'invalid amend',
  32: 'cancelled by user',
  33: 'self-trade prevention',
  34: 'unfilled remainder of an immediate order',
  64: 'malformed message',
  65: 'truncated message',
  66: 'unsupported version',
  67: 'missing field',
  68: 'wrong type',
  69: 'not an integer',
  70: 'out of range',
  71: 'unknown enum value',
  72: 'unknown symbol name',
  73: 'empty batch',
  74: 'message too large',
  75: 'trailing bytes',
};

export function reasonText(code: number): string {
  return REASON_TEXT[code] ?? `reason ${code}`;
}

/** Field codes carried by decode errors (and by REJECTED reports of Invalid commands). */
export const Field = {
  None: 0,
  Op: 1,
  Side: 2,
  Type: 3,
  Tif: 4,
  Stp: 5,
  Symbol: 6,
  OrderId: 7,
  Account: 8,
  Price: 9,
  Qty: 10,
  StopPrice: 11,
  Timestamp: 12,
  Message: 13,
  Version: 14,
  Batch: 15,
} as const;
export type Field = (typeof Field)[keyof typeof Field];

/** Wire names of the fields (JSON keys). */
const FIELD_NAMES: readonly string[] = [
  '',
  'op',
  'side',
  'type',
  'tif',
  'stp',
  'symbol',
  'orderId',
  'account',
  'price',
  'qty',
  'stopPrice',
  'ts',
  'message',
  'version',
  'batch',
];

export function fieldName(code: number): string {
  return FIELD_NAMES[code] ?? `field ${code}`;
}

/**
 * One command. A mutable plain object: the matcher reads every slot into the same instance.
 * Integers only (safe integers); prices in integer price units, quantities in integer units;
 * the symbol's tickSize/lotSize define the grid.
 *
 * - New: side, type, tif, stp, symbolId, orderId, accountId, price (0 for Market/Stop), qty,
 *   stopPrice (Stop/StopLimit only, else 0).
 * - Cancel: symbolId, orderId, accountId.
 * - Amend: symbolId, orderId, accountId, price (new limit price, 0 = unchanged), qty (new open
 *   quantity, 0 = unchanged).
 * - Invalid: input that failed to decode: reason (a decode Reason), field (a Field code), and
 *   whatever ids could be recovered (0 otherwise), with its source position.
 */
export interface Command {
  /** Engine sequence (assigned by the poller when it claims the ring slot). */
  seq: number;
  kind: CommandKind;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  stp: StpMode;
  symbolId: number;
  orderId: number;
  /** uint32. */
  accountId: number;
  price: number;
  qty: number;
  stopPrice: number;
  /** Client timestamp (integer, caller's unit, e.g. microseconds since the epoch). */
  timestamp: number;
  /**
   * Where the command came from, as its source numbers its input: a stream (int16; a Kafka
   * partition; 0 for a file or the generator) and a position in it (0 .. 2^48-2; a Kafka offset, a
   * line number, a generator index). -1 / -1 when unknown. The engine passes both through: the
   * WAL keeps them, and the source reads them back to know where to resume.
   */
  sourceStream: number;
  sourcePosition: number;
  /** Invalid only: decode Reason. */
  reason: number;
  /** Invalid only: Field code. */
  field: number;
}

export function createCommand(init?: Partial<Command>): Command {
  const c: Command = {
    seq: 0,
    kind: CommandKind.New,
    side: Side.Buy,
    type: OrderType.Limit,
    tif: TimeInForce.GTC,
    stp: StpMode.Default,
    symbolId: 0,
    orderId: 0,
    accountId: 0,
    price: 0,
    qty: 0,
    stopPrice: 0,
    timestamp: 0,
    sourceStream: -1,
    sourcePosition: -1,
    reason: 0,
    field: 0,
  };
  if (init) Object.assign(c, init);
  return c;
}

/** Sets every field of `c` to createCommand's defaults but its source position (a reused scratch command). */
export function resetCommand(c: Command, sourceStream: number, sourcePosition: number): Command {
  c.seq = 0;
  c.kind = CommandKind.New;
  c.side = Side.Buy;
  c.type = OrderType.Limit;
  c.tif = TimeInForce.GTC;
  c.stp = StpMode.Default;
  c.symbolId = 0;
  c.orderId = 0;
  c.accountId = 0;
  c.price = 0;
  c.qty = 0;
  c.stopPrice = 0;
  c.timestamp = 0;
  c.sourceStream = sourceStream;
  c.sourcePosition = sourcePosition;
  c.reason = 0;
  c.field = 0;
  return c;
}

/** Output kinds of an output slot (byte 78). */
/** Mark: a position in the output stream, not an output (see slot.ts). Depth: an L2 market data update (depth.ts). */
export const OutputKind = { Report: 1, Trade: 2, Mark: 3, Depth: 4 } as const;
export type OutputKind = (typeof OutputKind)[keyof typeof OutputKind];

/**
 * Execution report. The engine reuses one instance per sink call, and the book's may read its fields
 * through getters: copy it with copyReport if you keep it.
 * qty = the order's current total quantity (cumQty + leavesQty for live orders).
 */
export interface ExecutionReport {
  /** Engine sequence of the command that caused this report. */
  seq: number;
  timestamp: number;
  status: ExecStatus;
  reason: number;
  /** Field code (decode rejects only, else 0). */
  field: number;
  symbolId: number;
  orderId: number;
  accountId: number;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  price: number;
  stopPrice: number;
  qty: number;
  cumQty: number;
  leavesQty: number;
  lastQty: number;
  lastPrice: number;
  /** Trade id of the fill (fills only, else 0). */
  tradeId: number;
  /**
   * Where the input of a REJECTED report for undecodable input (an Invalid command) came from: its
   * source position (see Command). -1 / -1 on every other report (a report carries either this or
   * a tradeId, never both).
   */
  sourceStream: number;
  sourcePosition: number;
}

export function createReport(init?: Partial<ExecutionReport>): ExecutionReport {
  const r: ExecutionReport = {
    seq: 0,
    timestamp: 0,
    status: ExecStatus.Accepted,
    reason: 0,
    field: 0,
    symbolId: 0,
    orderId: 0,
    accountId: 0,
    side: Side.Buy,
    type: OrderType.Limit,
    tif: TimeInForce.GTC,
    price: 0,
    stopPrice: 0,
    qty: 0,
    cumQty: 0,
    leavesQty: 0,
    lastQty: 0,
    lastPrice: 0,
    tradeId: 0,
    sourceStream: -1,
    sourcePosition: -1,
  };
  if (init) Object.assign(r, init);
  return r;
}

/**
 * A plain copy of `r`, field by field: what a sink keeps. The book's reports may read their fields
 * through getters (a view of the order's record), which a spread or Object.assign would not copy.
 */
export function copyReport(r: ExecutionReport): ExecutionReport {
  return {
    seq: r.seq,
    timestamp: r.timestamp,
    status: r.status,
    reason: r.reason,
    field: r.field,
    symbolId: r.symbolId,
    orderId: r.orderId,
    accountId: r.accountId,
    side: r.side,
    type: r.type,
    tif: r.tif,
    price: r.price,
    stopPrice: r.stopPrice,
    qty: r.qty,
    cumQty: r.cumQty,
    leavesQty: r.leavesQty,
    lastQty: r.lastQty,
    lastPrice: r.lastPrice,
    tradeId: r.tradeId,
    sourceStream: r.sourceStream,
    sourcePosition: r.sourcePosition,
  };
}

/** A trade between a resting maker and an incoming taker. */
export interface Trade {
  seq: number;
  timestamp: number;
  /** Engine-wide trade sequence, 1, 2, 3, ... */
  tradeId: number;
  symbolId: number;
  price: number;
  qty: number;
  makerOrderId: number;
  takerOrderId: number;
  makerAccountId: number;
  takerAccountId: number;
  takerSide: Side;
}

export function createTrade(init?: Partial<Trade>): Trade {
  const t: Trade = {
    seq: 0,
    timestamp: 0,
    tradeId: 0,
    symbolId: 0,
    price: 0,
    qty: 0,
    makerOrderId: 0,
    takerOrderId: 0,
    makerAccountId: 0,
    takerAccountId: 0,
    takerSide: Side.Buy,
  };
  if (init) Object.assign(t, init);
  return t;
}
