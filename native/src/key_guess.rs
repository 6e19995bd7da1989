//! Guessing each key of an order from the key before it and the order's op.
//!
//! A producer writes its keys in one order per kind of command, so the key after `account` in a
//! `new` order is nearly always the key that followed `account` in the last `new` order. The
//! scanner remembers, for each op and each key, the bytes `"key":` that came next, and first
//! compares the next 16 bytes with them: one masked `u128` compare instead of reading the key and
//! looking it up. The guess is also what the processor speculates on, so the position after a key
//! does not wait for the key to be read. Keyed by op and previous key, not by field position, an
//! optional field (`stp`, `stopPrice`) or a cancel between two new orders costs a miss or two, not
//! one per field after it. A miss (another key, whitespace before the colon, a key it does not
//! know) takes the general path, which learns what it found.

use crate::json_text::{first_bytes, pack, window};

/// Rows of guesses: one before the op is known (or for an op it does not know), one per op.
const OP_ROWS: usize = 4;
/// Columns: one per known key, one for the start of the object, one after an unknown key.
const COLUMNS: usize = 16;
/// The column at the start of an object: the keys' own columns are the ones below it
/// (`json_command` checks that its known keys fit).
pub const START: usize = 14;
/// The column after a key the scanner does not know.
const UNKNOWN: usize = 15;

#[derive(Clone, Copy)]
struct Guess {
  /// `"key":` packed as `json_text::pack` packs it; u128::MAX when nothing is known here.
  literal: u128,
  /// Its length in bytes (at most 15).
  length: u8,
  key: u8,
}

pub struct KeyGuesses {
  guesses: [Guess; OP_ROWS * COLUMNS],
}

/// Where the scanner is in an object: the row of its op and the column of the key it just read.
#[derive(Clone, Copy)]
pub struct GuessState(usize);

impl GuessState {
  /// The state at the start of an object.
  #[inline(always)]
  pub fn start() -> GuessState {
    GuessState(START)
  }

  /// The state after key `key` (None: unknown), with the op row unchanged.
  #[inline(always)]
  pub fn after(self, key: Option<usize>) -> GuessState {
    GuessState(self.0 / COLUMNS * COLUMNS + key.unwrap_or(UNKNOWN))
  }

  /// The state with the op row of the op value `packed` (as `plain_string` packs it), written in
  /// small letters as producers do; any other spelling takes row 0. Branch-free: the op of each
  /// line is as random as the flow of orders.
  #[inline(always)]
  pub fn with_op(self, packed: u128) -> GuessState {
    let row = usize::from(packed == pack(b"new")) | usize::from(packed == pack(b"cancel")) * 2 | usize::from(packed == pack(b"amend")) * 3;
    GuessState(row * COLUMNS + self.0 % COLUMNS)
  }
}

impl KeyGuesses {
  pub fn new() -> Self {
    KeyGuesses { guesses: [Guess { literal: u128::MAX, length: 0, key: 0 }; OP_ROWS * COLUMNS] }
  }

  /// The key guessed at `state` when the bytes from `p` on are the remembered `"key":`, and the
  /// index just past its colon.
  #[inline(always)]
  pub fn guess(&self, state: GuessState, bytes: &[u8], p: usize) -> Option<(usize, usize)> {
    let (key, length, literal) = self.expected(state);
    (first_bytes(window(bytes, p), length) == literal).then_some((key, p + length))
  }

  /// The key expected at `state`, the length of its `"key":` and those bytes packed (length 0 and
  /// u128::MAX, which no bytes match, when nothing is known there).
  #[inline(always)]
  pub fn expected(&self, state: GuessState) -> (usize, usize, u128) {
    let guess = &self.guesses[state.0 & (OP_ROWS * COLUMNS - 1)];
    (guess.key as usize, guess.length as usize, guess.literal)
  }

  /// Remembers that key `key`, written as the bytes `[p, colon]`, came at `state`.
  #[inline]
  pub fn learn(&mut self, state: GuessState, key: usize, bytes: &[u8], p: usize, colon: usize) {
    let length = colon + 1 - p;
    if length < 16 {
      self.guesses[state.0 & (OP_ROWS * COLUMNS - 1)] = Guess { literal: first_bytes(window(bytes, p), length), length: length as u8, key: key as u8 };
    }
  }
}
