//! The engine's symbol table for the JSON order scanner: a symbol name to its id.
//!
//! Names under 16 bytes (nearly all) are looked up by their packed `u128` (`json_text::pack`) in an
//! open-addressed table with a multiply-fold hash: one probe, no byte hashing, no `memcmp`. Longer
//! names go to a std map.

use crate::json_text::{pack, WINDOW};
use std::collections::HashMap;

pub struct SymbolIds {
  /// Packed name (0: empty slot) and id, a power-of-two length at least twice the short names.
  short: Box<[(u128, u16)]>,
  /// 64 - log2 of its length (`slot_of`).
  shift: u32,
  long: HashMap<Box<[u8]>, u16>,
}

/// The slot of a packed name in a table of 2^(64 - `shift`) slots: the top bits of a multiply,
/// which every byte of the name reaches (the bits just above the 32nd would see only its first four
/// bytes, so names that differ in their last byte, SYM0001 to SYM0008, would all share one slot).
#[inline(always)]
fn slot_of(packed: u128, shift: u32) -> usize {
  let folded = (packed as u64) ^ ((packed >> 64) as u64).rotate_left(29);
  (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
}

impl SymbolIds {
  pub fn new(entries: impl IntoIterator<Item = (Vec<u8>, u16)>) -> Self {
    // A name a plain string cannot spell (empty, a zero byte, an escape) must not pack like one that can.
    let packable = |name: &[u8]| !name.is_empty() && name.len() < WINDOW && name.iter().all(|&b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\');
    let (short_names, long_names): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(name, _)| packable(name));
    let mut short = vec![(0u128, 0u16); (short_names.len() * 2).next_power_of_two().max(16)].into_boxed_slice();
    let mask = short.len() - 1;
    let shift = 64 - short.len().trailing_zeros();
    for (name, id) in short_names {
      let packed = pack(&name);
      let mut at = slot_of(packed, shift);
      while short[at].0 != 0 && short[at].0 != packed {
        at = (at + 1) & mask;
      }
      short[at] = (packed, id);
    }
    let long = long_names.into_iter().map(|(name, id)| (name.into_boxed_slice(), id)).collect();
    SymbolIds { short, shift, long }
  }

  /// The id of the name whose `plain_string` packing is `packed` and whose bytes, needed only for
  /// names of 16 bytes and more (`packed` 0), `name` gives.
  #[inline(always)]
  pub fn get<'a>(&self, packed: u128, name: impl FnOnce() -> &'a [u8]) -> Option<u16> {
    if packed == 0 {
      return self.long.get(name()).copied();
    }
    let mask = self.short.len() - 1;
    let mut at = slot_of(packed, self.shift);
    loop {
      // Safety: `at` is masked to the table's power-of-two length.
      let (key, id) = unsafe { *self.short.get_unchecked(at & mask) };
      if key == packed {
        return Some(id);
      }
      if key == 0 {
        return None;
      }
      at = (at + 1) & mask;
    }
  }
}
