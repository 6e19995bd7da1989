//! Order id -> order slot for every live order (resting or pending stop): the standard hash map
//! keyed by the id's bits, with a finaliser that spreads an integer-valued double's bits (its low
//! mantissa bits are zero) over the whole hash.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
  #[inline]
  fn finish(&self) -> u64 {
    // murmur3's 64-bit finaliser
    let mut h = self.0;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
  }

  #[inline]
  fn write_u64(&mut self, x: u64) {
    self.0 = x;
  }

  fn write(&mut self, bytes: &[u8]) {
    for &b in bytes {
      self.0 = self.0.rotate_left(8) ^ b as u64;
    }
  }
}

pub struct IdMap {
  map: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
}

/// -0 and 0 are one id, as in JS.
#[inline(always)]
fn key(id: f64) -> u64 {
  (id + 0.0).to_bits()
}

impl IdMap {
  pub fn new(capacity: usize) -> IdMap {
    IdMap { map: HashMap::with_capacity_and_hasher(capacity, Default::default()) }
  }

  #[inline]
  pub fn get(&self, id: f64) -> Option<u32> {
    self.map.get(&key(id)).copied()
  }

  /// Inserts id -> o unless the id is present; returns the existing slot, or None when inserted.
  #[inline]
  pub fn put_if_absent(&mut self, id: f64, o: u32) -> Option<u32> {
    match self.map.entry(key(id)) {
      std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
      std::collections::hash_map::Entry::Vacant(e) => {
        e.insert(o);
        None
      }
    }
  }

  #[inline]
  pub fn insert(&mut self, id: f64, o: u32) {
    self.map.insert(key(id), o);
  }

  #[inline]
  pub fn delete(&mut self, id: f64) {
    self.map.remove(&key(id));
  }

  pub fn len(&self) -> usize {
    self.map.len()
  }

  pub fn clear(&mut self) {
    self.map.clear();
  }
}
