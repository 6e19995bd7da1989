//! One command slot (64 bytes, little-endian) decoded as the JS `readCommand` decodes it.

use super::protocol::kind;

#[derive(Clone, Copy, Default)]
pub struct Command {
  pub seq: f64,
  pub order_id: f64,
  pub price: f64,
  pub qty: f64,
  pub stop_price: f64,
  pub timestamp: f64,
  /// -1 when unknown.
  pub source_position: f64,
  pub source_stream: i16,
  pub account_id: u32,
  pub symbol_id: u16,
  pub kind: u8,
  pub side: u8,
  pub order_type: u8,
  pub tif: u8,
  pub stp: u8,
  /// Invalid commands only: the decode reason and field.
  pub reason: u16,
  pub field: u16,
}

#[inline]
fn f64_at(b: &[u8], at: usize) -> f64 {
  f64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

impl Command {
  /// Decodes the slot `s` (exactly 64 bytes).
  #[inline]
  pub fn read(s: &[u8]) -> Command {
    let kind = s[62] & 0x3f;
    let invalid = kind == kind::INVALID;
    let lo = u32::from_le_bytes(s[48..52].try_into().unwrap());
    let hi = u16::from_le_bytes(s[52..54].try_into().unwrap());
    let flags = s[63];
    Command {
      seq: f64_at(s, 0),
      order_id: f64_at(s, 8),
      price: if invalid { 0.0 } else { f64_at(s, 16) },
      qty: f64_at(s, 24),
      stop_price: f64_at(s, 32),
      timestamp: f64_at(s, 40),
      source_position: if hi == 0xffff && lo == 0xffff_ffff { -1.0 } else { hi as f64 * 4_294_967_296.0 + lo as f64 },
      source_stream: i16::from_le_bytes(s[54..56].try_into().unwrap()),
      account_id: u32::from_le_bytes(s[56..60].try_into().unwrap()),
      symbol_id: u16::from_le_bytes(s[60..62].try_into().unwrap()),
      kind,
      side: flags & 1,
      order_type: (flags >> 1) & 3,
      tif: (flags >> 3) & 3,
      stp: (flags >> 5) & 7,
      reason: if invalid { u16::from_le_bytes(s[16..18].try_into().unwrap()) } else { 0 },
      field: if invalid { u16::from_le_bytes(s[18..20].try_into().unwrap()) } else { 0 },
    }
  }
}
