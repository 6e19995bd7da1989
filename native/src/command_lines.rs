//! The JSON order fast path in native code: whole NDJSON lines of a read buffer (the file source),
//! or the records of a Kafka poll buffer (the native Kafka source), go straight into 64-byte
//! command slots, in one call per buffer instead of JS work per line or message.
//!
//! It takes exactly what the JS byte scanner (`packages/protocol/src/json-scanner.ts`) takes: a flat
//! object of plain ASCII strings and integers that is a valid command. It stops at the first line
//! or message it does not take, and the caller decodes that one on the JS path, which owns every
//! error. So the two only have to agree on valid commands, and a differential test
//! (`packages/engine/test/json-scanner.test.ts`) checks the slots byte for byte.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::HashMap;

/// Bytes of one command slot (`packages/protocol/src/slot.ts`).
const SLOT_BYTES: usize = 64;
/// A record header in a native Kafka poll buffer (`packages/kafka/src/native-records.ts`): u32
/// partition, f64 offset, f64 timestamp, i32 key length, i32 value length (-1: null).
const RECORD_HEADER: usize = 28;
const MAX_SAFE: u64 = (1 << 53) - 1;
/// Longest enum name (`cancel_newest`, `cancel_oldest`).
const ENUM_NAME_MAX: usize = 16;

const K_OP: usize = 0;
const K_SYMBOL: usize = 1;
const K_SYMBOL_ID: usize = 2;
const K_ORDER_ID: usize = 3;
const K_ACCOUNT: usize = 4;
const K_TS: usize = 5;
const K_SIDE: usize = 6;
const K_TYPE: usize = 7;
const K_TIF: usize = 8;
const K_STP: usize = 9;
const K_PRICE: usize = 10;
const K_QTY: usize = 11;
const K_STOP: usize = 12;
const K_BATCH: usize = 13;
const KEY_COUNT: usize = 14;

const KIND_NEW: u8 = 1;
const KIND_CANCEL: u8 = 2;
const KIND_AMEND: u8 = 3;
const TYPE_LIMIT: u8 = 0;
const TYPE_STOP: u8 = 2;
const TYPE_STOP_LIMIT: u8 = 3;

fn key_index(key: &[u8]) -> Option<usize> {
  Some(match key {
    b"op" => K_OP,
    b"symbol" => K_SYMBOL,
    b"symbolId" => K_SYMBOL_ID,
    b"orderId" => K_ORDER_ID,
    b"account" => K_ACCOUNT,
    b"ts" => K_TS,
    b"side" => K_SIDE,
    b"type" => K_TYPE,
    b"tif" => K_TIF,
    b"stp" => K_STP,
    b"price" => K_PRICE,
    b"qty" => K_QTY,
    b"stopPrice" => K_STOP,
    b"batch" => K_BATCH,
    _ => return None,
  })
}

/// The decoders' case-insensitive (ASCII) enum match: `name` lower-cased, then looked up.
fn lower<'a>(name: &[u8], buf: &'a mut [u8; ENUM_NAME_MAX]) -> Option<&'a [u8]> {
  if name.len() > ENUM_NAME_MAX {
    return None;
  }
  for (i, b) in name.iter().enumerate() {
    buf[i] = b.to_ascii_lowercase();
  }
  Some(&buf[..name.len()])
}

fn op_of(name: &[u8]) -> Option<u8> {
  let mut buf = [0u8; ENUM_NAME_MAX];
  match lower(name, &mut buf)? {
    b"new" => Some(KIND_NEW),
    b"cancel" => Some(KIND_CANCEL),
    b"amend" => Some(KIND_AMEND),
    _ => None,
  }
}

fn side_of(name: &[u8]) -> Option<u8> {
  let mut buf = [0u8; ENUM_NAME_MAX];
  match lower(name, &mut buf)? {
    b"buy" => Some(0),
    b"sell" => Some(1),
    _ => None,
  }
}

fn type_of(name: &[u8]) -> Option<u8> {
  let mut buf = [0u8; ENUM_NAME_MAX];
  match lower(name, &mut buf)? {
    b"limit" => Some(TYPE_LIMIT),
    b"market" => Some(1),
    b"stop" | b"stop_market" => Some(TYPE_STOP),
    b"stop_limit" => Some(TYPE_STOP_LIMIT),
    _ => None,
  }
}

fn tif_of(name: &[u8]) -> Option<u8> {
  let mut buf = [0u8; ENUM_NAME_MAX];
  match lower(name, &mut buf)? {
    b"gtc" => Some(0),
    b"ioc" => Some(1),
    b"fok" => Some(2),
    b"post_only" => Some(3),
    _ => None,
  }
}

fn stp_of(name: &[u8]) -> Option<u8> {
  let mut buf = [0u8; ENUM_NAME_MAX];
  match lower(name, &mut buf)? {
    b"default" => Some(0),
    b"none" => Some(1),
    b"cancel_newest" => Some(2),
    b"cancel_oldest" => Some(3),
    b"cancel_both" => Some(4),
    _ => None,
  }
}

#[inline]
fn is_space(b: u8) -> bool {
  b == b' ' || b == b'\n' || b == b'\r' || b == b'\t'
}

#[inline]
fn skip_space(bytes: &[u8], mut p: usize) -> usize {
  while p < bytes.len() && is_space(bytes[p]) {
    p += 1;
  }
  p
}

/// Index of the closing quote of a plain string (printable ASCII, no escapes) starting at `p`.
#[inline]
fn plain_string_end(bytes: &[u8], mut p: usize) -> Option<usize> {
  while p < bytes.len() {
    let b = bytes[p];
    if b == b'"' {
      return Some(p);
    }
    if b == b'\\' || !(0x20..=0x7e).contains(&b) {
      return None;
    }
    p += 1;
  }
  None
}

/// A value seen for a known key.
#[derive(Clone, Copy)]
enum Value {
  Absent,
  Text(usize, usize),
  Int(i64),
}

/// An integer of a known key in [min, max]; `absent` when the key is missing; None otherwise.
#[inline]
fn int_at(values: &[Value; KEY_COUNT], key: usize, absent: Option<i64>, min: i64, max: i64) -> Option<i64> {
  match values[key] {
    Value::Absent => absent,
    Value::Int(v) if v >= min && v <= max => Some(v),
    _ => None,
  }
}

/// The fields of one valid command, as the slot holds them.
struct Parsed {
  kind: u8,
  symbol_id: u16,
  order_id: i64,
  account: u32,
  timestamp: i64,
  flags: u8,
  price: i64,
  qty: i64,
  stop_price: i64,
}

const SAFE: i64 = MAX_SAFE as i64;

impl CommandScanner {
  /// The command `bytes` holds when it is plainly valid (see the module comment), else None.
  fn parse(&self, bytes: &[u8]) -> Option<Parsed> {
    let mut values = [Value::Absent; KEY_COUNT];
    let mut p = skip_space(bytes, 0);
    if bytes.get(p) != Some(&b'{') {
      return None;
    }
    p = skip_space(bytes, p + 1);
    if bytes.get(p) == Some(&b'}') {
      return None; // {}: the general path reports it
    }
    loop {
      if bytes.get(p) != Some(&b'"') {
        return None;
      }
      let key_end = plain_string_end(bytes, p + 1)?;
      let key = key_index(&bytes[p + 1..key_end]);
      p = skip_space(bytes, key_end + 1);
      if bytes.get(p) != Some(&b':') {
        return None;
      }
      p = skip_space(bytes, p + 1);
      let value = match *bytes.get(p)? {
        b'"' => {
          let end = plain_string_end(bytes, p + 1)?;
          let text = Value::Text(p + 1, end);
          p = end + 1;
          text
        }
        b @ (b'-' | b'0'..=b'9') => {
          let negative = b == b'-';
          if negative {
            p += 1;
          }
          let start = p;
          let mut v: u64 = 0;
          while p < bytes.len() && bytes[p].is_ascii_digit() && p - start < 17 {
            // 17 digits at most: enough to refuse more than 16, and no u64 overflow
            v = v * 10 + u64::from(bytes[p] - b'0');
            p += 1;
          }
          let digits = p - start;
          // At most 16 digits and a safe integer, no leading zero, no -0 (the general path decides those).
          if digits == 0 || digits > 16 || v > MAX_SAFE || (digits > 1 && bytes[start] == b'0') || (negative && v == 0) {
            return None;
          }
          if matches!(bytes.get(p), Some(b'.' | b'e' | b'E')) {
            return None; // fraction or exponent
          }
          Value::Int(if negative { -(v as i64) } else { v as i64 })
        }
        _ => return None, // object, array, true, false, null, garbage
      };
      if let Some(k) = key {
        if !matches!(values[k], Value::Absent) {
          return None; // duplicate: JSON.parse keeps the last one
        }
        values[k] = value;
      }
      p = skip_space(bytes, p);
      match bytes.get(p) {
        Some(b',') => p = skip_space(bytes, p + 1),
        Some(b'}') => {
          if skip_space(bytes, p + 1) != bytes.len() {
            return None;
          }
          break;
        }
        _ => return None,
      }
    }
    self.validate(bytes, &values)
  }

  /// commandFromJson's rules for a valid command; any failure is None.
  fn validate(&self, bytes: &[u8], values: &[Value; KEY_COUNT]) -> Option<Parsed> {
    if !matches!(values[K_BATCH], Value::Absent) {
      return None;
    }
    let text = |k: usize| match values[k] {
      Value::Text(s, e) => Some(&bytes[s..e]),
      _ => None,
    };
    let kind = op_of(text(K_OP)?)?;
    let symbol_id = match values[K_SYMBOL] {
      Value::Text(s, e) => *self.symbols.get(&bytes[s..e])?,
      Value::Int(_) => int_at(values, K_SYMBOL, None, 1, 0xffff)? as u16,
      Value::Absent => int_at(values, K_SYMBOL_ID, None, 1, 0xffff)? as u16,
    };
    let order_id = int_at(values, K_ORDER_ID, None, 0, SAFE)?;
    let account = int_at(values, K_ACCOUNT, None, 0, 0xffff_ffff)? as u32;
    let timestamp = int_at(values, K_TS, Some(0), -SAFE, SAFE)?;
    let mut parsed = Parsed { kind, symbol_id, order_id, account, timestamp, flags: 0, price: 0, qty: 0, stop_price: 0 };
    if kind == KIND_NEW {
      let side = side_of(text(K_SIDE)?)?;
      let enum_or = |k: usize, absent: u8, of: fn(&[u8]) -> Option<u8>| match values[k] {
        Value::Absent => Some(absent),
        Value::Text(s, e) => of(&bytes[s..e]),
        Value::Int(_) => None,
      };
      let order_type = enum_or(K_TYPE, TYPE_LIMIT, type_of)?;
      let tif = enum_or(K_TIF, 0, tif_of)?;
      let stp = enum_or(K_STP, 0, stp_of)?;
      let limit = order_type == TYPE_LIMIT || order_type == TYPE_STOP_LIMIT;
      let stop = order_type == TYPE_STOP || order_type == TYPE_STOP_LIMIT;
      parsed.price = int_at(values, K_PRICE, if limit { None } else { Some(0) }, -SAFE, SAFE)?;
      parsed.qty = int_at(values, K_QTY, None, -SAFE, SAFE)?;
      parsed.stop_price = int_at(values, K_STOP, if stop { None } else { Some(0) }, -SAFE, SAFE)?;
      parsed.flags = (side & 1) | ((order_type & 3) << 1) | ((tif & 3) << 3) | ((stp & 7) << 5);
    } else if kind == KIND_AMEND {
      if matches!(values[K_PRICE], Value::Absent) && matches!(values[K_QTY], Value::Absent) {
        return None;
      }
      parsed.price = int_at(values, K_PRICE, Some(0), -SAFE, SAFE)?;
      parsed.qty = int_at(values, K_QTY, Some(0), -SAFE, SAFE)?;
    }
    Some(parsed)
  }
}

/// Writes `c` as the command slot `slot` (writeCommand's layout; seq 0, filled in at publish).
fn write_slot(slot: &mut [u8], c: &Parsed, source_stream: i16, source_position: u64) {
  slot[0..8].fill(0);
  slot[8..16].copy_from_slice(&(c.order_id as f64).to_le_bytes());
  slot[16..24].copy_from_slice(&(c.price as f64).to_le_bytes());
  slot[24..32].copy_from_slice(&(c.qty as f64).to_le_bytes());
  slot[32..40].copy_from_slice(&(c.stop_price as f64).to_le_bytes());
  slot[40..48].copy_from_slice(&(c.timestamp as f64).to_le_bytes());
  slot[48..52].copy_from_slice(&(source_position as u32).to_le_bytes());
  slot[52..54].copy_from_slice(&((source_position >> 32) as u16).to_le_bytes());
  slot[54..56].copy_from_slice(&source_stream.to_le_bytes());
  slot[56..60].copy_from_slice(&c.account.to_le_bytes());
  slot[60..62].copy_from_slice(&c.symbol_id.to_le_bytes());
  slot[62] = c.kind;
  slot[63] = c.flags;
}

fn is_blank(line: &[u8]) -> bool {
  line.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r')
}

/// Turns NDJSON order lines or Kafka order messages into command slots (see the module comment).
/// One per reading thread.
#[napi]
pub struct CommandScanner {
  symbols: HashMap<Box<[u8]>, u16>,
}

#[napi]
impl CommandScanner {
  /// `names[i]` is the symbol whose id is `ids[i]` (the engine's symbol table).
  #[napi(constructor)]
  pub fn new(names: Vec<String>, ids: Vec<u32>) -> Result<Self> {
    if names.len() != ids.len() {
      return Err(Error::new(Status::InvalidArg, "names and ids differ in length".to_owned()));
    }
    let mut symbols = HashMap::with_capacity(names.len());
    for (name, id) in names.into_iter().zip(ids) {
      let id = u16::try_from(id).ok().filter(|&id| id >= 1).ok_or_else(|| Error::new(Status::InvalidArg, format!("symbol id {id} is not 1..65535")))?;
      symbols.insert(name.into_bytes().into_boxed_slice(), id);
    }
    Ok(CommandScanner { symbols })
  }

  /// Takes the whole lines of `input[from, to)` (each ended by a newline; a carriage return before
  /// it is dropped) in order, writing each plainly valid command into `out` from slot `outSlot` on, with source
  /// position `firstLine` + its line index and source stream `sourceStream`. Blank lines are counted
  /// and skipped. Stops at the first line it does not take, at the first unended line, or after
  /// `maxSlots` commands. Returns the slots written; `progress` gets [the byte after the last line
  /// taken, the lines taken].
  #[napi]
  #[allow(clippy::too_many_arguments)]
  pub fn scan_lines(
    &self,
    input: Uint8ArraySlice<'_>,
    from: u32,
    to: u32,
    first_line: f64,
    source_stream: i32,
    mut out: Uint8ArraySlice<'_>,
    out_slot: u32,
    max_slots: u32,
    mut progress: Float64ArraySlice<'_>,
  ) -> Result<u32> {
    // Safety: the views are the caller's, borrowed for this synchronous call only.
    let (input, out, progress) = (&*input, unsafe { out.as_mut() }, unsafe { progress.as_mut() });
    let (from, to) = (from as usize, to as usize);
    if from > to || to > input.len() || progress.len() < 2 || first_line < 0.0 {
      return Err(Error::new(Status::InvalidArg, "scanLines: bad range or progress array".to_owned()));
    }
    let capacity = (out.len() / SLOT_BYTES).saturating_sub(out_slot as usize);
    let max_slots = (max_slots as usize).min(capacity);
    let stream = source_stream as i16;
    let first_line = first_line as u64;
    let mut p = from;
    let mut lines = 0u64;
    let mut slots = 0usize;
    while slots < max_slots {
      let Some(newline) = memchr::memchr(b'\n', &input[p..to]) else { break };
      let mut end = p + newline;
      if end > p && input[end - 1] == b'\r' {
        end -= 1;
      }
      let line = &input[p..end];
      if !is_blank(line) {
        let Some(command) = self.parse(line) else { break };
        let at = (out_slot as usize + slots) * SLOT_BYTES;
        write_slot(&mut out[at..at + SLOT_BYTES], &command, stream, first_line + lines);
        slots += 1;
      }
      lines += 1;
      p += newline + 1;
    }
    progress[0] = p as f64;
    progress[1] = lines as f64;
    Ok(slots as u32)
  }

  /// Takes the records of a native Kafka poll buffer from byte `from` on, at most `count` records
  /// and `maxSlots` commands, in order: each whose partition `p` has `takes[p] == 1` and whose
  /// value is one plainly valid JSON command becomes a slot (source stream: its partition, source
  /// position: its offset), and `nextOffsets[p]` gets its offset + 1. Stops before the first other
  /// record. Returns the slots written (one per record taken); `progress` gets [the byte after the
  /// last record taken, the records taken].
  #[napi]
  #[allow(clippy::too_many_arguments)]
  pub fn scan_records(
    &self,
    input: Uint8ArraySlice<'_>,
    from: u32,
    count: u32,
    takes: Uint8ArraySlice<'_>,
    mut next_offsets: Float64ArraySlice<'_>,
    mut out: Uint8ArraySlice<'_>,
    out_slot: u32,
    max_slots: u32,
    mut progress: Float64ArraySlice<'_>,
  ) -> Result<u32> {
    // Safety: the views are the caller's, borrowed for this synchronous call only.
    let (input, takes) = (&*input, &*takes);
    let (next_offsets, out, progress) = unsafe { (next_offsets.as_mut(), out.as_mut(), progress.as_mut()) };
    if from as usize > input.len() || progress.len() < 2 || next_offsets.len() < takes.len() {
      return Err(Error::new(Status::InvalidArg, "scanRecords: bad range, offsets or progress array".to_owned()));
    }
    let capacity = (out.len() / SLOT_BYTES).saturating_sub(out_slot as usize);
    let max_records = (max_slots as usize).min(capacity).min(count as usize);
    let i32_at = |at: usize| i32::from_le_bytes(input[at..at + 4].try_into().unwrap());
    let mut p = from as usize;
    let mut taken = 0usize;
    while taken < max_records && p + RECORD_HEADER <= input.len() {
      let partition = u32::from_le_bytes(input[p..p + 4].try_into().unwrap()) as usize;
      let offset = f64::from_le_bytes(input[p + 4..p + 12].try_into().unwrap());
      let (key_length, value_length) = (i32_at(p + 20), i32_at(p + 24));
      let value_at = p + RECORD_HEADER + key_length.max(0) as usize;
      if takes.get(partition) != Some(&1) || value_length < 0 || value_at + value_length as usize > input.len() || !(0.0..2f64.powi(48)).contains(&offset) {
        break;
      }
      let value = &input[value_at..value_at + value_length as usize];
      let Some(command) = self.parse(value) else { break };
      let at = (out_slot as usize + taken) * SLOT_BYTES;
      write_slot(&mut out[at..at + SLOT_BYTES], &command, partition as i16, offset as u64);
      next_offsets[partition] = offset + 1.0;
      taken += 1;
      p = value_at + value_length as usize;
    }
    progress[0] = p as f64;
    progress[1] = taken as f64;
    Ok(taken as u32)
  }
}