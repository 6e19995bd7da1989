//! The engine's counters (the JS EngineCounters), as doubles like the JS numbers they mirror.

#[derive(Default, Clone, Copy)]
pub struct Counters {
  pub commands: f64,
  pub new_orders: f64,
  pub cancels: f64,
  pub amends: f64,
  pub invalid: f64,
  pub rejected: f64,
  pub trades: f64,
  pub volume: f64,
  pub triggered: f64,
  pub expired: f64,
  pub stp_cancels: f64,
}

impl Counters {
  /// In the JS EngineCounters key order.
  pub fn to_array(&self) -> [f64; 11] {
    [
      self.commands,
      self.new_orders,
      self.cancels,
      self.amends,
      self.invalid,
      self.rejected,
      self.trades,
      self.volume,
      self.triggered,
      self.expired,
      self.stp_cancels,
    ]
  }

  pub fn from_array(a: &[f64]) -> Counters {
    Counters {
      commands: a[0],
      new_orders: a[1],
      cancels: a[2],
      amends: a[3],
      invalid: a[4],
      rejected: a[5],
      trades: a[6],
      volume: a[7],
      triggered: a[8],
      expired: a[9],
      stp_cancels: a[10],
    }
  }
}
