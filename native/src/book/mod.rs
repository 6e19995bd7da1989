//! The native book: the JS book's matching rules in Rust, driven in batches over binary slots. One
//! call takes a run of command slots and writes every report and trade straight into output
//! slots, so a command costs no JS object and no Node-API call of its own (a call costs ~0.6 us
//! here; a command ~0.1 us).

mod command;
mod counters;
mod engine;
mod id_map;
mod ladder;
mod level_pool;
mod matching;
mod new_order_checks;
mod order_pool;
mod outputs;
mod protocol;
mod resting;
mod self_trade;
mod snapshot;
mod source_positions;
mod stop_list;
mod symbol_book;

use command::Command;
use engine::Engine;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use outputs::{OutputCounts, Outputs};
use protocol::{COMMAND_SLOT_BYTES, OUTPUT_SLOT_BYTES};
use source_positions::SourcePositions;

/// The byte of a command slot whose top two bits are its marks (the kind is below them), and those bits.
const MARKS_AT: usize = 62;
const MARK_BITS: u8 = 0xc0;

fn invalid(message: &str) -> Error {
  Error::new(Status::InvalidArg, message.to_owned())
}

/// A matching engine over every symbol of a symbol table (the JS MatchingEngine's rules). The calls
/// that run the book catch a panic (a bug) and throw it as a JS error, so the matcher fails loudly
/// with it instead of aborting the process.
#[napi]
pub struct NativeBook {
  engine: Engine,
  /// Outputs that did not fit the caller's region, waiting for `drain`, and how much of them went.
  pending: Vec<u8>,
  pending_read: usize,
  emit_reports: bool,
  counts: OutputCounts,
  positions: SourcePositions,
}

#[napi]
impl NativeBook {
  /// Symbol `ids[i]` has tick size `tickSizes[i]` and lot size `lotSizes[i]`.
  #[napi(constructor)]
  pub fn new(ids: Vec<u32>, tick_sizes: Vec<f64>, lot_sizes: Vec<f64>, initial_orders: Option<u32>, initial_levels: Option<u32>) -> Result<Self> {
    if ids.len() != tick_sizes.len() || ids.len() != lot_sizes.len() {
      return Err(invalid("NativeBook: ids, tickSizes and lotSizes differ in length"));
    }
    let mut symbols = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
      let id = u16::try_from(ids[i]).map_err(|_| invalid("NativeBook: a symbol id is not 0..65535"))?;
      if !(tick_sizes[i] >= 1.0 && lot_sizes[i] >= 1.0) {
        return Err(invalid("NativeBook: tick and lot sizes must be >= 1"));
      }
      symbols.push((id, tick_sizes[i], lot_sizes[i]));
    }
    let orders = initial_orders.unwrap_or(1 << 14).max(16) as usize;
    let levels = initial_levels.unwrap_or(1 << 12).max(16) as usize;
    Ok(NativeBook {
      engine: Engine::new(&symbols, orders, levels),
      pending: Vec::new(),
      pending_read: 0,
      emit_reports: true,
      counts: OutputCounts::default(),
      positions: SourcePositions::new(),
    })
  }

  /// Processes the `count` command slots of `commands` from slot `from` on, writing their outputs
  /// into `out` from slot `outSlot` on (wrapping at the end of `out`, like a ring), at most
  /// `outRoom` slots. Outputs past that wait for `drain`; it stops before a command once any wait.
  /// Returns the commands processed; `progress` gets [outputs written into `out`, outputs waiting,
  /// then the output counts as readOutputCounts gives them, and, when 6 long, 1 if it stopped at a
  /// mark, else 0]. With `firstSeq`, slot k must carry sequence `firstSeq` + k (a slot that does not
  /// is an error, before it is processed): the matcher's check that the ring holds what was
  /// published. With `stopMarks`, it stops after a command whose slot carries one of those mark
  /// bits (the matcher snapshots there). Each command's source position is kept per stream
  /// (readSourcePositions).
  #[napi(catch_unwind)]
  #[allow(clippy::too_many_arguments)]
  pub fn process(
    &mut self,
    commands: Uint8ArraySlice<'_>,
    from: u32,
    count: u32,
    mut out: Uint8ArraySlice<'_>,
    out_slot: u32,
    out_room: u32,
    mut progress: Float64ArraySlice<'_>,
    first_seq: Option<f64>,
    stop_marks: Option<u32>,
  ) -> Result<u32> {
    // Safety: the views are the caller's, borrowed for this synchronous call only.
    let (out, progress) = (unsafe { out.as_mut() }, unsafe { progress.as_mut() });
    let expected = first_seq.filter(|&seq| seq > 0.0);
    let stop_marks = stop_marks.unwrap_or(0).min(0xff) as u8 & MARK_BITS;
    let first = from as usize * COMMAND_SLOT_BYTES;
    let end = first + count as usize * COMMAND_SLOT_BYTES;
    if end > commands.len() || progress.len() < 5 {
      return Err(invalid("NativeBook.process: command range past the buffer, or progress shorter than 5"));
    }
    if self.waiting() > 0 {
      return Err(invalid("NativeBook.process: outputs are waiting; drain them first"));
    }
    self.pending.clear();
    self.pending_read = 0;
    let mut outputs = Outputs::new(out, out_slot as usize, out_room as usize, &mut self.pending, self.emit_reports, &mut self.counts);
    let mut done = 0u32;
    let mut at_mark = false;
    for slot in commands[first..end].chunks_exact(COMMAND_SLOT_BYTES) {
      if let Some(first) = expected {
        let (seq, want) = (f64::from_le_bytes(slot[..8].try_into().unwrap()), first + f64::from(done));
        if seq != want {
          return Err(Error::new(Status::GenericFailure, format!("command slot carries sequence {seq}, expected {want}")));
        }
      }
      let command = Command::read(slot);
      self.positions.note(command.source_stream, command.source_position);
      self.engine.process(&command, &mut outputs);
      done += 1;
      if slot[MARKS_AT] & stop_marks != 0 {
        at_mark = true;
        break;
      }
      if outputs.room() == 0 {
        break;
      }
    }
    let in_region = outputs.written - self.pending.len() / OUTPUT_SLOT_BYTES;
    progress[0] = in_region as f64;
    progress[1] = self.waiting() as f64;
    progress[2] = self.counts.reports;
    progress[3] = self.counts.rejected;
    progress[4] = self.counts.trades;
    if progress.len() > 5 {
      progress[5] = f64::from(u8::from(at_mark));
    }
    Ok(done)
  }

  /// Outputs waiting for `drain`.
  #[napi(getter)]
  pub fn waiting(&self) -> u32 {
    ((self.pending.len() - self.pending_read) / OUTPUT_SLOT_BYTES) as u32
  }

  /// Moves up to `outRoom` waiting outputs into `out` from slot `outSlot` on (wrapping); returns how many.
  #[napi(catch_unwind)]
  pub fn drain(&mut self, mut out: Uint8ArraySlice<'_>, out_slot: u32, out_room: u32) -> u32 {
    let out = unsafe { out.as_mut() };
    let wrap = out.len() / OUTPUT_SLOT_BYTES;
    let n = (self.waiting() as usize).min(out_room as usize).min(wrap);
    let mut at = if wrap == 0 { 0 } else { out_slot as usize % wrap };
    for _ in 0..n {
      let src = &self.pending[self.pending_read..self.pending_read + OUTPUT_SLOT_BYTES];
      out[at * OUTPUT_SLOT_BYTES..(at + 1) * OUTPUT_SLOT_BYTES].copy_from_slice(src);
      self.pending_read += OUTPUT_SLOT_BYTES;
      at += 1;
      if at == wrap {
        at = 0;
      }
    }
    n as u32
  }

  /// The counters, in the JS EngineCounters key order (commands, newOrders, cancels, amends,
  /// invalid, rejected, trades, volume, triggered, expired, stpCancels), into `into`.
  #[napi]
  pub fn read_counters(&self, mut into: Float64ArraySlice<'_>) -> Result<()> {
    let into = unsafe { into.as_mut() };
    let values = self.engine.matcher.counters.to_array();
    if into.len() < values.len() {
      return Err(invalid("NativeBook.readCounters: array shorter than 11"));
    }
    into[..values.len()].copy_from_slice(&values);
    Ok(())
  }

  /// Reports are written (the default), or only counted when nobody downstream reads them.
  #[napi(setter)]
  pub fn set_emit_reports(&mut self, emit: bool) {
    self.emit_reports = emit;
  }

  /// Outputs made so far, [reports (written or not), rejects among them, trades], into `into`.
  #[napi]
  pub fn read_output_counts(&self, mut into: Float64ArraySlice<'_>) -> Result<()> {
    let into = unsafe { into.as_mut() };
    if into.len() < 3 {
      return Err(invalid("NativeBook.readOutputCounts: array shorter than 3"));
    }
    into[..3].copy_from_slice(&[self.counts.reports, self.counts.rejected, self.counts.trades]);
    Ok(())
  }

  /// The complete state (the JS book's snapshot format: either book restores the other's).
  #[napi(catch_unwind)]
  pub fn snapshot(&self) -> Buffer {
    snapshot::encode(&self.engine).into()
  }

  /// Replaces the whole state with a snapshot's (same symbol table); a bad snapshot leaves the book
  /// empty and throws with the JS SnapshotError's message.
  #[napi(catch_unwind)]
  pub fn restore(&mut self, bytes: Uint8ArraySlice<'_>) -> Result<()> {
    self.pending.clear();
    self.pending_read = 0;
    self.positions.clear();
    snapshot::restore(&mut self.engine, &bytes).map_err(|message| Error::new(Status::GenericFailure, message))
  }

  /// The source position of the last command processed from each stream 0.. (NaN: none yet) into
  /// `into`, as many as fit; returns how many streams there are.
  #[napi]
  pub fn read_source_positions(&self, mut into: Float64ArraySlice<'_>) -> u32 {
    self.positions.read_into(unsafe { into.as_mut() }) as u32
  }

  /// Sets an account's default self-trade prevention mode (used by orders with stp = Default).
  #[napi]
  pub fn set_account_stp(&mut self, account_id: u32, mode: u32) {
    self.engine.stp.set(account_id, mode as u8);
  }

  #[napi]
  pub fn account_stp_mode(&self, account_id: u32) -> u32 {
    self.engine.stp.get(account_id) as u32
  }

  /// Number of live orders (resting + untriggered stops).
  #[napi(getter)]
  pub fn open_orders(&self) -> u32 {
    self.engine.matcher.ids.len() as u32
  }

  /// Price of the symbol's last trade, 0 before any.
  #[napi]
  pub fn last_trade_price(&self, symbol_id: u32) -> f64 {
    self.book(symbol_id).map_or(0.0, |b| b.last_price)
  }

  /// Best price of a side (0 buy, 1 sell), 0 when empty or an unknown symbol.
  #[napi]
  pub fn best_price(&self, symbol_id: u32, side: u32) -> f64 {
    let Some(book) = self.book(symbol_id) else { return 0.0 };
    match book.ladders[(side & 1) as usize].best() {
      Some((_, l)) => self.engine.matcher.levels.get(l).price,
      None => 0.0,
    }
  }

  /// The top `max` levels of one side, best first, written into the arrays from index `at`;
  /// returns how many.
  #[napi]
  #[allow(clippy::too_many_arguments)]
  pub fn top_levels(
    &self,
    symbol_id: u32,
    side: u32,
    max: u32,
    mut prices: Float64ArraySlice<'_>,
    mut qtys: Float64ArraySlice<'_>,
    mut orders: Int32ArraySlice<'_>,
    at: u32,
  ) -> Result<u32> {
    let (prices, qtys, orders) = unsafe { (prices.as_mut(), qtys.as_mut(), orders.as_mut()) };
    let Some(book) = self.book(symbol_id) else { return Ok(0) };
    let lad = &book.ladders[(side & 1) as usize];
    let at = at as usize;
    let n = (max as usize).min(lad.count());
    if at + n > prices.len() || at + n > qtys.len() || at + n > orders.len() {
      return Err(invalid("NativeBook.topLevels: arrays too short"));
    }
    for i in 0..n {
      let level = self.engine.matcher.levels.get(lad.levels[lad.count() - 1 - i]);
      prices[at + i] = level.price;
      qtys[at + i] = level.qty;
      orders[at + i] = level.order_count as i32;
    }
    Ok(n as u32)
  }

  /// Price levels on a side (for sizing topLevels' arrays).
  #[napi]
  pub fn level_count(&self, symbol_id: u32, side: u32) -> u32 {
    self.book(symbol_id).map_or(0, |b| b.ladders[(side & 1) as usize].count() as u32)
  }
}

impl NativeBook {
  fn book(&self, symbol_id: u32) -> Option<&symbol_book::SymbolBook> {
    self.engine.books.get(symbol_id as usize).and_then(|b| b.as_ref())
  }
}
