//! The JSON order fast path in native code: whole NDJSON lines of a read buffer (the file source),
//! or the records of a Kafka poll buffer (the native Kafka source), go straight into 64-byte
//! command slots, in one call per buffer instead of JS work per line or message. What it takes, and
//! how it reads one order, is `json_command`'s (and `line_shapes`' for a layout of keys seen before).

use crate::json_command::{parse_command, parse_compact_line, skip_space, Parsed};
use crate::key_guess::KeyGuesses;
use crate::line_shapes::LineShapes;
use crate::symbol_ids::SymbolIds;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Bytes of one command slot (`packages/protocol/src/slot.ts`).
const SLOT_BYTES: usize = 64;
/// A record header in a native Kafka poll buffer (`packages/kafka/src/native-records.ts`): u32
/// partition, f64 offset, f64 timestamp, i32 key length, i32 value length (-1: null).
const RECORD_HEADER: usize = 28;

/// Largest sequence a slot's double holds exactly.
const MAX_SEQ: f64 = 9_007_199_254_740_992.0;

/// Writes `c` as the command slot `slot` (writeCommand's layout) with sequence `seq` (0: numbered at publish).
fn write_slot(slot: &mut [u8], c: &Parsed, source_stream: i16, source_position: u64, seq: f64) {
  slot[0..8].copy_from_slice(&seq.to_le_bytes());
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

/// Turns NDJSON order lines or Kafka order messages into command slots (see the module comment).
/// One per reading thread.
#[napi]
pub struct CommandScanner {
  symbols: SymbolIds,
  guesses: KeyGuesses,
  shapes: LineShapes,
}

#[napi]
impl CommandScanner {
  /// `names[i]` is the symbol whose id is `ids[i]` (the engine's symbol table).
  #[napi(constructor)]
  pub fn new(names: Vec<String>, ids: Vec<u32>) -> Result<Self> {
    if names.len() != ids.len() {
      return Err(Error::new(Status::InvalidArg, "names and ids differ in length".to_owned()));
    }
    let mut entries = Vec::with_capacity(names.len());
    for (name, id) in names.into_iter().zip(ids) {
      let id = u16::try_from(id).ok().filter(|&id| id >= 1).ok_or_else(|| Error::new(Status::InvalidArg, format!("symbol id {id} is not 1..65535")))?;
      entries.push((name.into_bytes(), id));
    }
    Ok(CommandScanner { symbols: SymbolIds::new(entries), guesses: KeyGuesses::new(), shapes: LineShapes::new() })
  }

  /// Takes the whole lines of `input[from, to)` (each ended by a newline; a carriage return before
  /// it is dropped) in order, writing each plainly valid command into `out` from slot `outSlot` on, with source
  /// position `firstLine` + its line index and source stream `sourceStream`. Blank lines are counted
  /// and skipped. Stops at the first line it does not take, at the first unended line, or after
  /// `maxSlots` commands. Returns the slots written; `progress` gets [the byte after the last line
  /// taken, the lines taken]. With `firstSeq`, slot `outSlot` + k carries sequence `firstSeq` + k
  /// (the file source writes straight into claimed ring slots: no numbering pass after); without
  /// it (or with 0), sequence 0.
  #[napi]
  #[allow(clippy::too_many_arguments)]
  pub fn scan_lines(
    &mut self,
    input: Uint8ArraySlice<'_>,
    from: u32,
    to: u32,
    first_line: f64,
    source_stream: i32,
    mut out: Uint8ArraySlice<'_>,
    out_slot: u32,
    max_slots: u32,
    mut progress: Float64ArraySlice<'_>,
    first_seq: Option<f64>,
  ) -> Result<u32> {
    // Safety: the views are the caller's, borrowed for this synchronous call only.
    let (input, out, progress) = (&*input, unsafe { out.as_mut() }, unsafe { progress.as_mut() });
    let first_seq = first_seq.unwrap_or(0.0);
    if !(0.0..=MAX_SEQ).contains(&first_seq) || first_seq.fract() != 0.0 {
      return Err(Error::new(Status::InvalidArg, format!("scanLines: first sequence {first_seq} is not a whole number in 0..2^53")));
    }
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
    // Each line is read where it lies: the parser stops at its newline (no search for it first).
    let input = &input[..to];
    while slots < max_slots {
      // A remembered shape first, then the compact path; any line neither takes, the general one
      // (which also counts a blank line, and stops at a line it does not take either).
      let shaped = self.shapes.parse(input, p, &self.symbols);
      let (command, newline) = match shaped.or_else(|| parse_compact_line(input, p, &self.symbols, &mut self.guesses, &mut self.shapes)) {
        Some((command, newline)) => (Some(command), newline),
        None => {
          let after_space = skip_space::<false>(input, p);
          match input.get(after_space) {
            None => break,                     // an unended line
            Some(b'\n') => (None, after_space), // a blank line: counted, no command
            Some(_) => {
              let Some((command, end)) = parse_command::<false>(input, after_space, &self.symbols, &mut self.guesses) else { break };
              if input.get(end) != Some(&b'\n') {
                break; // more after the object, or no newline yet
              }
              (Some(command), end)
            }
          }
        }
      };
      if let Some(command) = command {
        let at = (out_slot as usize + slots) * SLOT_BYTES;
        let seq = if first_seq > 0.0 { first_seq + slots as f64 } else { 0.0 };
        write_slot(&mut out[at..at + SLOT_BYTES], &command, stream, first_line + lines, seq);
        slots += 1;
      }
      p = newline + 1;
      lines += 1;
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
    &mut self,
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
      let Some((command, end)) = parse_command::<true>(value, 0, &self.symbols, &mut self.guesses) else { break };
      if end != value.len() {
        break;
      }
      let at = (out_slot as usize + taken) * SLOT_BYTES;
      write_slot(&mut out[at..at + SLOT_BYTES], &command, partition as i16, offset as u64, 0.0);
      next_offsets[partition] = offset + 1.0;
      taken += 1;
      p = value_at + value_length as usize;
    }
    progress[0] = p as f64;
    progress[1] = taken as f64;
    Ok(taken as u32)
  }
}
