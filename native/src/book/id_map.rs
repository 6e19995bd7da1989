//! Order id -> order slot for every live order (resting or pending stop).
//!
//! Integer ids live in pages of 1024 consecutive ids (4 KB of slots), found through an array over
//! a window of 2^26 ids from the first one (a hash map beyond it); other ids, and ids that would make the pages too sparse, go to a hash map. New
//! orders arrive with rising ids, so their entries share pages that stay in cache, and a cancel
//! reads one 4-byte entry: with a scrambling hash every insert was a cache miss on a table of
//! several MB (the live set here reaches ~100k orders), a quarter of the book's time. This is what
//! a radix tree over the ids gives, with one level. Pages are freed when their last id goes, and
//! a page is only made while pages hold no more than PAGE_BUDGET slots per live id, so ids spread
//! thin cost hash-map memory, not a page each.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const PAGE_BITS: u32 = 10;
const PAGE_SLOTS: usize = 1 << PAGE_BITS;
/// Pages may hold this many slots per live paged id (beyond MIN_PAGES): memory stays within
/// 4 x PAGE_BUDGET bytes per live order however the ids are spread.
const PAGE_BUDGET: usize = 16;
const MIN_PAGES: usize = 64;
const EMPTY: u32 = u32::MAX;
/// Page numbers the window covers: 2^26 ids, 256 KB of page indices at most.
const WINDOW_PAGES: u64 = 1 << 16;
/// Largest paged id (ids up to 2^53 are exact doubles).
const MAX_PAGED: f64 = 9_007_199_254_740_991.0;

/// murmur3's 64-bit finaliser as a Hasher, for the directory and the overflow map.
#[derive(Default)]
pub struct ScrambleHasher(u64);

impl Hasher for ScrambleHasher {
  #[inline]
  fn finish(&self) -> u64 {
    let mut h = self.0 ^ (self.0 >> 33);
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

type ScrambleMap = HashMap<u64, u32, BuildHasherDefault<ScrambleHasher>>;

struct Page {
  slots: Box<[u32; PAGE_SLOTS]>,
  live: u32,
}

pub struct IdMap {
  /// Page number (id >> PAGE_BITS) -> index in `pages`: a plain array over a window of
  /// WINDOW_PAGES page numbers from `window_base` (the first paged id's page), a hash map beyond.
  window: Vec<u32>,
  window_base: u64,
  directory: ScrambleMap,
  pages: Vec<Page>,
  free_pages: Vec<u32>,
  /// The last page found: (page number, index), or (u64::MAX, _).
  last: Cell<(u64, u32)>,
  /// Ids that are not paged, by their bits (-0 as 0).
  overflow: ScrambleMap,
  size: usize,
}

/// The page number and index of a pageable id, else None.
#[inline(always)]
fn paged(id: f64) -> Option<(u64, usize)> {
  if id >= 0.0 && id <= MAX_PAGED {
    let n = id as u64;
    if n as f64 == id {
      return Some((n >> PAGE_BITS, (n as usize) & (PAGE_SLOTS - 1)));
    }
  }
  None
}

#[inline(always)]
fn bits(id: f64) -> u64 {
  (id + 0.0).to_bits()
}

impl IdMap {
  pub fn new(_capacity: usize) -> IdMap {
    IdMap {
      window: Vec::new(),
      window_base: u64::MAX,
      directory: ScrambleMap::default(),
      pages: Vec::new(),
      free_pages: Vec::new(),
      last: Cell::new((u64::MAX, 0)),
      overflow: ScrambleMap::default(),
      size: 0,
    }
  }

  #[inline(always)]
  fn page_of(&self, page_number: u64) -> Option<u32> {
    let (n, p) = self.last.get();
    if n == page_number {
      return Some(p);
    }
    let p = match self.window.get(page_number.wrapping_sub(self.window_base) as usize) {
      Some(&p) if p != EMPTY => p,
      Some(_) => return None,
      None => *self.directory.get(&page_number)?,
    };
    self.last.set((page_number, p));
    Some(p)
  }

  /// Records page `p` (or EMPTY) for `page_number`: in the window when it falls there, else the map.
  fn set_page(&mut self, page_number: u64, p: u32) {
    if self.window_base == u64::MAX {
      self.window_base = page_number;
    }
    let at = page_number.wrapping_sub(self.window_base);
    if at < WINDOW_PAGES {
      let at = at as usize;
      if at >= self.window.len() {
        if p == EMPTY {
          return;
        }
        self.window.resize((at + 1).next_power_of_two(), EMPTY);
      }
      self.window[at] = p;
    } else if p == EMPTY {
      self.directory.remove(&page_number);
    } else {
      self.directory.insert(page_number, p);
    }
  }

  #[inline]
  pub fn get(&self, id: f64) -> Option<u32> {
    if let Some((page_number, i)) = paged(id) {
      if let Some(p) = self.page_of(page_number) {
        let slot = self.pages[p as usize].slots[i];
        if slot != EMPTY {
          return Some(slot);
        }
      }
    }
    if self.overflow.is_empty() {
      None
    } else {
      self.overflow.get(&bits(id)).copied()
    }
  }

  /// Inserts id -> o unless the id is present; returns the existing slot, or None when inserted.
  #[inline]
  pub fn put_if_absent(&mut self, id: f64, o: u32) -> Option<u32> {
    if let Some(existing) = self.get(id) {
      return Some(existing);
    }
    self.size += 1;
    if let Some((page_number, i)) = paged(id) {
      let page = match self.page_of(page_number) {
        Some(p) => Some(p),
        None => self.new_page(page_number),
      };
      if let Some(p) = page {
        let page = &mut self.pages[p as usize];
        page.slots[i] = o;
        page.live += 1;
        return None;
      }
    }
    self.overflow.insert(bits(id), o);
    None
  }

  /// A page for `page_number` while the budget allows one.
  #[cold]
  fn new_page(&mut self, page_number: u64) -> Option<u32> {
    let in_use = self.pages.len() - self.free_pages.len();
    if in_use >= MIN_PAGES && (in_use + 1) * PAGE_SLOTS > PAGE_BUDGET * (self.size + 1) {
      return None;
    }
    let p = match self.free_pages.pop() {
      Some(p) => p,
      None => {
        self.pages.push(Page { slots: Box::new([EMPTY; PAGE_SLOTS]), live: 0 });
        (self.pages.len() - 1) as u32
      }
    };
    self.set_page(page_number, p);
    self.last.set((page_number, p));
    Some(p)
  }

  #[inline]
  pub fn delete(&mut self, id: f64) {
    if let Some((page_number, i)) = paged(id) {
      if let Some(p) = self.page_of(page_number) {
        let page = &mut self.pages[p as usize];
        if page.slots[i] != EMPTY {
          page.slots[i] = EMPTY;
          page.live -= 1;
          self.size -= 1;
          if page.live == 0 {
            self.drop_page(page_number, p);
          }
          return;
        }
      }
    }
    if !self.overflow.is_empty() && self.overflow.remove(&bits(id)).is_some() {
      self.size -= 1;
    }
  }

  /// An emptied page goes back to the free list (its slots are all EMPTY again).
  #[cold]
  fn drop_page(&mut self, page_number: u64, p: u32) {
    self.set_page(page_number, EMPTY);
    self.free_pages.push(p);
    self.last.set((u64::MAX, 0));
  }

  pub fn len(&self) -> usize {
    self.size
  }

  pub fn clear(&mut self) {
    for page in &mut self.pages {
      page.slots.fill(EMPTY);
      page.live = 0;
    }
    self.free_pages = (0..self.pages.len() as u32).rev().collect();
    self.window.clear();
    self.window_base = u64::MAX;
    self.directory.clear();
    self.overflow.clear();
    self.last.set((u64::MAX, 0));
    self.size = 0;
  }
}
