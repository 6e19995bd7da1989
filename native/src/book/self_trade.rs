//! Per-account default self-trade prevention modes, used by orders whose own mode is Default.

use super::command::Command;
use super::protocol::stp;
use std::collections::HashMap;

#[derive(Default)]
pub struct AccountStpModes {
  modes: HashMap<u32, u8>,
}

impl AccountStpModes {
  /// Default and None both mean "no account default".
  pub fn set(&mut self, account: u32, mode: u8) {
    if mode == stp::DEFAULT || mode == stp::NONE {
      self.modes.remove(&account);
    } else {
      self.modes.insert(account, mode);
    }
  }

  pub fn get(&self, account: u32) -> u8 {
    self.modes.get(&account).copied().unwrap_or(stp::NONE)
  }

  /// The mode a new order runs under (never Default).
  #[inline]
  pub fn effective(&self, cmd: &Command) -> u8 {
    if cmd.stp == stp::DEFAULT {
      if self.modes.is_empty() {
        stp::NONE
      } else {
        self.get(cmd.account_id)
      }
    } else {
      cmd.stp
    }
  }

  /// [account, mode] pairs by account id (a deterministic order for snapshots).
  pub fn sorted(&self) -> Vec<(u32, u8)> {
    let mut v: Vec<(u32, u8)> = self.modes.iter().map(|(&a, &m)| (a, m)).collect();
    v.sort_unstable();
    v
  }

  pub fn clear(&mut self) {
    self.modes.clear();
  }
}
