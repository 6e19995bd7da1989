//! Matching: an order runs as a taker against the best levels of the other side (maker price, time
//! priority, self-trade prevention), then rests, expires or is cancelled; the stops its trades
//! trigger run next. Also the dry runs that decide post-only and FOK before acceptance.

use super::command::Command;
use super::counters::Counters;
use super::id_map::IdMap;
use super::ladder::Ladder;
use super::level_pool::LevelPool;
use super::order_pool::{OrderPool, ACTIVE, NONE};
use super::outputs::Outputs;
use super::protocol::{order_type, reason, side, status, stp, tif};
use super::resting;
use super::symbol_book::SymbolBook;

/// A self-match under `mode` cancels the resting order (CancelOldest, CancelBoth).
#[inline(always)]
pub fn stp_cancels_resting(mode: u8) -> bool {
  mode == stp::CANCEL_OLDEST || mode == stp::CANCEL_BOTH
}

/// A self-match under `mode` cancels the incoming order, which stops matching (CancelNewest, CancelBoth).
#[inline(always)]
pub fn stp_cancels_incoming(mode: u8) -> bool {
  mode != stp::CANCEL_OLDEST
}

/// Does a `side` order at `price` cross the opposite ladder's best?
#[inline(always)]
pub fn crosses(opp: &Ladder, side: u8, price: f64) -> bool {
  match opp.best() {
    None => false,
    Some((best, _)) => {
      if side == side::BUY {
        -best <= price
      } else {
        best >= price
      }
    }
  }
}

pub struct Matcher {
  pub orders: OrderPool,
  pub levels: LevelPool,
  pub ids: IdMap,
  pub counters: Counters,
  /// Id of the last trade (trade ids count from 1).
  pub trade_seq: f64,
  /// The run queue of triggered stops.
  triggered: Vec<u32>,
}

impl Matcher {
  pub fn new(orders: usize, levels: usize) -> Matcher {
    Matcher {
      orders: OrderPool::new(orders),
      levels: LevelPool::new(levels),
      ids: IdMap::new(orders),
      counters: Counters::default(),
      trade_seq: 0.0,
      triggered: Vec::with_capacity(16),
    }
  }

  /// FOK dry run: would matching fill `qty` completely (STP applied as the real match would)? price NaN = market.
  pub fn can_fill(&self, opp: &Ladder, side: u8, price: f64, qty: f64, acct: u32, stp_mode: u8) -> bool {
    let thr = if price.is_nan() {
      f64::NEG_INFINITY
    } else if side == side::BUY {
      -price
    } else {
      price
    };
    let mut need = qty;
    for i in (0..opp.count()).rev() {
      if opp.keys[i] < thr {
        return false;
      }
      let level = self.levels.get(opp.levels[i]);
      if stp_mode == stp::NONE {
        need -= level.qty;
        if need <= 0.0 {
          return true;
        }
        continue;
      }
      let mut m = level.head;
      while m != NONE {
        let maker = self.orders.get(m);
        if maker.account == acct {
          if !stp_cancels_incoming(stp_mode) {
            m = maker.next;
            continue; // the resting order would be cancelled
          }
          return false; // the taker would be cancelled here
        }
        need -= maker.leaves_qty;
        if need <= 0.0 {
          return true;
        }
        m = maker.next;
      }
    }
    false
  }

  /// Runs order `o` (state ACTIVE, in the id map) as a taker, then the stops its trades triggered.
  #[inline]
  pub fn take(&mut self, cmd: &Command, book: &mut SymbolBook, o: u32, out: &mut Outputs) {
    let before = self.trade_seq;
    self.execute(cmd, book, o, out);
    if self.trade_seq != before {
      self.check_stops(cmd, book, out);
    }
  }

  /// Runs stop `o`, accepted with its trigger already reached, and whatever its trades trigger.
  pub fn fire_stop(&mut self, cmd: &Command, book: &mut SymbolBook, o: u32, out: &mut Outputs) {
    self.triggered.clear();
    self.triggered.push(o);
    self.run_triggered(cmd, book, out);
  }

  /// Ends taker `o`: out of the id map and the pool, with a final report unless it filled.
  #[inline]
  fn finish_taker(&mut self, cmd: &Command, o: u32, final_status: u8, why: u16, out: &mut Outputs) {
    let id = self.orders.get(o).id;
    self.ids.delete(id);
    if final_status != 0 {
      self.orders.get_mut(o).leaves_qty = 0.0;
      out.order_report(cmd, self.orders.get(o), final_status, why, 0.0, 0.0, 0.0);
    }
    self.orders.free(o);
  }

  /// Runs order `o` (state ACTIVE, in the id map) as a taker against the opposite side, then rests,
  /// expires or cancels what is left.
  fn execute(&mut self, cmd: &Command, book: &mut SymbolBook, o: u32, out: &mut Outputs) {
    let taker = *self.orders.get(o);
    let side = taker.side;
    let is_market = taker.order_type == order_type::MARKET || taker.order_type == order_type::STOP;
    let thr = if is_market {
      f64::NEG_INFINITY
    } else if side == side::BUY {
      -taker.price
    } else {
      taker.price
    };
    let opp_side = (side ^ 1) as usize;
    let acct = taker.account;
    let stp_mode = taker.stp;
    let stp_on = stp_mode != stp::NONE;
    let mut leaves = taker.leaves_qty;
    let mut taker_cancelled = false;
    while leaves > 0.0 {
      let Some((key, l)) = book.ladders[opp_side].best() else { break };
      if key < thr {
        break;
      }
      let price = self.levels.get(l).price;
      let mut m = self.levels.get(l).head;
      while m != NONE && leaves > 0.0 {
        let maker = *self.orders.get(m);
        let next = maker.next;
        if stp_on && maker.account == acct {
          if stp_cancels_resting(stp_mode) {
            self.cancel_maker(cmd, book, m, out);
          }
          if stp_cancels_incoming(stp_mode) {
            taker_cancelled = true;
            break;
          }
          m = next;
          continue;
        }
        let ml = maker.leaves_qty;
        let q = if ml < leaves { ml } else { leaves };
        leaves -= q;
        self.trade_seq += 1.0;
        let trade_id = self.trade_seq;
        self.counters.trades += 1.0;
        self.counters.volume += q;
        out.trade(cmd, trade_id, price, q, &maker, &taker);
        // maker
        self.orders.fill(m, q);
        self.levels.get_mut(l).qty -= q;
        if ml == q {
          out.order_report(cmd, self.orders.get(m), status::FILLED, 0, q, price, trade_id);
          resting::unlink_filled(&mut self.orders, &mut self.levels, book, m, l);
          self.ids.delete(maker.id);
          self.orders.free(m);
        } else {
          out.order_report(cmd, self.orders.get(m), status::PARTIALLY_FILLED, 0, q, price, trade_id);
        }
        // taker
        self.orders.fill(o, q);
        let st = if leaves == 0.0 { status::FILLED } else { status::PARTIALLY_FILLED };
        out.order_report(cmd, self.orders.get(o), st, 0, q, price, trade_id);
        book.last_price = price;
        m = next;
      }
      if taker_cancelled {
        break;
      }
      // the level may be gone already (its last order filled or cancelled)
    }
    if leaves == 0.0 {
      return self.finish_taker(cmd, o, 0, 0, out);
    }
    if taker_cancelled {
      self.counters.stp_cancels += 1.0;
      return self.finish_taker(cmd, o, status::CANCELLED, reason::SELF_TRADE_PREVENTION, out);
    }
    if is_market || taker.tif == tif::IOC || taker.tif == tif::FOK {
      self.counters.expired += 1.0;
      return self.finish_taker(cmd, o, status::EXPIRED, reason::UNFILLED_REMAINDER, out);
    }
    resting::rest(&mut self.orders, &mut self.levels, book, o);
  }

  /// Self-trade prevention cancels resting order `m`.
  fn cancel_maker(&mut self, cmd: &Command, book: &mut SymbolBook, m: u32, out: &mut Outputs) {
    self.counters.stp_cancels += 1.0;
    resting::unlink(&mut self.orders, &mut self.levels, book, m);
    let maker = self.orders.get_mut(m);
    maker.leaves_qty = 0.0;
    let id = maker.id;
    self.ids.delete(id);
    out.order_report(cmd, self.orders.get(m), status::CANCELLED, reason::SELF_TRADE_PREVENTION, 0.0, 0.0, 0.0);
    self.orders.free(m);
  }

  /// After trades: runs every stop whose trigger the last price has reached.
  #[inline]
  fn check_stops(&mut self, cmd: &Command, book: &mut SymbolBook, out: &mut Outputs) {
    if book.stops[0].count() == 0 && book.stops[1].count() == 0 {
      return;
    }
    self.triggered.clear();
    collect(&mut self.triggered, book);
    if !self.triggered.is_empty() {
      self.run_triggered(cmd, book, out);
    }
  }

  /// Runs the queued stops FIFO; their trades may trigger more (appended to the queue).
  fn run_triggered(&mut self, cmd: &Command, book: &mut SymbolBook, out: &mut Outputs) {
    let mut head = 0;
    while head < self.triggered.len() {
      let o = self.triggered[head];
      head += 1;
      self.counters.triggered += 1.0;
      self.orders.get_mut(o).state = ACTIVE;
      out.order_report(cmd, self.orders.get(o), status::TRIGGERED, 0, 0.0, 0.0, 0.0);
      let r = *self.orders.get(o);
      let market = r.order_type == order_type::STOP;
      let opp = &book.ladders[(r.side ^ 1) as usize];
      if r.tif == tif::FOK && !self.can_fill(opp, r.side, if market { f64::NAN } else { r.price }, r.leaves_qty, r.account, r.stp) {
        self.counters.expired += 1.0;
        self.finish_taker(cmd, o, status::EXPIRED, reason::FOK_CANNOT_FILL, out);
        continue;
      }
      let before = self.trade_seq;
      self.execute(cmd, book, o, out);
      if self.trade_seq != before {
        collect(&mut self.triggered, book);
      }
    }
  }
}

/// Queues the stops of `book` its last price has reached.
fn collect(queue: &mut Vec<u32>, book: &mut SymbolBook) {
  let lp = book.last_price;
  // buy stops trigger when last >= stopPrice (key = -stopPrice, next to trigger last)
  while let Some(o) = book.stops[side::BUY as usize].pop_if(|k| lp >= -k) {
    queue.push(o);
  }
  while let Some(o) = book.stops[1].pop_if(|k| lp <= k) {
    queue.push(o);
  }
}
