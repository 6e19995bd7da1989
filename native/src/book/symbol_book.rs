//! The state of one symbol's book: both price ladders, both stop lists, the last trade price and
//! the symbol's grids.

use super::ladder::Ladder;
use super::protocol::is_safe_integer;
use super::stop_list::StopList;

pub struct SymbolBook {
  pub symbol_id: u16,
  pub tick_size: f64,
  pub lot_size: f64,
  /// [bids, asks], indexed by side.
  pub ladders: [Ladder; 2],
  /// [buy stops, sell stops], indexed by side.
  pub stops: [StopList; 2],
  pub last_price: f64,
}

impl SymbolBook {
  pub fn new(symbol_id: u16, tick_size: f64, lot_size: f64) -> SymbolBook {
    SymbolBook {
      symbol_id,
      tick_size,
      lot_size,
      ladders: [Ladder::new(), Ladder::new()],
      stops: [StopList::new(), StopList::new()],
      last_price: 0.0,
    }
  }

  /// Is `qty` a whole number of lots? (`%` of doubles, as in JS.)
  #[inline(always)]
  pub fn on_lot_grid(&self, qty: f64) -> bool {
    self.lot_size == 1.0 || on_grid(qty, self.lot_size)
  }

  /// Is `price` a whole number of ticks?
  #[inline(always)]
  pub fn on_tick_grid(&self, price: f64) -> bool {
    self.tick_size == 1.0 || on_grid(price, self.tick_size)
  }
}

/// `value % step == 0.0`, exactly as JS computes it. Prices, quantities and grids are whole
/// numbers, so that case takes one integer division: the double remainder (`fmod`) is a software
/// loop in Rust's runtime, and it was about a tenth of the book's samples in a file run whose
/// symbols have grids other than 1.
#[inline(always)]
fn on_grid(value: f64, step: f64) -> bool {
  if is_safe_integer(value) && is_safe_integer(step) && step >= 1.0 {
    (value as i64) % (step as i64) == 0
  } else {
    on_grid_fractional(value, step)
  }
}

/// Anything else (a fractional or huge value, NaN): the remainder of doubles. Out of line, so LLVM
/// does not hoist the call above the tests that avoid it.
#[cold]
#[inline(never)]
fn on_grid_fractional(value: f64, step: f64) -> bool {
  value % step == 0.0
}
