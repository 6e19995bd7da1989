//! Byte-level pieces of the JSON order scanner: strings and numbers read 16 bytes at a time.
//!
//! Keys, enum names, most symbols and every number it takes are under 17 bytes, so each is found,
//! checked and packed into a `u128` from one unaligned load: the closing quote, any byte a plain
//! string may not hold and the end of a number come from SSE2 byte compares, digits are summed
//! eight at a time, and a packed string is compared as one integer (no byte loop, no `memcmp`).
//! Longer strings fall back to a byte loop.

/// Bytes a window holds.
pub const WINDOW: usize = 16;

/// The 16 bytes from `p` on, little-endian; bytes past the end of `bytes` read as zero.
#[inline(always)]
pub fn window(bytes: &[u8], p: usize) -> u128 {
  if let Some(chunk) = bytes.get(p..p + WINDOW) {
    u128::from_le_bytes(chunk.try_into().unwrap())
  } else {
    let mut padded = [0u8; WINDOW];
    let rest = bytes.get(p..).unwrap_or(&[]);
    padded[..rest.len()].copy_from_slice(rest);
    u128::from_le_bytes(padded)
  }
}

/// FIRST_BYTES[n] keeps the first n bytes of a window (n <= 16; the table is padded to 32 entries
/// so that an index masked to 5 bits needs no bounds check).
const FIRST_BYTES: [u128; 32] = {
  let mut masks = [0u128; 32];
  let mut n = 1;
  while n <= WINDOW {
    masks[n] = u128::MAX >> (8 * (WINDOW - n));
    n += 1;
  }
  masks
};

/// `w` keeping only its first `length` bytes (`length` <= 16).
#[inline(always)]
pub fn first_bytes(w: u128, length: usize) -> u128 {
  debug_assert!(length <= WINDOW);
  w & FIRST_BYTES[length & 31]
}

/// Per-byte tests on a window, bit i for byte i: one SSE2 compare each on x86-64, a byte loop elsewhere.
#[cfg(target_arch = "x86_64")]
mod tests16 {
  use std::arch::x86_64::*;

  #[inline(always)]
  fn vector(w: u128) -> __m128i {
    // Safety: both are 16 plain bytes.
    unsafe { std::mem::transmute::<u128, __m128i>(w) }
  }

  /// Bytes equal to `byte`.
  #[inline(always)]
  pub fn equal(w: u128, byte: u8) -> u32 {
    // Safety: SSE2 is part of x86-64.
    unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(vector(w), _mm_set1_epi8(byte as i8))) as u32 }
  }

  /// Bytes equal in `w` and `other`.
  #[inline(always)]
  pub fn equal_bytes(w: u128, other: u128) -> u32 {
    // Safety: SSE2 is part of x86-64.
    unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(vector(w), vector(other))) as u32 }
  }

  /// Bytes a plain string may not hold: control bytes, DEL, non-ASCII and the backslash (an escape).
  #[inline(always)]
  pub fn not_plain(w: u128) -> u32 {
    let v = vector(w);
    // Safety: SSE2 is part of x86-64. A signed compare below 0x20 also catches 0x80-0xff.
    unsafe {
      let control_or_high = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
      let del_or_escape = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
      _mm_movemask_epi8(_mm_or_si128(control_or_high, del_or_escape)) as u32
    }
  }

  /// Bytes that are not ASCII digits.
  #[inline(always)]
  pub fn not_digits(w: u128) -> u32 {
    // Safety: SSE2 is part of x86-64. byte - '0' is a digit's value when, unsigned, it is at most 9.
    unsafe {
      let values = _mm_sub_epi8(vector(w), _mm_set1_epi8(b'0' as i8));
      let digits = _mm_cmpeq_epi8(_mm_max_epu8(values, _mm_set1_epi8(9)), _mm_set1_epi8(9));
      !(_mm_movemask_epi8(digits) as u32) & 0xffff
    }
  }
}

#[cfg(not(target_arch = "x86_64"))]
mod tests16 {
  #[inline(always)]
  fn bits(w: u128, test: impl Fn(u8) -> bool) -> u32 {
    w.to_le_bytes().iter().enumerate().fold(0, |bits, (i, &b)| if test(b) { bits | 1 << i } else { bits })
  }

  pub fn equal(w: u128, byte: u8) -> u32 {
    bits(w, |b| b == byte)
  }

  pub fn equal_bytes(w: u128, other: u128) -> u32 {
    let other = other.to_le_bytes();
    w.to_le_bytes().iter().zip(other).enumerate().fold(0, |bits, (i, (&a, b))| if a == b { bits | 1 << i } else { bits })
  }

  pub fn not_plain(w: u128) -> u32 {
    bits(w, |b| b == b'\\' || !(0x20..=0x7e).contains(&b))
  }

  pub fn not_digits(w: u128) -> u32 {
    bits(w, |b| !b.is_ascii_digit())
  }
}

/// Whether window `w` starts with the bytes of `literal` that `mask` selects (bit i: byte i; the
/// first bytes of a `literal` packed as `pack` packs it). One byte compare and one mask test: no
/// 128-bit arithmetic in general registers.
#[inline(always)]
pub fn starts_with(w: u128, literal: u128, mask: u32) -> bool {
  tests16::equal_bytes(w, literal) & mask == mask
}

/// A plain string (printable ASCII, no escapes) that starts at `p`, just after its opening quote.
pub struct PlainString {
  /// Index of its closing quote.
  pub end: usize,
  /// Its bytes packed little-endian when it is shorter than 16 bytes, else 0 (no plain string packs
  /// to 0 but the empty one, which no key, enum or symbol name is).
  pub packed: u128,
}

/// How a string whose text starts window `w` goes on in it.
pub enum WindowString {
  /// Its closing quote is in the window: this many bytes come before it, all plain.
  Short(usize),
  /// All 16 bytes are plain and none is a quote: it is 16 bytes or longer.
  Long,
  /// A byte a plain string may not hold comes before any quote.
  NotPlain,
}

/// The string whose text starts window `w`, as far as the window shows it.
#[inline(always)]
pub fn string_in_window(w: u128) -> WindowString {
  let quote = tests16::equal(w, b'"');
  let stops = quote | tests16::not_plain(w);
  if stops == 0 {
    return WindowString::Long;
  }
  let at = stops.trailing_zeros();
  if quote & (1 << at) == 0 {
    return WindowString::NotPlain; // (a zero past the end counts as one)
  }
  WindowString::Short(at as usize)
}

/// How many ASCII digits begin window `w` (16: all of them, and maybe more after it).
#[inline(always)]
pub fn digits_in_window(w: u128) -> usize {
  (tests16::not_digits(w) | 1 << WINDOW).trailing_zeros() as usize
}

/// The plain string starting at `p`, or None when it holds anything else or has no closing quote.
#[inline(always)]
pub fn plain_string(bytes: &[u8], p: usize) -> Option<PlainString> {
  let w = window(bytes, p);
  match string_in_window(w) {
    WindowString::Short(length) => return Some(PlainString { end: p + length, packed: first_bytes(w, length) }),
    WindowString::NotPlain => return None,
    WindowString::Long => {}
  }
  // 16 plain bytes and no quote yet: a long string
  let mut at = p + WINDOW;
  while let Some(&b) = bytes.get(at) {
    if b == b'"' {
      return Some(PlainString { end: at, packed: 0 });
    }
    if b == b'\\' || !(0x20..=0x7e).contains(&b) {
      return None;
    }
    at += 1;
  }
  None
}

/// `text` packed as `plain_string` packs it (`text` shorter than 16 bytes).
pub const fn pack(text: &[u8]) -> u128 {
  let mut packed = 0u128;
  let mut i = 0;
  while i < text.len() {
    packed |= (text[i] as u128) << (8 * i);
    i += 1;
  }
  packed
}

/// `packed` with its ASCII capitals made small letters (the decoders match enum names case-blind).
pub fn lower_case(packed: u128) -> u128 {
  let mut bytes = packed.to_le_bytes();
  for b in &mut bytes {
    *b = b.to_ascii_lowercase();
  }
  u128::from_le_bytes(bytes)
}

/// Eight digit values (0-9, the first in the lowest byte) as one number.
#[inline(always)]
fn eight_digits(mut v: u64) -> u64 {
  v = (v * 10 + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
  v = (v * 100 + (v >> 16)) & 0x0000_ffff_0000_ffff;
  (v * 10_000 + (v >> 32)) & 0xffff_ffff
}

/// The run of ASCII digits from `p` on: its value and its length, or None when it is longer than
/// 16 digits (the value is then not needed: no such number is taken).
#[inline(always)]
pub fn digits(bytes: &[u8], p: usize) -> Option<(u64, usize)> {
  let w = window(bytes, p);
  let count = digits_in_window(w);
  if count == WINDOW && bytes.get(p + WINDOW).is_some_and(u8::is_ascii_digit) {
    return None;
  }
  if count == 0 {
    return Some((0, 0));
  }
  Some((digits_value(w, count), count))
}

/// The value of the `count` digits (1 to 16) that begin window `w`.
#[inline(always)]
pub fn digits_value(w: u128, count: usize) -> u64 {
  // The digit values right-aligned (leading zeros before them), then summed eight at a time. The
  // subtraction borrows only upwards, out of the digits kept.
  let values = first_bytes(w.wrapping_sub(u128::MAX / 0xff * u128::from(b'0')), count);
  if count <= 8 {
    return eight_digits((values as u64) << (8 * (8 - count)));
  }
  let values = values << (8 * (WINDOW - count));
  eight_digits(values as u64) * 100_000_000 + eight_digits((values >> 64) as u64)
}
