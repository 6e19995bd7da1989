//! The book's complete state as bytes and back, in the JS book's snapshot format
//! (packages/book/src/snapshot-codec.ts), so a snapshot taken by either book restores into the
//! other. Version 1, little-endian:
//!   u32 magic 'RRMB', u32 version, f64 trade sequence, f64 per counter,
//!   u32 accounts + (u32 account, u32 STP mode) by account id,
//!   u32 books + per book: u32 symbol, f64 last price,
//!     per side (bids, asks): u32 levels + per level, best first: u32 orders + orders oldest first,
//!     per side (buy, sell): u32 stops + stops in stop-list order (next to trigger last).
//!   An order: f64 id, price, stopPrice, qty, leavesQty, cumQty; u32 account;
//!     u32 side | type << 8 | tif << 16 | stp << 24.

use super::counters::Counters;
use super::engine::Engine;
use super::order_pool::{OrderPool, NONE, PENDING_STOP};
use super::protocol::side;
use super::resting;
use super::symbol_book::SymbolBook;

const MAGIC: u32 = 0x424d_5252; // 'RRMB'
const VERSION: u32 = 1;

fn put_u32(out: &mut Vec<u8>, x: u32) {
  out.extend_from_slice(&x.to_le_bytes());
}

fn put_f64(out: &mut Vec<u8>, x: f64) {
  out.extend_from_slice(&x.to_le_bytes());
}

fn put_order(out: &mut Vec<u8>, orders: &OrderPool, o: u32) {
  let r = orders.get(o);
  for v in [r.id, r.price, orders.stop_prices[o as usize], r.qty, r.leaves_qty, r.cum_qty] {
    put_f64(out, v);
  }
  put_u32(out, r.account);
  put_u32(out, r.side as u32 | (r.order_type as u32) << 8 | (r.tif as u32) << 16 | (r.stp as u32) << 24);
}

/// Same state => byte-identical snapshot (accounts sorted, books by symbol id).
pub fn encode(engine: &Engine) -> Vec<u8> {
  let m = &engine.matcher;
  let mut out = Vec::with_capacity(64 + 64 * m.ids.len());
  put_u32(&mut out, MAGIC);
  put_u32(&mut out, VERSION);
  put_f64(&mut out, m.trade_seq);
  for v in m.counters.to_array() {
    put_f64(&mut out, v);
  }
  let accounts = engine.stp.sorted();
  put_u32(&mut out, accounts.len() as u32);
  for (account, mode) in accounts {
    put_u32(&mut out, account);
    put_u32(&mut out, mode as u32);
  }
  let books: Vec<&SymbolBook> = engine.books.iter().flatten().collect();
  put_u32(&mut out, books.len() as u32);
  for book in books {
    put_u32(&mut out, book.symbol_id as u32);
    put_f64(&mut out, book.last_price);
    for lad in &book.ladders {
      put_u32(&mut out, lad.count() as u32);
      for &l in lad.levels.iter().rev() {
        let level = m.levels.get(l);
        put_u32(&mut out, level.order_count);
        let mut o = level.head;
        while o != NONE {
          put_order(&mut out, &m.orders, o);
          o = m.orders.get(o).next;
        }
      }
    }
    for stops in &book.stops {
      put_u32(&mut out, stops.count() as u32);
      for &o in &stops.orders {
        put_order(&mut out, &m.orders, o);
      }
    }
  }
  out
}

/// A bounds-checked little-endian reader; errors carry the JS SnapshotError messages.
struct Reader<'a> {
  bytes: &'a [u8],
  at: usize,
}

impl Reader<'_> {
  fn take(&mut self, n: usize) -> Result<&[u8], String> {
    if self.at + n > self.bytes.len() {
      return Err("truncated snapshot".to_owned());
    }
    let s = &self.bytes[self.at..self.at + n];
    self.at += n;
    Ok(s)
  }

  fn u32(&mut self) -> Result<u32, String> {
    Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
  }

  fn f64(&mut self) -> Result<f64, String> {
    Ok(f64::from_le_bytes(self.take(8)?.try_into().unwrap()))
  }
}

/// Replaces the engine's whole state with the snapshot's; on an error the engine is left empty.
pub fn restore(engine: &mut Engine, bytes: &[u8]) -> Result<(), String> {
  clear(engine);
  let result = decode(engine, bytes);
  if result.is_err() {
    clear(engine);
  }
  result
}

fn clear(engine: &mut Engine) {
  let m = &mut engine.matcher;
  m.ids.clear();
  m.orders.clear();
  m.levels.clear();
  m.trade_seq = 0.0;
  m.counters = Counters::default();
  engine.stp.clear();
  for book in engine.books.iter_mut().flatten() {
    *book = SymbolBook::new(book.symbol_id, book.tick_size, book.lot_size);
  }
}

fn decode(engine: &mut Engine, bytes: &[u8]) -> Result<(), String> {
  let mut r = Reader { bytes, at: 0 };
  if r.u32()? != MAGIC {
    return Err("not a book snapshot (bad magic)".to_owned());
  }
  if r.u32()? != VERSION {
    return Err("unsupported snapshot version".to_owned());
  }
  engine.matcher.trade_seq = r.f64()?;
  let mut counters = [0.0; 11];
  for c in counters.iter_mut() {
    *c = r.f64()?;
  }
  engine.matcher.counters = Counters::from_array(&counters);
  let accounts = r.u32()?;
  for _ in 0..accounts {
    let account = r.u32()?;
    let mode = r.u32()?;
    engine.stp.set(account, mode as u8);
  }
  let books = r.u32()?;
  for _ in 0..books {
    let symbol_id = r.u32()?;
    let book = match engine.books.get_mut(symbol_id as usize) {
      Some(Some(book)) => book,
      _ => return Err(format!("snapshot has symbol {symbol_id}, missing from the symbol table")),
    };
    book.last_price = r.f64()?;
    let m = &mut engine.matcher;
    for s in 0..2u8 {
      let levels = r.u32()?;
      for _ in 0..levels {
        let count = r.u32()?;
        for _ in 0..count {
          let o = read_order(&mut r, m, symbol_id as u16)?;
          if m.orders.get(o).side != s {
            return Err("order on the wrong side in snapshot".to_owned());
          }
          resting::rest(&mut m.orders, &mut m.levels, book, o);
        }
      }
    }
    for s in 0..2u8 {
      let count = r.u32()?;
      for _ in 0..count {
        let o = read_order(&mut r, m, symbol_id as u16)?;
        if m.orders.get(o).side != s {
          return Err("order on the wrong side in snapshot".to_owned());
        }
        m.orders.get_mut(o).state = PENDING_STOP;
        let stop_price = m.orders.stop_prices[o as usize];
        book.stops[s as usize].push(if s == side::BUY { -stop_price } else { stop_price }, o);
      }
    }
  }
  if r.at != bytes.len() {
    return Err("trailing bytes in snapshot".to_owned());
  }
  Ok(())
}

/// Reads one order into a new slot of the pool and registers its id.
fn read_order(r: &mut Reader, m: &mut super::matching::Matcher, symbol_id: u16) -> Result<u32, String> {
  let o = m.orders.alloc();
  let (id, price, stop_price, qty, leaves, cum) = (r.f64()?, r.f64()?, r.f64()?, r.f64()?, r.f64()?, r.f64()?);
  let account = r.u32()?;
  let enums = r.u32()?;
  m.orders.stop_prices[o as usize] = stop_price;
  let rec = m.orders.get_mut(o);
  rec.id = id;
  rec.price = price;
  rec.qty = qty;
  rec.leaves_qty = leaves;
  rec.cum_qty = cum;
  rec.account = account;
  rec.side = (enums & 0xff) as u8;
  rec.order_type = ((enums >> 8) & 0xff) as u8;
  rec.tif = ((enums >> 16) & 0xff) as u8;
  rec.stp = (enums >> 24) as u8;
  rec.symbol = symbol_id;
  rec.level = NONE;
  if m.ids.put_if_absent(id, o).is_some() {
    return Err(format!("duplicate order id {} in snapshot", js_number(id)));
  }
  Ok(o)
}

/// A double as JS prints it in the messages above (integers without a fraction).
fn js_number(x: f64) -> String {
  if x.fract() == 0.0 && x.abs() < 1e21 {
    format!("{}", x as i64)
  } else {
    format!("{x}")
  }
}
