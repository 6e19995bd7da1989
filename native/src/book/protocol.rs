//! The protocol's codes and slot sizes as the JS side defines them (packages/protocol/src/types.ts
//! and slot.ts); the differential tests fail if the two ever disagree.

pub const COMMAND_SLOT_BYTES: usize = 64;
pub const OUTPUT_SLOT_BYTES: usize = 96;

pub mod kind {
  pub const NEW: u8 = 1;
  pub const CANCEL: u8 = 2;
  pub const AMEND: u8 = 3;
  pub const INVALID: u8 = 4;
}

pub mod side {
  pub const BUY: u8 = 0;
}

pub mod order_type {
  pub const LIMIT: u8 = 0;
  pub const MARKET: u8 = 1;
  pub const STOP: u8 = 2;
  pub const STOP_LIMIT: u8 = 3;
}

pub mod tif {
  pub const GTC: u8 = 0;
  pub const IOC: u8 = 1;
  pub const FOK: u8 = 2;
  pub const POST_ONLY: u8 = 3;
}

pub mod stp {
  pub const DEFAULT: u8 = 0;
  pub const NONE: u8 = 1;
  pub const CANCEL_OLDEST: u8 = 3;
  pub const CANCEL_BOTH: u8 = 4;
}

pub mod status {
  pub const ACCEPTED: u8 = 1;
  pub const REJECTED: u8 = 2;
  pub const PARTIALLY_FILLED: u8 = 3;
  pub const FILLED: u8 = 4;
  pub const CANCELLED: u8 = 5;
  pub const AMENDED: u8 = 6;
  pub const EXPIRED: u8 = 7;
  pub const TRIGGERED: u8 = 8;
}

pub mod reason {
  pub const UNKNOWN_SYMBOL: u16 = 1;
  pub const INVALID_QUANTITY: u16 = 2;
  pub const INVALID_PRICE: u16 = 3;
  pub const PRICE_OFF_TICK: u16 = 4;
  pub const QTY_OFF_LOT: u16 = 5;
  pub const DUPLICATE_ORDER_ID: u16 = 6;
  pub const UNKNOWN_ORDER: u16 = 7;
  pub const POST_ONLY_WOULD_CROSS: u16 = 8;
  pub const FOK_CANNOT_FILL: u16 = 9;
  pub const NO_LIQUIDITY: u16 = 10;
  pub const INVALID_STOP_PRICE: u16 = 11;
  pub const NOT_OWNER: u16 = 12;
  pub const INVALID_ORDER_TYPE: u16 = 13;
  pub const INVALID_AMEND: u16 = 14;
  pub const USER_CANCEL: u16 = 32;
  pub const SELF_TRADE_PREVENTION: u16 = 33;
  pub const UNFILLED_REMAINDER: u16 = 34;
  pub const MALFORMED: u16 = 64;
  pub const UNKNOWN_ENUM: u16 = 71;
}

pub mod field {
  pub const NONE: u16 = 0;
  pub const OP: u16 = 1;
  pub const SIDE: u16 = 2;
  pub const TYPE: u16 = 3;
  pub const TIF: u16 = 4;
  pub const STP: u16 = 5;
  pub const SYMBOL: u16 = 6;
  pub const ORDER_ID: u16 = 7;
  pub const ACCOUNT: u16 = 8;
  pub const PRICE: u16 = 9;
  pub const QTY: u16 = 10;
  pub const STOP_PRICE: u16 = 11;
}

/// Output slot kinds (byte 78).
pub const OUTPUT_REPORT: u8 = 1;
pub const OUTPUT_TRADE: u8 = 2;

/// Largest integer a double holds exactly (JS `Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// JS `Number.isSafeInteger`. Through i64 (exact below 2^53), as `trunc` is a libm call without SSE4.1.
#[inline]
pub fn is_safe_integer(x: f64) -> bool {
  x.abs() <= MAX_SAFE_INTEGER && (x as i64) as f64 == x
}
