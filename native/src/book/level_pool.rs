//! The price level pool: one 32-byte record per price level with resting orders (its price, side,
//! open quantity and the FIFO of its orders), indexed by slot, freed slots reused from a stack.

use super::order_pool::NONE;

#[derive(Clone, Copy, Default)]
#[repr(C)]
pub struct Level {
  pub price: f64,
  /// Sum of the open quantity of the level's orders.
  pub qty: f64,
  /// Oldest order (first to match) and youngest, or NONE.
  pub head: u32,
  pub tail: u32,
  pub order_count: u32,
  pub side: u32,
}

pub struct LevelPool {
  pub records: Vec<Level>,
  free: Vec<u32>,
}

impl LevelPool {
  pub fn new(capacity: usize) -> LevelPool {
    let mut pool = LevelPool { records: Vec::new(), free: Vec::new() };
    pool.grow(capacity.max(16));
    pool
  }

  fn grow(&mut self, capacity: usize) {
    let old = self.records.len();
    self.records.resize(capacity, Level::default());
    self.free.extend((old..capacity).rev().map(|i| i as u32));
  }

  /// Takes a free slot as an empty level at `price` on `side`.
  #[inline]
  pub fn alloc(&mut self, price: f64, side: u8) -> u32 {
    if self.free.is_empty() {
      let capacity = self.records.len() * 2;
      self.grow(capacity);
    }
    let l = self.free.pop().unwrap();
    self.records[l as usize] = Level { price, qty: 0.0, head: NONE, tail: NONE, order_count: 0, side: side as u32 };
    l
  }

  #[inline]
  pub fn free(&mut self, l: u32) {
    self.free.push(l);
  }

  /// Frees every slot, keeping the capacity (restore).
  pub fn clear(&mut self) {
    let capacity = self.records.len();
    self.free.clear();
    self.free.extend((0..capacity).rev().map(|i| i as u32));
  }

  #[inline(always)]
  pub fn get(&self, l: u32) -> &Level {
    &self.records[l as usize]
  }

  #[inline(always)]
  pub fn get_mut(&mut self, l: u32) -> &mut Level {
    &mut self.records[l as usize]
  }
}
