//! Untriggered stop orders of one side of a book, sorted by trigger key with the next to trigger
//! LAST (buy stops: key = -stopPrice, sell stops: key = stopPrice); among equal keys the earlier
//! arrival is nearer the end, so stops at one price trigger in arrival order.

pub struct StopList {
  pub keys: Vec<f64>,
  /// Order slot of each key.
  pub orders: Vec<u32>,
}

impl StopList {
  pub fn new() -> StopList {
    StopList { keys: Vec::new(), orders: Vec::new() }
  }

  #[inline(always)]
  pub fn count(&self) -> usize {
    self.keys.len()
  }

  pub fn insert(&mut self, k: f64, o: u32) {
    // first index with key >= k: a later arrival goes below equal keys
    let i = self.keys.partition_point(|&x| x < k);
    self.keys.insert(i, k);
    self.orders.insert(i, o);
  }

  /// Appends at the end (restore: entries arrive already in order).
  pub fn push(&mut self, k: f64, o: u32) {
    self.keys.push(k);
    self.orders.push(o);
  }

  pub fn remove(&mut self, o: u32) {
    if let Some(i) = self.orders.iter().rposition(|&x| x == o) {
      self.keys.remove(i);
      self.orders.remove(i);
    }
  }

  /// Takes the next stop to trigger when `reached(key)`.
  #[inline]
  pub fn pop_if(&mut self, reached: impl Fn(f64) -> bool) -> Option<u32> {
    match self.keys.last() {
      Some(&k) if reached(k) => {
        self.keys.pop();
        self.orders.pop()
      }
      _ => None,
    }
  }
}
