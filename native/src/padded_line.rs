//! A line read without bounds checks: made only where the buffer holds enough bytes past the
//! line's start for every read the compact scanner can make, so its reads are plain loads.
//!
//! The compact scanner stops once it is `MAX_LINE` bytes into a line, and from any position it
//! reaches it reads at most `REACH` bytes ahead (a key's literal, a value's 16-byte window, and the
//! bytes after it). So `MAX_LINE + REACH` readable bytes from the start cover every read.

use crate::json_text::WINDOW;

/// How far into a line the compact scanner goes before it leaves the line to the general one.
pub const MAX_LINE: usize = 224;
/// The most bytes read past any position the compact scanner is at, checked against `MAX_LINE`.
pub const REACH: usize = 64;

#[derive(Clone, Copy)]
pub struct PaddedLine<'a> {
  bytes: &'a [u8],
  /// `start + MAX_LINE`: the last position a field may start at.
  limit: usize,
}

impl<'a> PaddedLine<'a> {
  /// The line at `start`, or None when fewer than `MAX_LINE + REACH` bytes follow it.
  #[inline(always)]
  pub fn new(bytes: &'a [u8], start: usize) -> Option<PaddedLine<'a>> {
    (bytes.len() >= start + MAX_LINE + REACH).then_some(PaddedLine { bytes, limit: start + MAX_LINE })
  }

  /// Whether `p` is still a position the scanner may read from (reads go at most `REACH` past it).
  #[inline(always)]
  pub fn within(&self, p: usize) -> bool {
    p <= self.limit
  }

  /// The byte at `at`, which must be under `REACH` past a position `within` approved.
  #[inline(always)]
  pub fn byte(&self, at: usize) -> u8 {
    debug_assert!(at < self.limit + REACH);
    // Safety: `new` checked that `limit + REACH` bytes are readable, and callers stay within.
    unsafe { *self.bytes.get_unchecked(at) }
  }

  /// The index of the newline that ends the line when its object closes at `close` (a `}`): the
  /// next byte, or the one after a carriage return; None when anything else follows.
  #[inline(always)]
  pub fn newline_after(&self, close: usize) -> Option<usize> {
    match (self.byte(close + 1), self.byte(close + 2)) {
      (b'\n', _) => Some(close + 1),
      (b'\r', b'\n') => Some(close + 2),
      _ => None,
    }
  }

  /// The 16 bytes from `at` on, little-endian (`at + 16` under `REACH` past an approved position).
  #[inline(always)]
  pub fn window(&self, at: usize) -> u128 {
    debug_assert!(at + WINDOW <= self.limit + REACH);
    // Safety: as for `byte`; an unaligned read of 16 plain bytes.
    u128::from_le(unsafe { (self.bytes.as_ptr().add(at) as *const u128).read_unaligned() })
  }
}
