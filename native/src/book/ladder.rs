//! One side of a book: its price levels sorted by key, the best level LAST. Bids use key = price and
//! asks key = -price, so both sides share one order and touch-side inserts and removes move few
//! elements.

pub struct Ladder {
  pub keys: Vec<f64>,
  /// Level slot of each key.
  pub levels: Vec<u32>,
}

impl Ladder {
  pub fn new() -> Ladder {
    Ladder { keys: Vec::with_capacity(64), levels: Vec::with_capacity(64) }
  }

  #[inline(always)]
  pub fn count(&self) -> usize {
    self.keys.len()
  }

  /// The best level's key and slot.
  #[inline(always)]
  pub fn best(&self) -> Option<(f64, u32)> {
    let n = self.keys.len();
    if n == 0 {
      None
    } else {
      Some((self.keys[n - 1], self.levels[n - 1]))
    }
  }

  /// Index of the first key >= k: scans down from the best first, since most activity is near the touch.
  #[inline]
  pub fn lower_bound(&self, k: f64) -> usize {
    let keys = &self.keys;
    let mut hi = keys.len();
    let stop = hi.saturating_sub(8);
    while hi > stop {
      if keys[hi - 1] < k {
        return hi;
      }
      hi -= 1;
    }
    if hi == 0 {
      0
    } else {
      keys[..hi].partition_point(|&x| x < k)
    }
  }

  #[inline]
  pub fn insert_at(&mut self, i: usize, k: f64, level: u32) {
    self.keys.insert(i, k);
    self.levels.insert(i, level);
  }

  #[inline]
  pub fn remove_at(&mut self, i: usize) {
    self.keys.remove(i);
    self.levels.remove(i);
  }
}
