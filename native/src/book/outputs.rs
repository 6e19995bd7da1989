//! Where the book writes its outputs: 96-byte output slots (the JS `writeReport` / `writeTrade`
//! layout, every byte written) straight into the caller's region, which may wrap like a ring. Once
//! the region is full the rest of the command's outputs wait in `pending`, which the caller drains
//! before the next batch, so a command that sweeps the book never loses an output.

use super::command::Command;
use super::order_pool::Order;
use super::protocol::{OUTPUT_REPORT, OUTPUT_SLOT_BYTES, OUTPUT_TRADE};

pub type Slot = [u8; OUTPUT_SLOT_BYTES];

pub struct Outputs<'a> {
  bytes: &'a mut [u8],
  /// Next slot index in `bytes` and the slots `bytes` holds (the wrap point).
  next: usize,
  wrap: usize,
  /// Slots the region may still take.
  room: usize,
  /// Outputs written (region and pending).
  pub written: usize,
  pending: &'a mut Vec<u8>,
  /// Reports are counted but not written when off (nobody downstream reads them).
  emit_reports: bool,
  counts: &'a mut OutputCounts,
}

/// Outputs made since the book was created: reports (written or not), rejects among them, trades.
#[derive(Default, Clone, Copy)]
pub struct OutputCounts {
  pub reports: f64,
  pub rejected: f64,
  pub trades: f64,
}

#[inline(always)]
fn put_f64(s: &mut Slot, at: usize, v: f64) {
  s[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

impl<'a> Outputs<'a> {
  /// A region of `room` slots of `bytes` from slot `first` on, wrapping at the end of `bytes`.
  pub fn new(bytes: &'a mut [u8], first: usize, room: usize, pending: &'a mut Vec<u8>, emit_reports: bool, counts: &'a mut OutputCounts) -> Outputs<'a> {
    let wrap = bytes.len() / OUTPUT_SLOT_BYTES;
    Outputs { bytes, next: if wrap == 0 { 0 } else { first % wrap }, wrap, room: room.min(wrap), written: 0, pending, emit_reports, counts }
  }

  /// Slots left in the region (outputs past it go to pending).
  #[inline]
  pub fn room(&self) -> usize {
    self.room
  }

  #[inline(always)]
  fn slot(&mut self) -> &mut Slot {
    self.written += 1;
    if self.room > 0 {
      self.room -= 1;
      let at = self.next * OUTPUT_SLOT_BYTES;
      self.next += 1;
      if self.next == self.wrap {
        self.next = 0;
      }
      return (&mut self.bytes[at..at + OUTPUT_SLOT_BYTES]).try_into().unwrap();
    }
    let at = self.pending.len();
    self.pending.resize(at + OUTPUT_SLOT_BYTES, 0);
    (&mut self.pending[at..at + OUTPUT_SLOT_BYTES]).try_into().unwrap()
  }

  /// A report of order `o`'s state change, read from its record (the JS OrderReport view).
  #[inline]
  pub fn order_report(&mut self, cmd: &Command, o: &Order, status: u8, reason: u16, last_qty: f64, last_price: f64, trade_id: f64) {
    self.counts.reports += 1.0;
    if !self.emit_reports {
      return;
    }
    let s = self.slot();
    put_f64(s, 0, cmd.seq);
    put_f64(s, 8, cmd.timestamp);
    put_f64(s, 16, o.id);
    put_f64(s, 24, o.price);
    put_f64(s, 32, o.cum_qty);
    put_f64(s, 40, o.leaves_qty);
    put_f64(s, 48, last_qty);
    put_f64(s, 56, last_price);
    put_f64(s, 64, trade_id);
    s[72..76].copy_from_slice(&o.account.to_le_bytes());
    s[76..78].copy_from_slice(&o.symbol.to_le_bytes());
    s[78] = OUTPUT_REPORT;
    s[79] = status;
    s[80] = reason as u8;
    s[81] = 0;
    s[82] = o.side;
    s[83] = o.order_type;
    s[84] = o.tif;
    s[85] = 0;
    s[86] = 0;
    s[87] = 0;
    put_f64(s, 88, o.qty);
  }

  /// REJECTED, from the command's values; `with_source` carries its source position (decode rejects).
  pub fn reject(&mut self, cmd: &Command, reason: u16, field: u16, with_source: bool) {
    self.counts.reports += 1.0;
    self.counts.rejected += 1.0;
    if !self.emit_reports {
      return;
    }
    let s = self.slot();
    let has_source = with_source && cmd.source_position >= 0.0;
    put_f64(s, 0, cmd.seq);
    put_f64(s, 8, cmd.timestamp);
    put_f64(s, 16, cmd.order_id);
    put_f64(s, 24, cmd.price);
    put_f64(s, 32, 0.0);
    put_f64(s, 40, 0.0);
    put_f64(s, 48, 0.0);
    put_f64(s, 56, 0.0);
    put_f64(s, 64, if has_source { cmd.source_position } else { 0.0 });
    s[72..76].copy_from_slice(&cmd.account_id.to_le_bytes());
    s[76..78].copy_from_slice(&cmd.symbol_id.to_le_bytes());
    s[78] = OUTPUT_REPORT;
    s[79] = super::protocol::status::REJECTED;
    s[80] = reason as u8;
    s[81] = field as u8;
    s[82] = cmd.side;
    s[83] = cmd.order_type;
    s[84] = cmd.tif;
    s[85] = has_source as u8;
    s[86..88].copy_from_slice(&(if has_source { cmd.source_stream } else { 0 }).to_le_bytes());
    put_f64(s, 88, cmd.qty);
  }

  /// A trade of `qty` at `price` between resting `maker` and incoming `taker`.
  #[inline]
  pub fn trade(&mut self, cmd: &Command, trade_id: f64, price: f64, qty: f64, maker: &Order, taker: &Order) {
    self.counts.trades += 1.0;
    let s = self.slot();
    put_f64(s, 0, cmd.seq);
    put_f64(s, 8, cmd.timestamp);
    put_f64(s, 16, maker.id);
    put_f64(s, 24, price);
    put_f64(s, 32, qty);
    put_f64(s, 40, taker.id);
    put_f64(s, 48, trade_id);
    put_f64(s, 56, taker.account as f64);
    put_f64(s, 64, 0.0);
    s[72..76].copy_from_slice(&maker.account.to_le_bytes());
    s[76..78].copy_from_slice(&taker.symbol.to_le_bytes());
    s[78] = OUTPUT_TRADE;
    s[79..96].fill(0);
    s[82] = taker.side;
  }
}
