//! The matching engine: routes each command (new, cancel, amend, invalid) to its checks, the
//! matcher and the reports, the same rules as the JS MatchingEngine (packages/book), which stays
//! the reference; the differential tests hold the two to byte-identical outputs.

use super::command::Command;
use super::counters::Counters;
use super::matching::{crosses, Matcher};
use super::new_order_checks::check;
use super::order_pool::{ACTIVE, PENDING_STOP};
use super::outputs::Outputs;
use super::protocol::{field, is_safe_integer, kind, order_type, reason, side, status, tif};
use super::resting;
use super::self_trade::AccountStpModes;
use super::symbol_book::SymbolBook;

pub struct Engine {
  /// Indexed by symbol id.
  pub books: Vec<Option<SymbolBook>>,
  pub matcher: Matcher,
  pub stp: AccountStpModes,
}

impl Engine {
  /// `symbols`: (id, tick size, lot size) of each symbol.
  pub fn new(symbols: &[(u16, f64, f64)], orders: usize, levels: usize) -> Engine {
    let mut books: Vec<Option<SymbolBook>> = Vec::new();
    for &(id, tick, lot) in symbols {
      if books.len() <= id as usize {
        books.resize_with(id as usize + 1, || None);
      }
      books[id as usize] = Some(SymbolBook::new(id, tick, lot));
    }
    Engine { books, matcher: Matcher::new(orders, levels), stp: AccountStpModes::default() }
  }

  /// Applies one command; writes its reports and trades to `out`, in order.
  #[inline]
  pub fn process(&mut self, cmd: &Command, out: &mut Outputs) {
    let counters = &mut self.matcher.counters;
    counters.commands += 1.0;
    match cmd.kind {
      kind::NEW => {
        counters.new_orders += 1.0;
        self.on_new(cmd, out)
      }
      kind::CANCEL => {
        counters.cancels += 1.0;
        self.on_cancel(cmd, out)
      }
      kind::AMEND => {
        counters.amends += 1.0;
        self.on_amend(cmd, out)
      }
      kind::INVALID => {
        counters.invalid += 1.0;
        let why = if cmd.reason != 0 { cmd.reason } else { reason::MALFORMED };
        self.reject_with(cmd, why, cmd.field, true, out)
      }
      _ => {
        counters.invalid += 1.0;
        self.reject(cmd, reason::UNKNOWN_ENUM, field::OP, out)
      }
    }
  }

  fn reject(&mut self, cmd: &Command, why: u16, what: u16, out: &mut Outputs) {
    rejected(&mut self.matcher.counters, cmd, why, what, false, out)
  }

  fn reject_with(&mut self, cmd: &Command, why: u16, what: u16, with_source: bool, out: &mut Outputs) {
    rejected(&mut self.matcher.counters, cmd, why, what, with_source, out)
  }

  fn on_new(&mut self, cmd: &Command, out: &mut Outputs) {
    let Some(Some(book)) = self.books.get_mut(cmd.symbol_id as usize) else {
      return self.reject(cmd, reason::UNKNOWN_SYMBOL, field::SYMBOL, out);
    };
    let m = &mut self.matcher;
    // One probe for the duplicate check and the insert: claim a slot, release it on rejection.
    let o = m.orders.alloc();
    if m.ids.put_if_absent(cmd.order_id, o).is_some() {
      m.orders.release(o);
      return rejected(&mut m.counters, cmd, reason::DUPLICATE_ORDER_ID, field::ORDER_ID, false, out);
    }
    let effective = self.stp.effective(cmd);
    if let Err((why, what)) = check(m, cmd, book, effective) {
      m.ids.delete(cmd.order_id);
      m.orders.release(o);
      return rejected(&mut m.counters, cmd, why, what, false, out);
    }
    m.orders.init(o, cmd, effective);
    out.order_report(cmd, m.orders.get(o), status::ACCEPTED, 0, 0.0, 0.0, 0.0);
    let ty = cmd.order_type;
    if ty == order_type::STOP || ty == order_type::STOP_LIMIT {
      // waits in its stop list, or fires at once when the last price is already past its trigger
      m.orders.get_mut(o).state = PENDING_STOP;
      let lp = book.last_price;
      let reached = lp != 0.0 && if cmd.side == side::BUY { lp >= cmd.stop_price } else { lp <= cmd.stop_price };
      if reached {
        m.fire_stop(cmd, book, o, out);
      } else {
        let key = if cmd.side == side::BUY { -cmd.stop_price } else { cmd.stop_price };
        book.stops[cmd.side as usize].insert(key, o);
      }
      return;
    }
    // A GTC or post-only limit that does not cross rests at once: what matching it would come to.
    if ty == order_type::LIMIT
      && (cmd.tif == tif::GTC || cmd.tif == tif::POST_ONLY)
      && !crosses(&book.ladders[(cmd.side ^ 1) as usize], cmd.side, cmd.price)
    {
      resting::rest(&mut m.orders, &mut m.levels, book, o);
      return;
    }
    m.orders.get_mut(o).state = ACTIVE;
    m.take(cmd, book, o, out);
  }

  /// The live order `cmd` names in its book, or the reject that says why not.
  #[inline]
  fn owned_order(&self, cmd: &Command) -> Result<u32, (u16, u16)> {
    let Some(o) = self.matcher.ids.get(cmd.order_id) else { return Err((reason::UNKNOWN_ORDER, field::ORDER_ID)) };
    let r = self.matcher.orders.get(o);
    if r.symbol != cmd.symbol_id {
      return Err((reason::UNKNOWN_ORDER, field::ORDER_ID));
    }
    if r.account != cmd.account_id {
      return Err((reason::NOT_OWNER, field::ACCOUNT));
    }
    Ok(o)
  }

  fn on_cancel(&mut self, cmd: &Command, out: &mut Outputs) {
    if !matches!(self.books.get(cmd.symbol_id as usize), Some(Some(_))) {
      return self.reject(cmd, reason::UNKNOWN_SYMBOL, field::SYMBOL, out);
    }
    let o = match self.owned_order(cmd) {
      Ok(o) => o,
      Err((why, what)) => return self.reject(cmd, why, what, out),
    };
    let book = self.books[cmd.symbol_id as usize].as_mut().unwrap();
    let m = &mut self.matcher;
    let r = *m.orders.get(o);
    if r.state == PENDING_STOP {
      book.stops[r.side as usize].remove(o);
    } else {
      resting::unlink(&mut m.orders, &mut m.levels, book, o);
    }
    m.orders.get_mut(o).leaves_qty = 0.0;
    m.ids.delete(cmd.order_id);
    out.order_report(cmd, m.orders.get(o), status::CANCELLED, reason::USER_CANCEL, 0.0, 0.0, 0.0);
    m.orders.free(o);
  }

  fn on_amend(&mut self, cmd: &Command, out: &mut Outputs) {
    let Some(Some(book)) = self.books.get(cmd.symbol_id as usize) else {
      return rejected(&mut self.matcher.counters, cmd, reason::UNKNOWN_SYMBOL, field::SYMBOL, false, out);
    };
    let o = match self.owned_order(cmd) {
      Ok(o) => o,
      Err((why, what)) => return rejected(&mut self.matcher.counters, cmd, why, what, false, out),
    };
    if cmd.qty < 0.0 || !is_safe_integer(cmd.qty) {
      return rejected(&mut self.matcher.counters, cmd, reason::INVALID_QUANTITY, field::QTY, false, out);
    }
    if !book.on_lot_grid(cmd.qty) {
      return rejected(&mut self.matcher.counters, cmd, reason::QTY_OFF_LOT, field::QTY, false, out);
    }
    if cmd.price < 0.0 || !is_safe_integer(cmd.price) {
      return rejected(&mut self.matcher.counters, cmd, reason::INVALID_PRICE, field::PRICE, false, out);
    }
    let r = *self.matcher.orders.get(o);
    if cmd.price != 0.0 {
      if r.order_type == order_type::STOP {
        return rejected(&mut self.matcher.counters, cmd, reason::INVALID_AMEND, field::PRICE, false, out);
      }
      if !book.on_tick_grid(cmd.price) {
        return rejected(&mut self.matcher.counters, cmd, reason::PRICE_OFF_TICK, field::PRICE, false, out);
      }
    }
    let new_price = if cmd.price == 0.0 { r.price } else { cmd.price };
    let new_leaves = if cmd.qty == 0.0 { r.leaves_qty } else { cmd.qty };
    let price_changed = new_price != r.price;
    if r.state != PENDING_STOP && price_changed && r.tif == tif::POST_ONLY && crosses(&book.ladders[(r.side ^ 1) as usize], r.side, new_price) {
      return rejected(&mut self.matcher.counters, cmd, reason::POST_ONLY_WOULD_CROSS, field::PRICE, false, out);
    }
    let book = self.books[cmd.symbol_id as usize].as_mut().unwrap();
    let m = &mut self.matcher;
    if r.state == PENDING_STOP || (!price_changed && new_leaves <= r.leaves_qty) {
      // a pending stop changes in place; a resting order that only shrinks keeps its time priority
      if r.state != PENDING_STOP {
        m.levels.get_mut(r.level).qty -= r.leaves_qty - new_leaves;
      }
      let rec = m.orders.get_mut(o);
      rec.price = new_price;
      rec.leaves_qty = new_leaves;
      rec.qty = rec.cum_qty + new_leaves;
      out.order_report(cmd, m.orders.get(o), status::AMENDED, 0, 0.0, 0.0, 0.0);
      return;
    }
    // loses priority: leaves the book and re-enters (possibly as a taker) at the new price
    resting::unlink(&mut m.orders, &mut m.levels, book, o);
    let rec = m.orders.get_mut(o);
    rec.price = new_price;
    rec.leaves_qty = new_leaves;
    rec.qty = rec.cum_qty + new_leaves;
    rec.state = ACTIVE;
    out.order_report(cmd, m.orders.get(o), status::AMENDED, 0, 0.0, 0.0, 0.0);
    m.take(cmd, book, o, out);
  }
}

/// REJECTED (counted in `rejected`); `with_source` carries the command's source position (decode rejects).
#[cold]
fn rejected(counters: &mut Counters, cmd: &Command, why: u16, what: u16, with_source: bool, out: &mut Outputs) {
  counters.rejected += 1.0;
  out.reject(cmd, why, what, with_source);
}
