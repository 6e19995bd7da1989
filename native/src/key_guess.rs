//! Guessing each key of an order from the order before it.
//!
//! A producer writes its keys in one order, so the n-th key of a line is nearly always the n-th key
//! of the line before. The scanner remembers, for each field position, the bytes `"key":` it saw
//! there, and first compares the next 16 bytes with them: one masked `u128` compare instead of
//! reading the key and looking it up. A miss (another key, whitespace before the colon, a key it
//! does not know) takes the general path, which learns what it found.

use crate::json_text::{first_bytes, window};

/// Field positions remembered (later fields always take the general path).
const FIELDS: usize = 16;

#[derive(Clone, Copy)]
struct Guess {
  /// `"key":` packed as `json_text::pack` packs it; u128::MAX when nothing is known here.
  literal: u128,
  /// Its length in bytes (at most 15).
  length: u8,
  key: u8,
}

pub struct KeyGuesses {
  guesses: [Guess; FIELDS],
}

impl KeyGuesses {
  pub fn new() -> Self {
    KeyGuesses { guesses: [Guess { literal: u128::MAX, length: 0, key: 0 }; FIELDS] }
  }

  /// The key at field position `field` when the bytes from `p` on are the remembered `"key":`, and
  /// the index just past its colon.
  #[inline(always)]
  pub fn guess(&self, field: usize, bytes: &[u8], p: usize) -> Option<(usize, usize)> {
    let guess = self.guesses.get(field)?;
    (first_bytes(window(bytes, p), guess.length as usize) == guess.literal).then_some((guess.key as usize, p + guess.length as usize))
  }

  /// Remembers that field position `field` held key `key`, written as the bytes `[p, colon]`.
  #[inline]
  pub fn learn(&mut self, field: usize, key: usize, bytes: &[u8], p: usize, colon: usize) {
    let length = colon + 1 - p;
    if let Some(guess) = self.guesses.get_mut(field) {
      if length < 16 {
        *guess = Guess { literal: first_bytes(window(bytes, p), length), length: length as u8, key: key as u8 };
      }
    }
  }
}
