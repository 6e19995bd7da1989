//! A few known names (the keys of an order, its enum values) looked up by one hashed probe.
//!
//! The names are packed strings (`json_text::pack`). A multiply-shift hash with a multiplier found
//! at compile time puts each in a slot of its own, so a lookup is one hash, one load and one
//! compare, with no branch on which name it is: a search through the names mispredicted on every
//! random side or time in force.

/// A table of 2^BITS slots.
pub struct NameTable<const BITS: u32 = 4> {
  multiplier: u64,
  /// Packed name (0: an empty slot) and its code.
  slots: [(u128, u8); 32],
}

#[inline(always)]
const fn slot_of(packed: u128, multiplier: u64, bits: u32) -> usize {
  (((packed as u64) ^ ((packed >> 64) as u64)).wrapping_mul(multiplier) >> (64 - bits)) as usize
}

impl<const BITS: u32> NameTable<BITS> {
  /// The table of `names` (distinct, non-empty packed names). Fails to compile if no multiplier of
  /// the ones it tries gives every name a slot of its own.
  pub const fn new(names: &[(u128, u8)]) -> NameTable<BITS> {
    assert!(BITS <= 5, "at most 32 slots");
    let mut multiplier: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut attempt = 0;
    while attempt < 10_000 {
      let mut slots = [(0u128, 0u8); 32];
      let mut i = 0;
      let mut clash = false;
      while i < names.len() {
        let at = slot_of(names[i].0, multiplier, BITS);
        if slots[at].0 != 0 {
          clash = true;
          break;
        }
        slots[at] = names[i];
        i += 1;
      }
      if !clash {
        return NameTable { multiplier, slots };
      }
      // the next odd candidate, from a 64-bit LCG
      multiplier = multiplier.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407) | 1;
      attempt += 1;
    }
    panic!("no multiplier gives these names a slot each");
  }

  /// The code of the name packed as `packed`, as written.
  #[inline(always)]
  pub fn get(&self, packed: u128) -> Option<u8> {
    let (name, code) = self.slots[slot_of(packed, self.multiplier, BITS)];
    (name == packed && packed != 0).then_some(code)
  }
}
