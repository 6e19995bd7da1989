//! One JSON order (an NDJSON line or a Kafka message) read into the fields of its command slot.
//!
//! It takes exactly what the JS byte scanner (`packages/protocol/src/json-scanner.ts`) takes: a flat
//! object of plain ASCII strings and integers that is a valid command. Anything else is None, and
//! the caller leaves that line or message to the JS path, which owns every error. So the two only
//! have to agree on valid commands; `packages/engine/test/json-scanner.test.ts` checks the slots
//! byte for byte.

use crate::json_text::{digits, digits_in_window, digits_value, first_bytes, lower_case, pack, plain_string, string_in_window, WindowString};
use crate::key_guess::{GuessState, KeyGuesses};
use crate::line_shapes::LineShapes;
use crate::name_table::NameTable;
use crate::padded_line::PaddedLine;
use crate::symbol_ids::SymbolIds;

pub const MAX_SAFE: u64 = (1 << 53) - 1;
const SAFE: i64 = MAX_SAFE as i64;

pub const K_OP: usize = 0;
pub const K_SYMBOL: usize = 1;
pub const K_SYMBOL_ID: usize = 2;
pub const K_ORDER_ID: usize = 3;
pub const K_ACCOUNT: usize = 4;
pub const K_TS: usize = 5;
pub const K_SIDE: usize = 6;
pub const K_TYPE: usize = 7;
pub const K_TIF: usize = 8;
pub const K_STP: usize = 9;
pub const K_PRICE: usize = 10;
pub const K_QTY: usize = 11;
pub const K_STOP: usize = 12;
pub const K_BATCH: usize = 13;
const KEY_COUNT: usize = 14;
// Each known key has a column of its own in the key guesses, below the start-of-object one.
const _: () = assert!(KEY_COUNT <= crate::key_guess::START);

pub const KIND_NEW: u8 = 1;
const KIND_CANCEL: u8 = 2;
pub const KIND_AMEND: u8 = 3;
const TYPE_LIMIT: u8 = 0;
const TYPE_STOP: u8 = 2;
const TYPE_STOP_LIMIT: u8 = 3;

/// The known keys' names, by index.
pub const KEY_NAMES: [&[u8]; KEY_COUNT] = [
  b"op", b"symbol", b"symbolId", b"orderId", b"account", b"ts", b"side", b"type", b"tif", b"stp", b"price", b"qty", b"stopPrice", b"batch",
];

/// The known keys, as `plain_string` packs them.
static KEYS: NameTable<5> = NameTable::new(&{
  let mut entries = [(0u128, 0u8); KEY_COUNT];
  let mut k = 0;
  while k < KEY_COUNT {
    entries[k] = (pack(KEY_NAMES[k]), k as u8);
    k += 1;
  }
  entries
});

/// The index of a known key, as `plain_string` packs it (keys are matched as written).
#[inline(always)]
fn known_key(packed: u128) -> Option<usize> {
  KEYS.get(packed).map(usize::from)
}

pub static OPS: NameTable = NameTable::new(&[(pack(b"new"), KIND_NEW), (pack(b"cancel"), KIND_CANCEL), (pack(b"amend"), KIND_AMEND)]);
pub static SIDES: NameTable = NameTable::new(&[(pack(b"buy"), 0), (pack(b"sell"), 1)]);
pub static TYPES: NameTable = NameTable::new(&[
  (pack(b"limit"), TYPE_LIMIT),
  (pack(b"market"), 1),
  (pack(b"stop"), TYPE_STOP),
  (pack(b"stop_market"), TYPE_STOP),
  (pack(b"stop_limit"), TYPE_STOP_LIMIT),
]);
pub static TIFS: NameTable = NameTable::new(&[(pack(b"gtc"), 0), (pack(b"ioc"), 1), (pack(b"fok"), 2), (pack(b"post_only"), 3)]);
pub static STPS: NameTable = NameTable::new(&[
  (pack(b"default"), 0),
  (pack(b"none"), 1),
  (pack(b"cancel_newest"), 2),
  (pack(b"cancel_oldest"), 3),
  (pack(b"cancel_both"), 4),
]);

/// The decoders' enum match, blind to ASCII case: the name as written first, then in small letters.
#[inline(always)]
fn enum_code(packed: u128, names: &NameTable) -> Option<u8> {
  names.get(packed).or_else(|| names.get(lower_case(packed)))
}

/// The fields of one valid command, as the slot holds them.
pub struct Parsed {
  pub kind: u8,
  pub symbol_id: u16,
  pub order_id: i64,
  pub account: u32,
  pub timestamp: i64,
  pub flags: u8,
  pub price: i64,
  pub qty: i64,
  pub stop_price: i64,
}

/// The values seen for the known keys.
struct Fields {
  /// Bit k: key k was seen.
  seen: u32,
  /// Bit k: key k's value is a string.
  texts: u32,
  /// Key k's integer (as i64 bits) or packed string.
  values: [u128; KEY_COUNT],
  /// Where the symbol's string is, when it is one (for names of 16 bytes and more).
  symbol_text: (usize, usize),
  /// The keys in the order they came (for `LineShapes::learn`).
  order: [u8; KEY_COUNT],
  count: usize,
}

impl Fields {
  #[inline(always)]
  fn new() -> Fields {
    Fields { seen: 0, texts: 0, values: [0; KEY_COUNT], symbol_text: (0, 0), order: [0; KEY_COUNT], count: 0 }
  }

  /// Key `key`'s value: an integer (as i64 bits) or a packed string at bytes [start, end). None
  /// for a key seen before (JSON.parse keeps the last one: the general path decides).
  #[inline(always)]
  fn record(&mut self, key: usize, value: u128, text: Option<(usize, usize)>) -> Option<()> {
    let bit = 1u32 << key;
    if self.seen & bit != 0 {
      return None;
    }
    self.seen |= bit;
    // Distinct known keys: at most KEY_COUNT of them.
    self.order[self.count % KEY_COUNT] = key as u8;
    self.count += 1;
    if let Some(range) = text {
      self.texts |= bit;
      if key == K_SYMBOL {
        self.symbol_text = range;
      }
    }
    self.values[key] = value;
    Some(())
  }

  #[inline(always)]
  fn has(&self, key: usize) -> bool {
    self.seen & (1 << key) != 0
  }

  #[inline(always)]
  fn is_text(&self, key: usize) -> bool {
    self.texts & (1 << key) != 0
  }

  /// An integer of `key` in [min, max]; `absent` when the key is missing; None otherwise.
  #[inline(always)]
  fn int(&self, key: usize, absent: Option<i64>, min: i64, max: i64) -> Option<i64> {
    if !self.has(key) {
      return absent;
    }
    let v = self.values[key] as i64;
    (!self.is_text(key) && v >= min && v <= max).then_some(v)
  }

  /// The packed string of `key`; None when it is missing or not a string.
  #[inline(always)]
  fn text(&self, key: usize) -> Option<u128> {
    (self.has(key) && self.is_text(key)).then(|| self.values[key])
  }

  /// The enum of `key`: `absent` when it is missing, None when it is not one of `names`.
  #[inline(always)]
  fn enum_or(&self, key: usize, absent: u8, names: &NameTable) -> Option<u8> {
    if !self.has(key) {
      return Some(absent);
    }
    enum_code(self.text(key)?, names)
  }
}

/// The index of the first byte from `p` on that is not JSON whitespace (a newline only with `MULTILINE`).
#[inline(always)]
pub fn skip_space<const MULTILINE: bool>(bytes: &[u8], mut p: usize) -> usize {
  while let Some(&b) = bytes.get(p) {
    if b == b' ' || b == b'\t' || b == b'\r' || (MULTILINE && b == b'\n') {
      p += 1;
    } else {
      break;
    }
  }
  p
}

/// The plainly valid command whose object starts at `p` (after any whitespace), with the index just
/// past the object and the whitespace after it; None for anything else. With `MULTILINE` a newline
/// is whitespace (a Kafka message); without, it is not, so an NDJSON line's object cannot run past
/// its line (the caller checks that a newline comes next).
pub fn parse_command<const MULTILINE: bool>(bytes: &[u8], p: usize, symbols: &SymbolIds, guesses: &mut KeyGuesses) -> Option<(Parsed, usize)> {
  let mut fields = Fields::new();
  let mut p = skip_space::<MULTILINE>(bytes, p);
  if bytes.get(p) != Some(&b'{') {
    return None;
  }
  p = skip_space::<MULTILINE>(bytes, p + 1);
  if bytes.get(p) == Some(&b'}') {
    return None; // {}: the general path reports it
  }
  let mut state = GuessState::start();
  loop {
    let key_index = if let Some((key, colon_end)) = guesses.guess(state, bytes, p) {
      p = skip_space::<MULTILINE>(bytes, colon_end);
      Some(key)
    } else {
      if bytes.get(p) != Some(&b'"') {
        return None;
      }
      let key = plain_string(bytes, p + 1)?;
      let key_index = known_key(key.packed);
      let colon = skip_space::<MULTILINE>(bytes, key.end + 1);
      if bytes.get(colon) != Some(&b':') {
        return None;
      }
      if let Some(k) = key_index {
        if colon == key.end + 1 {
          guesses.learn(state, k, bytes, p, colon);
        }
      }
      p = skip_space::<MULTILINE>(bytes, colon + 1);
      key_index
    };
    state = state.after(key_index);
    let (value, text) = match *bytes.get(p)? {
      b'"' => {
        let s = plain_string(bytes, p + 1)?;
        let range = (p + 1, s.end);
        p = s.end + 1;
        (s.packed, Some(range))
      }
      b'-' | b'0'..=b'9' => {
        let (value, end) = number(bytes, p)?;
        p = end;
        (value, None)
      }
      _ => return None, // object, array, true, false, null, garbage
    };
    if let Some(k) = key_index {
      fields.record(k, value, text)?;
      if k == K_OP {
        state = state.with_op(value);
      }
    }
    p = skip_space::<MULTILINE>(bytes, p);
    match bytes.get(p) {
      Some(b',') => p = skip_space::<MULTILINE>(bytes, p + 1),
      Some(b'}') => break,
      _ => return None,
    }
  }
  let end = skip_space::<MULTILINE>(bytes, p + 1);
  Some((validate(&fields, bytes, symbols)?, end))
}

/// The plainly valid command on the compact NDJSON line at `start`, with the index of its newline;
/// None for any other line, which the caller then gives to `parse_command`. Compact: no whitespace
/// between tokens, known keys only, strings under 16 bytes, and the line
/// followed by enough bytes in `bytes` for unchecked reads (`padded_line`). What it takes, it reads
/// as `parse_command` does, in about 30% fewer instructions: no whitespace steps, no bounds checks,
/// and a key read only where it is not the one `guesses` expects. The layout of a line it takes
/// becomes a shape in `shapes`, for the lines after it.
#[inline(always)]
pub fn parse_compact_line(bytes: &[u8], start: usize, symbols: &SymbolIds, guesses: &mut KeyGuesses, shapes: &mut LineShapes) -> Option<(Parsed, usize)> {
  let line = PaddedLine::new(bytes, start)?;
  if line.byte(start) != b'{' {
    return None;
  }
  let mut fields = Fields::new();
  let mut state = GuessState::start();
  let mut p = start + 1;
  loop {
    if !line.within(p) {
      return None;
    }
    let (mut key, mut length, literal) = guesses.expected(state);
    if first_bytes(line.window(p), length) != literal {
      // Not the key that came here last time: read it, and remember it for next time.
      let w = line.window(p + 1);
      let WindowString::Short(name_length) = string_in_window(w) else { return None };
      if line.byte(p) != b'"' || line.byte(p + name_length + 2) != b':' {
        return None;
      }
      key = known_key(first_bytes(w, name_length))?; // an unknown key: the general path skips it
      guesses.learn(state, key, bytes, p, p + name_length + 2);
      length = name_length + 3;
    }
    p += length;
    let (value, text) = if line.byte(p) == b'"' {
      let w = line.window(p + 1);
      let WindowString::Short(length) = string_in_window(w) else { return None }; // a long string: the general path
      let range = (p + 1, p + 1 + length);
      p += length + 2;
      (first_bytes(w, length), Some(range))
    } else {
      let (v, end) = compact_integer(&line, p)?; // a 17th digit is caught below: only `,` or `}` may follow
      p = end;
      (v as u128, None)
    };
    fields.record(key, value, text)?;
    state = if key == K_OP { state.with_op(value) } else { state }.after(Some(key));
    match line.byte(p) {
      b',' => p += 1,
      b'}' => break,
      _ => return None, // whitespace, a fraction or exponent, more after a string: the general path
    }
  }
  let newline = line.newline_after(p)?;
  let parsed = validate(&fields, bytes, symbols)?;
  shapes.learn(parsed.kind, &fields.order[..fields.count], fields.texts);
  Some((parsed, newline))
}

/// The integer whose text starts at `p` of a padded line (a minus or a digit), and the index after
/// its digits: None for no digit, a leading zero, -0 or more than 2^53 - 1. A 17th digit, a fraction
/// or an exponent is the caller's to catch, by what it expects next.
#[inline(always)]
pub fn compact_integer(line: &PaddedLine, p: usize) -> Option<(i64, usize)> {
  let negative = line.byte(p) == b'-';
  let digits_at = p + usize::from(negative);
  let w = line.window(digits_at);
  let count = digits_in_window(w);
  if count == 0 || (count > 1 && w as u8 == b'0') {
    return None;
  }
  let v = digits_value(w, count);
  if v > MAX_SAFE || (negative && v == 0) {
    return None;
  }
  Some((if negative { -(v as i64) } else { v as i64 }, digits_at + count))
}

/// The integer whose text starts at `p` (a minus or a digit), as i64 bits, and the index after it:
/// None unless it is a safe integer of at most 16 digits with no leading zero, no -0, no fraction
/// and no exponent (the general path decides those).
#[inline(always)]
fn number(bytes: &[u8], mut p: usize) -> Option<(u128, usize)> {
  let negative = bytes.get(p) == Some(&b'-');
  if negative {
    p += 1;
  }
  let (v, count) = digits(bytes, p)?; // None: more than 16 digits
  if count == 0 || v > MAX_SAFE || (count > 1 && bytes[p] == b'0') || (negative && v == 0) {
    return None;
  }
  let end = p + count;
  if matches!(bytes.get(end), Some(b'.' | b'e' | b'E')) {
    return None; // fraction or exponent
  }
  Some(((if negative { -(v as i64) } else { v as i64 }) as u128, end))
}

/// Whether a new order of type `order_type` needs a price and a stop price.
#[inline(always)]
pub fn type_needs(order_type: u8) -> (bool, bool) {
  (order_type == TYPE_LIMIT || order_type == TYPE_STOP_LIMIT, order_type == TYPE_STOP || order_type == TYPE_STOP_LIMIT)
}

/// A new order's flags byte in its command slot.
#[inline(always)]
pub fn order_flags(side: u8, order_type: u8, tif: u8, stp: u8) -> u8 {
  (side & 1) | ((order_type & 3) << 1) | ((tif & 3) << 3) | ((stp & 7) << 5)
}

/// commandFromJson's rules for a valid command; any failure is None.
#[inline(always)]
fn validate(fields: &Fields, bytes: &[u8], symbols: &SymbolIds) -> Option<Parsed> {
  if fields.has(K_BATCH) {
    return None;
  }
  let kind = enum_code(fields.text(K_OP)?, &OPS)?;
  let symbol_id = if !fields.has(K_SYMBOL) {
    fields.int(K_SYMBOL_ID, None, 1, 0xffff)? as u16
  } else if fields.is_text(K_SYMBOL) {
    let (start, end) = fields.symbol_text;
    symbols.get(fields.values[K_SYMBOL], || &bytes[start..end])?
  } else {
    fields.int(K_SYMBOL, None, 1, 0xffff)? as u16
  };
  let order_id = fields.int(K_ORDER_ID, None, 0, SAFE)?;
  let account = fields.int(K_ACCOUNT, None, 0, 0xffff_ffff)? as u32;
  let timestamp = fields.int(K_TS, Some(0), -SAFE, SAFE)?;
  let mut parsed = Parsed { kind, symbol_id, order_id, account, timestamp, flags: 0, price: 0, qty: 0, stop_price: 0 };
  if kind == KIND_NEW {
    let side = enum_code(fields.text(K_SIDE)?, &SIDES)?;
    let order_type = fields.enum_or(K_TYPE, TYPE_LIMIT, &TYPES)?;
    let tif = fields.enum_or(K_TIF, 0, &TIFS)?;
    let stp = fields.enum_or(K_STP, 0, &STPS)?;
    let (limit, stop) = type_needs(order_type);
    parsed.price = fields.int(K_PRICE, if limit { None } else { Some(0) }, -SAFE, SAFE)?;
    parsed.qty = fields.int(K_QTY, None, -SAFE, SAFE)?;
    parsed.stop_price = fields.int(K_STOP, if stop { None } else { Some(0) }, -SAFE, SAFE)?;
    parsed.flags = order_flags(side, order_type, tif, stp);
  } else if kind == KIND_AMEND {
    if !fields.has(K_PRICE) && !fields.has(K_QTY) {
      return None;
    }
    parsed.price = fields.int(K_PRICE, Some(0), -SAFE, SAFE)?;
    parsed.qty = fields.int(K_QTY, Some(0), -SAFE, SAFE)?;
  }
  Some(parsed)
}
