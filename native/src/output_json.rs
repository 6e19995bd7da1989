//! Output JSON (trades and execution reports) written from output-ring slots straight into a
//! record buffer: the text of the JS `OutputJsonEncoder`, byte for byte, at a fraction of its CPU
//! (the Kafka sink's JSON encoding was a quarter of the engine's CPU per order). Every constant
//! piece of text comes from JS at construction, so the two encoders cannot drift in wording; a
//! differential test holds them equal. A slot the writer cannot render exactly as JS would (a
//! field that is not a safe integer) is left to the JS encoder: a run stops before it. One call
//! writes a run of outputs: a Node-API call costs more than JS spends encoding one output.

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Bytes of one output slot (`OUTPUT_SLOT_BYTES` in @ringmatch/protocol).
const SLOT_BYTES: usize = 96;
/// Output kinds at slot byte 78 (`OutputKind`).
const KIND_TRADE: u8 = 2;
const KIND_REPORT: u8 = 1;
/// Report flag at byte 85: bytes 64.. hold the source position, 86.. the source stream.
const REPORT_FLAG_SOURCE: u8 = 1;
/// Largest magnitude written exactly (2^53, as `Number.isSafeInteger`).
const SAFE: f64 = 9_007_199_254_740_991.0;

/// The constant text of the JS encoder, by piece; enum tables hold 256 entries (u8 fields).
#[napi(object)]
pub struct OutputJsonText {
  pub trade_open: String,
  pub trade_after_n: String,
  pub report_open: String,
  pub report_after_n: String,
  pub n_head: String,
  pub ts: String,
  pub trade_id: String,
  pub trade_price: String,
  pub trade_qty: String,
  pub trade_maker: String,
  pub trade_taker: String,
  pub trade_maker_account: String,
  pub trade_taker_account: String,
  pub order: String,
  pub account: String,
  pub price: String,
  pub stop: String,
  pub qty: String,
  pub cum: String,
  pub leaves: String,
  pub last_qty: String,
  pub last_price: String,
  pub report_trade_id: String,
  pub reason_code: String,
  pub source_partition: String,
  pub source_offset: String,
  pub close: String,
  pub close_source: String,
  /// `,"symbolId":` for symbol ids without a name.
  pub unnamed_symbol: String,
  /// Symbol ids with a name and their whole piece (`,"symbol":"X","symbolId":N`).
  pub symbol_ids: Vec<u32>,
  pub symbol_parts: Vec<String>,
  pub status: Vec<String>,
  pub side: Vec<String>,
  pub order_type: Vec<String>,
  pub tif: Vec<String>,
  pub reason: Vec<String>,
  pub field: Vec<String>,
  pub taker_side: Vec<String>,
}

struct Text {
  trade_open: Piece,
  trade_after_n: Piece,
  report_open: Piece,
  report_after_n: Piece,
  n_head: Piece,
  ts: Piece,
  trade_id: Piece,
  trade_price: Piece,
  trade_qty: Piece,
  trade_maker: Piece,
  trade_taker: Piece,
  trade_maker_account: Piece,
  trade_taker_account: Piece,
  order: Piece,
  account: Piece,
  price: Piece,
  stop: Piece,
  qty: Piece,
  cum: Piece,
  leaves: Piece,
  last_qty: Piece,
  last_price: Piece,
  report_trade_id: Piece,
  reason_code: Piece,
  source_partition: Piece,
  source_offset: Piece,
  close: Piece,
  close_source: Piece,
  unnamed_symbol: Piece,
  /// By symbol id (65,536 entries): empty for an id without a name.
  symbols: Vec<Piece>,
  status: Vec<Piece>,
  side: Vec<Piece>,
  order_type: Vec<Piece>,
  tif: Vec<Piece>,
  reason: Vec<Piece>,
  field: Vec<Piece>,
  taker_side: Vec<Piece>,
  /// Longest output (bytes, newline included) the writer can produce.
  max_bytes: usize,
}

/// A piece of text padded with zeros to whole 16-byte chunks, so that writing it is a few
/// fixed-size copies instead of a `memmove` call (pieces are 1-60 bytes; the slack past its end
/// is overwritten by what follows, and `max_bytes` leaves room for it).
#[derive(Clone, Default)]
struct Piece {
  chunks: Box<[u8]>,
  len: usize,
}

impl Piece {
  fn len(&self) -> usize {
    self.len
  }
  fn is_empty(&self) -> bool {
    self.len == 0
  }
}

/// Bytes a write may touch past the end it returns.
const SLACK: usize = 16;

fn bytes(text: String) -> Piece {
  let len = text.len();
  let mut chunks = text.into_bytes();
  chunks.resize(len.div_ceil(SLACK) * SLACK, 0);
  Piece { chunks: chunks.into_boxed_slice(), len }
}

fn table(name: &str, texts: Vec<String>) -> Result<Vec<Piece>> {
  if texts.len() != 256 {
    return Err(Error::new(Status::InvalidArg, format!("{name}: {} entries, not 256", texts.len())));
  }
  Ok(texts.into_iter().map(bytes).collect())
}

fn longest(table: &[Piece]) -> usize {
  table.iter().map(|t| t.len()).max().unwrap_or(0)
}

/// A cursor over the record buffer; every piece is bounds-checked once, by `max_bytes` up front.
struct Out<'a> {
  buf: &'a mut [u8],
  at: usize,
}

impl Out<'_> {
  #[inline(always)]
  fn put(&mut self, piece: &Piece) {
    let chunks = &piece.chunks;
    assert!(self.at + chunks.len() <= self.buf.len());
    // Safety: in bounds, checked above (once per output in effect: `max_bytes` has the slack).
    unsafe {
      let to = self.buf.as_mut_ptr().add(self.at);
      let mut i = 0;
      while i < chunks.len() {
        std::ptr::copy_nonoverlapping(chunks.as_ptr().add(i), to.add(i), SLACK);
        i += SLACK;
      }
    }
    self.at += piece.len;
  }

  #[inline(always)]
  fn put_bytes(&mut self, text: &[u8]) {
    self.buf[self.at..self.at + text.len()].copy_from_slice(text);
    self.at += text.len();
  }

  /// The decimal text JS gives a safe integer; false for anything else (left to JS).
  #[inline(always)]
  fn int(&mut self, v: f64) -> bool {
    // A cast and a compare, not f64::trunc (a libm call on baseline x86-64). -0 prints as 0 in JS too.
    let whole = v as i64;
    if whole as f64 != v || v.abs() > SAFE {
      return false;
    }
    let mut rest = whole.unsigned_abs();
    if whole < 0 {
      self.put_bytes(b"-");
    }
    let len = digit_count(rest);
    let end = self.at + len;
    let digits = &mut self.buf[self.at..end];
    let mut i = len;
    while rest >= 100 {
      let pair = (rest % 100) as usize * 2;
      rest /= 100;
      i -= 2;
      digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if rest >= 10 {
      digits[..2].copy_from_slice(&DIGIT_PAIRS[rest as usize * 2..rest as usize * 2 + 2]);
    } else {
      digits[0] = b'0' + rest as u8;
    }
    self.at = end;
    true
  }
}

/// "00" to "99".
const DIGIT_PAIRS: &[u8; 200] = &digit_pairs();

const fn digit_pairs() -> [u8; 200] {
  let mut pairs = [0u8; 200];
  let mut i = 0;
  while i < 100 {
    pairs[2 * i] = b'0' + (i / 10) as u8;
    pairs[2 * i + 1] = b'0' + (i % 10) as u8;
    i += 1;
  }
  pairs
}

/// Decimal digits of `v` (1 for 0).
#[inline(always)]
fn digit_count(v: u64) -> usize {
  let mut count = 1;
  let mut limit = 10u64;
  while count < 20 && v >= limit {
    count += 1;
    limit = limit.wrapping_mul(10);
  }
  count
}

#[inline(always)]
fn f64_at(slot: &[u8], at: usize) -> f64 {
  f64::from_le_bytes(slot[at..at + 8].try_into().unwrap())
}

#[inline(always)]
fn u32_at(slot: &[u8], at: usize) -> u32 {
  u32::from_le_bytes(slot[at..at + 4].try_into().unwrap())
}

/// Writes output JSON from output-ring slots (one per reading thread). See the module comment.
#[napi]
pub struct OutputJsonWriter {
  text: Text,
}

#[napi]
impl OutputJsonWriter {
  #[napi(constructor)]
  pub fn new(t: OutputJsonText) -> Result<Self> {
    if t.symbol_ids.len() != t.symbol_parts.len() {
      return Err(Error::new(Status::InvalidArg, "symbolIds and symbolParts differ in length".to_owned()));
    }
    let mut symbols: Vec<Piece> = vec![Piece::default(); 65_536];
    for (id, part) in t.symbol_ids.into_iter().zip(t.symbol_parts) {
      let slot = symbols.get_mut(id as usize).ok_or_else(|| Error::new(Status::InvalidArg, format!("symbol id {id} is over 65535")))?;
      *slot = bytes(part);
    }
    let (status, side, order_type, tif) = (table("status", t.status)?, table("side", t.side)?, table("orderType", t.order_type)?, table("tif", t.tif)?);
    let (reason, field, taker_side) = (table("reason", t.reason)?, table("field", t.field)?, table("takerSide", t.taker_side)?);
    let fixed = [
      &t.trade_after_n,
      &t.report_after_n,
      &t.n_head,
      &t.ts,
      &t.trade_id,
      &t.trade_price,
      &t.trade_qty,
      &t.trade_maker,
      &t.trade_taker,
      &t.trade_maker_account,
      &t.trade_taker_account,
      &t.order,
      &t.account,
      &t.price,
      &t.stop,
      &t.qty,
      &t.cum,
      &t.leaves,
      &t.last_qty,
      &t.last_price,
      &t.report_trade_id,
      &t.reason_code,
      &t.source_partition,
      &t.source_offset,
      &t.close_source,
      &t.close,
      &t.unnamed_symbol,
    ]
    .iter()
    .map(|s| s.len())
    .sum::<usize>();
    let enums = [&status, &side, &order_type, &tif, &reason, &field, &taker_side].iter().map(|t| longest(t)).sum::<usize>();
    // Every piece at most once, 17 integers (a report's 16 and a symbol id) of at most 17
    // characters ("-" and 16 digits), and the newline.
    let max_bytes = fixed + enums + longest(&symbols) + 17 * 17 + 1 + SLACK;
    Ok(OutputJsonWriter {
      text: Text {
        trade_open: bytes(t.trade_open),
        trade_after_n: bytes(t.trade_after_n),
        report_open: bytes(t.report_open),
        report_after_n: bytes(t.report_after_n),
        n_head: bytes(t.n_head),
        ts: bytes(t.ts),
        trade_id: bytes(t.trade_id),
        trade_price: bytes(t.trade_price),
        trade_qty: bytes(t.trade_qty),
        trade_maker: bytes(t.trade_maker),
        trade_taker: bytes(t.trade_taker),
        trade_maker_account: bytes(t.trade_maker_account),
        trade_taker_account: bytes(t.trade_taker_account),
        order: bytes(t.order),
        account: bytes(t.account),
        price: bytes(t.price),
        stop: bytes(t.stop),
        qty: bytes(t.qty),
        cum: bytes(t.cum),
        leaves: bytes(t.leaves),
        last_qty: bytes(t.last_qty),
        last_price: bytes(t.last_price),
        report_trade_id: bytes(t.report_trade_id),
        reason_code: bytes(t.reason_code),
        source_partition: bytes(t.source_partition),
        source_offset: bytes(t.source_offset),
        close: bytes(t.close),
        close_source: bytes(t.close_source),
        unnamed_symbol: bytes(t.unnamed_symbol),
        symbols,
        status,
        side,
        order_type,
        tif,
        reason,
        field,
        taker_side,
        max_bytes,
      },
    })
  }

  /// Most bytes one output can take (newline included): have this much free at `at`.
  #[napi(getter)]
  pub fn max_bytes(&self) -> u32 {
    self.text.max_bytes as u32
  }

  /// Writes the trades and reports in the output slots at byte offsets `slotOffsets[from ..
  /// from + count)` of `ring`, in order, into `out` from byte `at`. Without `indexes`: NDJSON
  /// record values, a newline between two outputs, and one before the first when `lead` (`out`
  /// already holds an output). With `indexes`: file lines, each with a leading `"n":` field of
  /// `indexes[i]` and a newline after it. Stops early before a slot of another kind or with a
  /// field JS writes differently (not a safe integer: JS writes that one), or when fewer than
  /// `maxBytes` + 1 bytes are left. Returns the outputs written; `progress[0]` gets the end.
  #[napi]
  #[allow(clippy::too_many_arguments)]
  pub fn write_run(
    &self,
    ring: Uint8ArraySlice<'_>,
    slot_offsets: Int32ArraySlice<'_>,
    indexes: Option<Int32ArraySlice<'_>>,
    from: u32,
    count: u32,
    mut out: Uint8ArraySlice<'_>,
    at: u32,
    lead: bool,
    mut progress: Float64ArraySlice<'_>,
  ) -> Result<u32> {
    let (ring, offsets, indexes) = (&*ring, &*slot_offsets, indexes.as_deref());
    // Safety: the views are the caller's, borrowed for this synchronous call only.
    let (out, progress) = unsafe { (out.as_mut(), progress.as_mut()) };
    let (from, count) = (from as usize, count as usize);
    if from + count > offsets.len() || indexes.is_some_and(|i| i.len() < from + count) || progress.is_empty() || at as usize > out.len() {
      return Err(Error::new(Status::InvalidArg, "writeRun: bad range, indexes or progress array".to_owned()));
    }
    let lines = indexes.is_some();
    let mut o = Out { buf: out, at: at as usize };
    let mut written = 0usize;
    for i in from..from + count {
      let slot_offset = offsets[i];
      let start = o.at;
      if o.buf.len() - start < self.text.max_bytes + 1 {
        break;
      }
      let slot_offset = slot_offset as usize;
      if slot_offset + SLOT_BYTES > ring.len() {
        return Err(Error::new(Status::InvalidArg, format!("writeRun: slot offset {slot_offset} is outside the ring")));
      }
      let slot = &ring[slot_offset..slot_offset + SLOT_BYTES];
      if !lines && (lead || written > 0) {
        o.put_bytes(b"\n");
      }
      let index = indexes.map_or(-1.0, |indexes| f64::from(indexes[i]));
      let ok = match slot[78] {
        KIND_TRADE => self.trade(slot, &mut o, index),
        KIND_REPORT => self.report(slot, &mut o, index),
        _ => false,
      };
      if !ok {
        o.at = start; // nothing of this one stays: JS writes it
        break;
      }
      if lines {
        o.put_bytes(b"\n");
      }
      written += 1;
    }
    progress[0] = o.at as f64;
    Ok(written as u32)
  }
}

impl OutputJsonWriter {
  fn head(&self, o: &mut Out<'_>, n: f64, open: &Piece, after_n: &Piece) -> bool {
    if n >= 0.0 {
      o.put(&self.text.n_head);
      if !o.int(n) {
        return false;
      }
      o.put(after_n);
    } else {
      o.put(open);
    }
    true
  }

  fn symbol(&self, o: &mut Out<'_>, id: u16) {
    let part = &self.text.symbols[id as usize];
    if part.is_empty() {
      o.put(&self.text.unnamed_symbol);
      o.int(f64::from(id));
    } else {
      o.put(part);
    }
  }

  fn trade(&self, s: &[u8], o: &mut Out<'_>, n: f64) -> bool {
    let t = &self.text;
    let symbol = u16::from_le_bytes([s[76], s[77]]);
    self.head(o, n, &t.trade_open, &t.trade_after_n)
      && o.int(f64_at(s, 0))
      && {
        o.put(&t.ts);
        o.int(f64_at(s, 8))
      }
      && {
        o.put(&t.trade_id);
        o.int(f64_at(s, 48))
      }
      && {
        self.symbol(o, symbol);
        o.put(&t.trade_price);
        o.int(f64_at(s, 24))
      }
      && {
        o.put(&t.trade_qty);
        o.int(f64_at(s, 32))
      }
      && {
        o.put(&t.trade_maker);
        o.int(f64_at(s, 16))
      }
      && {
        o.put(&t.trade_taker);
        o.int(f64_at(s, 40))
      }
      && {
        o.put(&t.trade_maker_account);
        o.int(f64::from(u32_at(s, 72)))
      }
      && {
        o.put(&t.trade_taker_account);
        o.int(f64_at(s, 56))
      }
      && {
        o.put(&t.taker_side[s[82] as usize]);
        true
      }
  }

  fn report(&self, s: &[u8], o: &mut Out<'_>, n: f64) -> bool {
    let t = &self.text;
    let symbol = u16::from_le_bytes([s[76], s[77]]);
    let with_source = s[85] & REPORT_FLAG_SOURCE != 0;
    let trade_id = if with_source { 0.0 } else { f64_at(s, 64) };
    let (status, reason, field, side, order_type, tif) = (s[79] as usize, s[80] as usize, s[81] as usize, s[82] as usize, s[83] as usize, s[84] as usize);
    let ok = self.head(o, n, &t.report_open, &t.report_after_n)
      && o.int(f64_at(s, 0))
      && {
        o.put(&t.ts);
        o.int(f64_at(s, 8))
      }
      && {
        self.symbol(o, symbol);
        o.put(&t.order);
        o.int(f64_at(s, 16))
      }
      && {
        o.put(&t.account);
        o.int(f64::from(u32_at(s, 72)))
      }
      && {
        o.put(&t.status[status]);
        o.put(&t.side[side]);
        o.put(&t.order_type[order_type]);
        o.put(&t.tif[tif]);
        o.put(&t.price);
        o.int(f64_at(s, 24))
      }
      && {
        // The slot does not carry a report's stop price: JS reads it back as 0.
        o.put(&t.stop);
        o.put_bytes(b"0");
        o.put(&t.qty);
        o.int(f64_at(s, 88))
      }
      && {
        o.put(&t.cum);
        o.int(f64_at(s, 32))
      }
      && {
        o.put(&t.leaves);
        o.int(f64_at(s, 40))
      }
      && {
        o.put(&t.last_qty);
        o.int(f64_at(s, 48))
      }
      && {
        o.put(&t.last_price);
        o.int(f64_at(s, 56))
      }
      && {
        o.put(&t.report_trade_id);
        o.int(trade_id)
      }
      && {
        o.put(&t.reason_code);
        o.int(reason as f64)
      };
    if !ok {
      return false;
    }
    o.put(&t.reason[reason]);
    o.put(&t.field[field]);
    if !with_source {
      o.put(&t.close);
      return true;
    }
    let stream = i16::from_le_bytes([s[86], s[87]]);
    o.put(&t.source_partition);
    o.int(f64::from(stream));
    o.put(&t.source_offset);
    if !o.int(f64_at(s, 64)) {
      return false;
    }
    o.put(&t.close_source);
    true
  }
}
