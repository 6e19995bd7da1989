// The JSON names of the enum values, both ways: name -> value for the decoders (matched
// case-insensitively), value -> text for the encoders (the canonical, lower-case spelling).
import { CommandKind, OrderType, Side, StpMode, TimeInForce } from './types.js';

export const OP_NAMES: Record<string, CommandKind> = { new: CommandKind.New, cancel: CommandKind.Cancel, amend: CommandKind.Amend };
export const SIDE_NAMES: Record<string, Side> = { buy: Side.Buy, sell: Side.Sell };
export const TYPE_NAMES: Record<string, OrderType> = {
  limit: OrderType.Limit,
  market: OrderType.Market,
  stop: OrderType.Stop,
  stop_market: OrderType.Stop,
  stop_limit: OrderType.StopLimit,
};
export const TIF_NAMES: Record<string, TimeInForce> = {
  gtc: TimeInForce.GTC,
  ioc: TimeInForce.IOC,
  fok: TimeInForce.FOK,
  post_only: TimeInForce.PostOnly,
};
export const STP_NAMES: Record<string, StpMode> = {
  default: StpMode.Default,
  none: StpMode.None,
  cancel_newest: StpMode.CancelNewest,
  cancel_oldest: StpMode.CancelOldest,
  cancel_both: StpMode.CancelBoth,
};

export const OP_TEXT = ['', 'new', 'cancel', 'amend', 'invalid'] as const;
export const SIDE_TEXT = ['buy', 'sell'] as const;
export const TYPE_TEXT = ['limit', 'market', 'stop', 'stop_limit'] as const;
export const TIF_TEXT = ['gtc', 'ioc', 'fok', 'post_only'] as const;
export const STP_TEXT = ['default', 'none', 'cancel_newest', 'cancel_oldest', 'cancel_both'] as const;
/** Execution report statuses (ExecStatus values; 0 is never a status). */
export const STATUS_TEXT = ['', 'accepted', 'rejected', 'partially_filled', 'filled', 'cancelled', 'amended', 'expired', 'triggered'] as const;
