//! The order pool: one 64-byte record (a cache line) per live order in one growable vector, indexed
//! by slot; freed slots are reused from a stack. A stop's trigger price lives in a side vector, as
//! only stop orders have one.

use super::command::Command;

/// No order / no level.
pub const NONE: u32 = u32::MAX;

// Values of `state`.
pub const FREE: u8 = 0;
pub const RESTING: u8 = 1;
pub const PENDING_STOP: u8 = 2;
pub const ACTIVE: u8 = 3;

#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
pub struct Order {
  pub id: f64,
  pub price: f64,
  pub qty: f64,
  pub leaves_qty: f64,
  pub cum_qty: f64,
  /// Younger and older neighbours in the level's FIFO, or NONE.
  pub next: u32,
  pub prev: u32,
  /// Level slot while resting, else NONE.
  pub level: u32,
  pub account: u32,
  pub symbol: u16,
  pub side: u8,
  pub order_type: u8,
  pub tif: u8,
  /// Effective self-trade prevention mode (never Default).
  pub stp: u8,
  pub state: u8,
}

const _: () = assert!(std::mem::size_of::<Order>() == 64);

pub struct OrderPool {
  pub records: Vec<Order>,
  pub stop_prices: Vec<f64>,
  free: Vec<u32>,
}

impl OrderPool {
  pub fn new(capacity: usize) -> OrderPool {
    let mut pool = OrderPool { records: Vec::new(), stop_prices: Vec::new(), free: Vec::new() };
    pool.grow(capacity.max(16));
    pool
  }

  fn grow(&mut self, capacity: usize) {
    let old = self.records.len();
    self.records.resize(capacity, Order::default());
    self.stop_prices.resize(capacity, 0.0);
    // hand out low slots first, as the JS pool does
    self.free.extend((old..capacity).rev().map(|i| i as u32));
  }

  /// Takes a free slot (its fields hold whatever the last owner left).
  #[inline]
  pub fn alloc(&mut self) -> u32 {
    if self.free.is_empty() {
      let capacity = self.records.len() * 2;
      self.grow(capacity);
    }
    self.free.pop().unwrap()
  }

  /// Gives back a slot taken by `alloc` but never used as an order.
  #[inline]
  pub fn release(&mut self, o: u32) {
    self.free.push(o);
  }

  /// Frees the slot of an order that is gone (filled, cancelled, expired).
  #[inline]
  pub fn free(&mut self, o: u32) {
    self.records[o as usize].state = FREE;
    self.free.push(o);
  }

  /// Frees every slot, keeping the capacity (restore).
  pub fn clear(&mut self) {
    let capacity = self.records.len();
    self.records.iter_mut().for_each(|r| *r = Order::default());
    self.free.clear();
    self.free.extend((0..capacity).rev().map(|i| i as u32));
  }

  /// Fills a new order's record from its command: all of it open, nothing filled, at no level.
  #[inline]
  pub fn init(&mut self, o: u32, cmd: &Command, stp: u8) {
    self.stop_prices[o as usize] = cmd.stop_price;
    let r = &mut self.records[o as usize];
    r.id = cmd.order_id;
    r.price = cmd.price;
    r.qty = cmd.qty;
    r.leaves_qty = cmd.qty;
    r.cum_qty = 0.0;
    r.level = NONE;
    r.account = cmd.account_id;
    r.symbol = cmd.symbol_id;
    r.side = cmd.side;
    r.order_type = cmd.order_type;
    r.tif = cmd.tif;
    r.stp = stp;
  }

  #[inline(always)]
  pub fn get(&self, o: u32) -> &Order {
    &self.records[o as usize]
  }

  #[inline(always)]
  pub fn get_mut(&mut self, o: u32) -> &mut Order {
    &mut self.records[o as usize]
  }

  /// Records a fill of `q`: that much less open, that much more filled.
  #[inline]
  pub fn fill(&mut self, o: u32, q: f64) {
    let r = &mut self.records[o as usize];
    r.leaves_qty -= q;
    r.cum_qty += q;
  }
}
