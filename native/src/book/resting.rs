//! Resting orders: each price level holds its orders in a doubly linked FIFO (time priority); the
//! side's ladder indexes the levels. Resting creates a level on demand, and a level that loses its
//! last order leaves the ladder and the pool.

use super::level_pool::LevelPool;
use super::order_pool::{OrderPool, NONE, RESTING};
use super::protocol::side;
use super::symbol_book::SymbolBook;

#[inline(always)]
pub fn ladder_key(side: u8, price: f64) -> f64 {
  if side == side::BUY {
    price
  } else {
    -price
  }
}

/// Appends order `o` to the tail of its price level (creating the level if needed).
#[inline]
pub fn rest(orders: &mut OrderPool, levels: &mut LevelPool, book: &mut SymbolBook, o: u32) {
  let (side, price, leaves) = {
    let r = orders.get(o);
    (r.side, r.price, r.leaves_qty)
  };
  let lad = &mut book.ladders[side as usize];
  let key = ladder_key(side, price);
  let i = lad.lower_bound(key);
  let l = if i < lad.count() && lad.keys[i] == key {
    lad.levels[i]
  } else {
    let l = levels.alloc(price, side);
    lad.insert_at(i, key, l);
    l
  };
  let level = levels.get_mut(l);
  let tail = level.tail;
  if tail == NONE {
    level.head = o;
  }
  level.tail = o;
  level.order_count += 1;
  level.qty += leaves;
  if tail != NONE {
    orders.get_mut(tail).next = o;
  }
  let r = orders.get_mut(o);
  r.prev = tail;
  r.next = NONE;
  r.level = l;
  r.state = RESTING;
}

/// Removes a resting order (with its open quantity) from its level; drops an emptied level.
#[inline]
pub fn unlink(orders: &mut OrderPool, levels: &mut LevelPool, book: &mut SymbolBook, o: u32) {
  let r = orders.get(o);
  let l = r.level;
  levels.get_mut(l).qty -= r.leaves_qty;
  unlink_filled(orders, levels, book, o, l);
}

/// Unlinks `o` from level `l` (level qty already adjusted); drops the level when empty.
#[inline]
pub fn unlink_filled(orders: &mut OrderPool, levels: &mut LevelPool, book: &mut SymbolBook, o: u32, l: u32) {
  let (prev, next, side) = {
    let r = orders.get_mut(o);
    r.level = NONE;
    (r.prev, r.next, r.side)
  };
  let level = levels.get_mut(l);
  if prev == NONE {
    level.head = next;
  }
  if next == NONE {
    level.tail = prev;
  }
  level.order_count -= 1;
  let empty = level.order_count == 0;
  if prev != NONE {
    orders.get_mut(prev).next = next;
  }
  if next != NONE {
    orders.get_mut(next).prev = prev;
  }
  if empty {
    close_level(levels, book, side, l);
  }
}

/// Drops empty level `l` from the `side` ladder and the pool.
fn close_level(levels: &mut LevelPool, book: &mut SymbolBook, side: u8, l: u32) {
  let lad = &mut book.ladders[side as usize];
  let key = ladder_key(side, levels.get(l).price);
  let n = lad.count();
  let i = if n > 0 && lad.keys[n - 1] == key { n - 1 } else { lad.lower_bound(key) };
  lad.remove_at(i);
  levels.free(l);
}
