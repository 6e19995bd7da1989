//! Acceptance checks of a new order: quantity, prices and their grids, enum ranges, and the
//! conditions decided against the book before acceptance (market into an empty side, post-only
//! that would cross, FOK that cannot fill).

use super::command::Command;
use super::matching::{crosses, Matcher};
use super::protocol::{field, is_safe_integer, order_type, reason, stp, tif};
use super::symbol_book::SymbolBook;

/// Ok when `cmd` may enter `book`, else (reason, field). `effective_stp` is the mode it would run under.
#[inline]
pub fn check(matcher: &Matcher, cmd: &Command, book: &SymbolBook, effective_stp: u8) -> Result<(), (u16, u16)> {
  let qty = cmd.qty;
  if !(qty > 0.0) || !is_safe_integer(qty) {
    return Err((reason::INVALID_QUANTITY, field::QTY));
  }
  if !book.on_lot_grid(qty) {
    return Err((reason::QTY_OFF_LOT, field::QTY));
  }
  let (ty, tf, side) = (cmd.order_type, cmd.tif, cmd.side);
  if side > 1 {
    return Err((reason::INVALID_ORDER_TYPE, field::SIDE));
  }
  if ty == order_type::LIMIT || ty == order_type::STOP_LIMIT {
    if !(cmd.price > 0.0) || !is_safe_integer(cmd.price) {
      return Err((reason::INVALID_PRICE, field::PRICE));
    }
    if !book.on_tick_grid(cmd.price) {
      return Err((reason::PRICE_OFF_TICK, field::PRICE));
    }
  } else if ty == order_type::MARKET || ty == order_type::STOP {
    if cmd.price != 0.0 {
      return Err((reason::INVALID_PRICE, field::PRICE));
    }
  } else {
    return Err((reason::INVALID_ORDER_TYPE, field::TYPE));
  }
  let is_stop = ty == order_type::STOP || ty == order_type::STOP_LIMIT;
  if is_stop {
    if !(cmd.stop_price > 0.0) || !is_safe_integer(cmd.stop_price) {
      return Err((reason::INVALID_STOP_PRICE, field::STOP_PRICE));
    }
    if !book.on_tick_grid(cmd.stop_price) {
      return Err((reason::PRICE_OFF_TICK, field::STOP_PRICE));
    }
  } else if cmd.stop_price != 0.0 {
    return Err((reason::INVALID_STOP_PRICE, field::STOP_PRICE));
  }
  if tf > tif::POST_ONLY || (tf == tif::POST_ONLY && ty != order_type::LIMIT) {
    return Err((reason::INVALID_ORDER_TYPE, field::TIF));
  }
  if cmd.stp > stp::CANCEL_BOTH {
    return Err((reason::INVALID_ORDER_TYPE, field::STP));
  }
  if !is_stop {
    let opp = &book.ladders[(side ^ 1) as usize];
    if ty == order_type::MARKET && opp.count() == 0 {
      return Err((reason::NO_LIQUIDITY, field::NONE));
    }
    if tf == tif::POST_ONLY && crosses(opp, side, cmd.price) {
      return Err((reason::POST_ONLY_WOULD_CROSS, field::PRICE));
    }
    if tf == tif::FOK && !matcher.can_fill(opp, side, if ty == order_type::MARKET { f64::NAN } else { cmd.price }, qty, cmd.account_id, effective_stp) {
      return Err((reason::FOK_CANNOT_FILL, field::QTY));
    }
  }
  Ok(())
}
