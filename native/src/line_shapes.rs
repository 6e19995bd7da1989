//! Line shapes: the keys of an order line, in the order its producer writes them, remembered per
//! op, so that a line of a known shape is read as a fixed list of fields.
//!
//! A producer writes one layout per kind of order: `{"op":"new","symbol":"..","orderId":..,...}`.
//! The compact path (`json_command::parse_compact_line`) reads any layout: for each field it
//! guesses the key, reads a value of either kind, records it, and checks every rule at the end.
//! Once it has taken a line, the line's layout becomes a shape here: per field, the bytes
//! `,"key":` (with the opening quote of a string value), and how to read and check its value. A
//! line read by a shape costs one compare per field for everything but the value, and the value is
//! read and range-checked as the one kind its key takes, straight into its place. The rules that
//! depend only on which keys are present are checked when the shape is made, so only the
//! order type's need for a price or a stop price is left to check per line.
//!
//! A shape is a guess, never a rule: every byte the line has is checked against it, and any
//! difference (another key, whitespace, an escape, a long string, a number out of range, a name
//! not written in small letters) leaves the line to the compact path, exactly as before.

use crate::json_command::{compact_integer, Parsed, OPS, K_ACCOUNT, K_BATCH, K_OP, K_ORDER_ID, K_PRICE, K_QTY, K_SIDE, K_STOP, K_STP, K_SYMBOL, K_SYMBOL_ID, K_TIF, K_TS, K_TYPE};
use crate::json_command::{order_flags, type_needs, KEY_NAMES, KIND_AMEND, KIND_NEW, MAX_SAFE, SIDES, STPS, TIFS, TYPES};
use crate::json_text::{first_bytes, pack, starts_with, string_in_window, WindowString, WINDOW};
use crate::name_table::NameTable;
use crate::padded_line::PaddedLine;
use crate::symbol_ids::SymbolIds;

/// Fields a shape holds after the op (the known keys but the op and `batch`).
const MAX_FIELDS: usize = 12;
/// Shapes remembered per op: a new order has a few (with or without `stp`, a price, a stop price).
const SHAPES_PER_OP: usize = 8;
/// `{"op":"`, the start of every line a shape reads.
const HEAD: u128 = pack(b"{\"op\":\"");
const HEAD_LENGTH: usize = 7;
const SAFE: i64 = MAX_SAFE as i64;

/// How a field's value is read, and into which key's place.
#[derive(Clone, Copy)]
enum Value {
  /// An integer in [min, max].
  Int { min: i64, max: i64 },
  /// A symbol name (its id).
  SymbolName,
  /// An enum name, written as the table has it.
  Name(&'static NameTable),
}

#[derive(Clone, Copy)]
struct Field {
  /// `,"key":` (and `"` for a string value) packed as `json_text::pack` packs it.
  literal: u128,
  /// Bit i set for each of its bytes.
  mask: u32,
  length: u8,
  key: u8,
  value: Value,
}

/// Two fields are the same when their bytes are: the key and the kind of its value fix how it is read.
impl PartialEq for Field {
  fn eq(&self, other: &Field) -> bool {
    self.literal == other.literal && self.length == other.length && self.key == other.key
  }
}

#[derive(Clone, Copy)]
struct Shape {
  fields: [Field; MAX_FIELDS],
  count: usize,
  /// Bit k: key k is present (the op's included).
  keys: u32,
  /// The line count at its last use (the least recently used shape is the one replaced).
  used: u64,
}

const NO_FIELD: Field = Field { literal: 0, mask: 0, length: 0, key: 0, value: Value::Int { min: 0, max: 0 } };
const NO_SHAPE: Shape = Shape { fields: [NO_FIELD; MAX_FIELDS], count: 0, keys: 0, used: 0 };

/// The remembered shapes, per op (a command kind, 1 to 3).
pub struct LineShapes {
  shapes: [[Shape; SHAPES_PER_OP]; 4],
  /// Shapes in use per op, and the line count (for `used`).
  counts: [usize; 4],
  /// Per op, shapes i and j have their first `common[i][j]` fields alike: a switch to another
  /// shape after `at` fields is a table lookup instead of comparing up to twelve fields with each.
  common: [[[u8; SHAPES_PER_OP]; SHAPES_PER_OP]; 4],
  lines: u64,
}

/// How the value of key `key` is read in a shape, when its value is a string (`text`) or a number;
/// None for a key whose value a shape does not read that way.
fn value_of(key: usize, text: bool) -> Option<Value> {
  let int = |min, max| (!text).then_some(Value::Int { min, max });
  let name = |table| text.then_some(Value::Name(table));
  match key {
    K_SYMBOL if text => Some(Value::SymbolName),
    K_SYMBOL | K_SYMBOL_ID => int(1, 0xffff),
    K_ORDER_ID => int(0, SAFE),
    K_ACCOUNT => int(0, 0xffff_ffff),
    K_TS | K_PRICE | K_QTY | K_STOP => int(-SAFE, SAFE),
    K_SIDE => name(&SIDES),
    K_TYPE => name(&TYPES),
    K_TIF => name(&TIFS),
    K_STP => name(&STPS),
    _ => None,
  }
}

/// Whether a command of kind `kind` with exactly the keys `keys` passes every rule that depends only
/// on which keys are present (`json_command::validate`'s).
fn keys_suffice(kind: u8, keys: u32) -> bool {
  let has = |key: usize| keys & (1 << key) != 0;
  let base = has(K_OP) && (has(K_SYMBOL) || has(K_SYMBOL_ID)) && has(K_ORDER_ID) && has(K_ACCOUNT) && !has(K_BATCH);
  base
    && match kind {
      KIND_NEW => has(K_SIDE) && has(K_QTY),
      KIND_AMEND => has(K_PRICE) || has(K_QTY),
      _ => true,
    }
}

impl LineShapes {
  pub fn new() -> Self {
    LineShapes { shapes: [[NO_SHAPE; SHAPES_PER_OP]; 4], counts: [0; 4], common: [[[0; SHAPES_PER_OP]; SHAPES_PER_OP]; 4], lines: 0 }
  }

  /// Remembers the layout of a line the compact path took: command kind `kind`, its keys in order
  /// (`order`) and, bit k, whether key k's value was a string (`texts`). A layout that does not
  /// start with the op, or that a shape cannot read, is not remembered.
  pub fn learn(&mut self, kind: u8, order: &[u8], texts: u32) {
    if order.first() != Some(&(K_OP as u8)) || order.len() > MAX_FIELDS + 1 || !(1..=3).contains(&kind) {
      return;
    }
    let mut shape = NO_SHAPE;
    for &key in &order[1..] {
      let key = usize::from(key);
      let text = texts & (1 << key) != 0;
      let Some(value) = value_of(key, text) else { return };
      // `,"key":` and the opening quote of a string value: 15 bytes at most (`,"stopPrice":` is 13)
      let bytes = [b",\"".as_slice(), KEY_NAMES[key], b"\":", if text { b"\"".as_slice() } else { b"" }].concat();
      let mut literal = [0u8; WINDOW];
      literal[..bytes.len()].copy_from_slice(&bytes);
      let length = bytes.len();
      shape.fields[shape.count] = Field { literal: u128::from_le_bytes(literal), mask: (1 << length) - 1, length: length as u8, key: key as u8, value };
      shape.count += 1;
      shape.keys |= 1 << key;
    }
    shape.keys |= 1 << K_OP;
    if !keys_suffice(kind, shape.keys) {
      return;
    }
    let row = usize::from(kind);
    let known = &self.shapes[row][..self.counts[row]];
    if known.iter().any(|s| s.count == shape.count && s.fields[..s.count] == shape.fields[..shape.count]) {
      return;
    }
    shape.used = self.lines;
    let place = if self.counts[row] < SHAPES_PER_OP {
      self.counts[row] += 1;
      self.counts[row] - 1
    } else {
      (0..SHAPES_PER_OP).min_by_key(|&i| self.shapes[row][i].used).unwrap_or(0)
    };
    self.shapes[row][place] = shape;
    for other in 0..self.counts[row] {
      let theirs = &self.shapes[row][other];
      let alike = shape.fields[..shape.count].iter().zip(&theirs.fields[..theirs.count]).take_while(|(a, b)| a == b).count();
      self.common[row][place][other] = alike as u8;
      self.common[row][other][place] = alike as u8;
    }
  }

  /// Another shape of op row `row` with the same first `at` fields as `current`, whose field `at`
  /// starts at `p` (or that ends at `at`, when the line's object does).
  #[inline(never)]
  fn switch(&self, row: usize, current: usize, at: usize, line: &PaddedLine, p: usize) -> Option<usize> {
    let ends = line.byte(p) == b'}';
    let alike = &self.common[row][current];
    (0..self.counts[row]).find(|&i| {
      let s = &self.shapes[row][i];
      // alike[i] >= at: the same first `at` fields (so it has at least `at`)
      i != current
        && usize::from(alike[i]) >= at
        && if s.count == at { ends } else { starts_with(line.window(p), s.fields[at].literal, s.fields[at].mask) }
    })
  }

  /// The command on the compact NDJSON line at `start` when a remembered shape reads it, with the
  /// index of its newline; None for any other line.
  #[inline(always)]
  pub fn parse(&mut self, bytes: &[u8], start: usize, symbols: &SymbolIds) -> Option<(Parsed, usize)> {
    self.lines += 1;
    let line = PaddedLine::new(bytes, start)?;
    if !starts_with(line.window(start), HEAD, (1 << HEAD_LENGTH) - 1) {
      return None;
    }
    let w = line.window(start + HEAD_LENGTH);
    let WindowString::Short(op_length) = string_in_window(w) else { return None };
    let kind = OPS.get(first_bytes(w, op_length))?;
    let row = usize::from(kind);
    let mut p = start + HEAD_LENGTH + op_length + 1;
    let mut shape = 0;
    if self.counts[row] == 0 {
      return None;
    }
    // Each key's value, in its place; an absent key reads 0, which is every default.
    let mut values = [0i64; 16];
    let mut at = 0;
    loop {
      let s = &self.shapes[row][shape];
      if at == s.count {
        if line.byte(p) == b'}' {
          break;
        }
        shape = self.switch(row, shape, at, &line, p)?;
        continue;
      }
      if !line.within(p) {
        return None;
      }
      let field = &s.fields[at];
      if !starts_with(line.window(p), field.literal, field.mask) {
        shape = self.switch(row, shape, at, &line, p)?;
        continue;
      }
      p += usize::from(field.length);
      values[usize::from(field.key) & 15] = match field.value {
        Value::Int { min, max } => {
          let (v, end) = compact_integer(&line, p)?; // a 17th digit fails the next field's compare
          p = end;
          if v < min || v > max {
            return None;
          }
          v
        }
        Value::SymbolName | Value::Name(_) => {
          let w = line.window(p);
          let WindowString::Short(length) = string_in_window(w) else { return None };
          p += length + 1;
          let name = first_bytes(w, length);
          match field.value {
            Value::Name(names) => i64::from(names.get(name)?),
            _ => i64::from(symbols.get(name, || &[])?),
          }
        }
      };
      at += 1;
    }
    let newline = line.newline_after(p)?;
    let s = &mut self.shapes[row][shape];
    s.used = self.lines;
    let keys = s.keys;
    let symbol_id = values[if keys & (1 << K_SYMBOL) != 0 { K_SYMBOL } else { K_SYMBOL_ID }] as u16;
    let mut parsed = Parsed { kind, symbol_id, order_id: values[K_ORDER_ID], account: values[K_ACCOUNT] as u32, timestamp: values[K_TS], flags: 0, price: 0, qty: 0, stop_price: 0 };
    if kind == KIND_NEW {
      let order_type = values[K_TYPE] as u8;
      let (limit, stop) = type_needs(order_type);
      if (limit && keys & (1 << K_PRICE) == 0) || (stop && keys & (1 << K_STOP) == 0) {
        return None;
      }
      parsed.price = values[K_PRICE];
      parsed.qty = values[K_QTY];
      parsed.stop_price = values[K_STOP];
      parsed.flags = order_flags(values[K_SIDE] as u8, order_type, values[K_TIF] as u8, values[K_STP] as u8);
    } else if kind == KIND_AMEND {
      parsed.price = values[K_PRICE];
      parsed.qty = values[K_QTY];
    }
    Some((parsed, newline))
  }
}
