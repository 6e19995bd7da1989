// The snapshot codec: a book engine's complete state as bytes and back. Version 1, little-endian:
//   u32 magic 'RRMB', u32 version, f64 trade sequence, f64 per counter (COUNTER_KEYS order),
//   u32 accounts + (u32 account, u32 STP mode) by account id,
//   u32 books + per book: u32 symbol, f64 last price,
//     per side (bids, asks): u32 levels + per level, best first: u32 orders + orders oldest first,
//     per side (buy, sell): u32 stops + stops in stop-list order (next to trigger last).
//   An order: f64 id, price, stopPrice, qty, leavesQty, cumQty; u32 account;
//     u32 side | type << 8 | tif << 16 | stp << 24.
// Same state => byte-identical snapshot (maps are written sorted, books by symbol id).
import { Side, type StpMode } from '@ringmatch/protocol';
import type { Book } from './book.js';
import type { IdMap } from './idmap.js';
import type { LevelPool } from './level-pool.js';
import { NO_SLOT } from './no-slot.js';
import type { OrderPool } from './order-pool.js';
import type { RestingOrders } from './resting-orders.js';
import type { AccountStpModes } from './self-trade.js';
import { SnapshotError, SnapshotReader, SnapshotWriter } from './snapshot-bytes.js';
import type { EngineCounters } from './types.js';

const SNAPSHOT_MAGIC = 0x424d5252; // 'RRMB'
const SNAPSHOT_VERSION = 1;

/** The counters in their snapshot order (the native book's readCounters uses it too). */
export const COUNTER_KEYS: readonly (keyof EngineCounters)[] = [
  'commands',
  'newOrders',
  'cancels',
  'amends',
  'invalid',
  'rejected',
  'trades',
  'volume',
  'triggered',
  'expired',
  'stpCancels',
];

/** The parts of an engine a snapshot covers (besides the trade sequence). */
export interface SnapshotState {
  /** Indexed by symbol id. */
  readonly books: readonly (Book | undefined)[];
  readonly orders: OrderPool;
  readonly levels: LevelPool;
  readonly resting: RestingOrders;
  readonly ids: IdMap;
  readonly stp: AccountStpModes;
  readonly counters: EngineCounters;
}

export function encodeSnapshot(state: SnapshotState, tradeSeq: number): Uint8Array {
  const { orders, levels } = state;
  const w = new SnapshotWriter();
  w.u32(SNAPSHOT_MAGIC);
  w.u32(SNAPSHOT_VERSION);
  w.f64(tradeSeq);
  for (const k of COUNTER_KEYS) w.f64(state.counters[k]);
  const accounts = state.stp.sorted();
  w.u32(accounts.length);
  for (const [account, mode] of accounts) {
    w.u32(account);
    w.u32(mode);
  }
  const books = state.books.filter((b): b is Book => b !== undefined);
  w.u32(books.length);
  for (const book of books) {
    w.u32(book.symbolId);
    w.f64(book.lastPrice);
    for (let s = 0; s < 2; s++) {
      const lad = book.ladders[s]!;
      w.u32(lad.count);
      for (let i = lad.count - 1; i >= 0; i--) {
        const l = lad.levels[i]!;
        w.u32(levels.orderCount(l));
        for (let m = levels.head(l); m !== NO_SLOT; m = orders.next(m)) writeOrder(w, orders, m);
      }
    }
    for (let s = 0; s < 2; s++) {
      const stops = book.stops[s]!;
      w.u32(stops.count);
      for (let i = 0; i < stops.count; i++) writeOrder(w, orders, stops.orders[i]!);
    }
  }
  return w.finish();
}

/** A reader positioned after the header; throws SnapshotError unless `bytes` start like a snapshot of this version. */
export function openSnapshot(bytes: Uint8Array): SnapshotReader {
  const r = new SnapshotReader(bytes);
  if (r.u32() !== SNAPSHOT_MAGIC) throw new SnapshotError('not a book snapshot (bad magic)');
  if (r.u32() !== SNAPSHOT_VERSION) throw new SnapshotError('unsupported snapshot version');
  return r;
}

/** Reads the rest of an opened snapshot into `state`, which must be empty (fresh books, pools, maps); returns the trade sequence. */
export function decodeSnapshot(r: SnapshotReader, state: SnapshotState): number {
  const tradeSeq = r.f64();
  for (const k of COUNTER_KEYS) state.counters[k] = r.f64();
  const accounts = r.u32();
  for (let i = 0; i < accounts; i++) {
    const account = r.u32();
    state.stp.set(account, r.u32() as StpMode);
  }
  const books = r.u32();
  for (let b = 0; b < books; b++) {
    const symbolId = r.u32();
    const book = state.books[symbolId];
    if (!book) throw new SnapshotError(`snapshot has symbol ${symbolId}, missing from the symbol table`);
    book.lastPrice = r.f64();
    for (let s = 0; s < 2; s++) {
      const levelCount = r.u32();
      for (let i = 0; i < levelCount; i++) {
        const count = r.u32();
        for (let k = 0; k < count; k++) {
          const o = readOrder(r, state, symbolId);
          if (state.orders.side(o) !== s) throw new SnapshotError('order on the wrong side in snapshot');
          state.resting.rest(book, o);
        }
      }
    }
    for (let s = 0; s < 2; s++) {
      const stops = book.stops[s]!;
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const o = readOrder(r, state, symbolId);
        state.orders.setPendingStop(o);
        const stopPrice = state.orders.stopPrice(o);
        stops.push(s === Side.Buy ? -stopPrice : stopPrice, o);
      }
    }
  }
  if (!r.done()) throw new SnapshotError('trailing bytes in snapshot');
  return tradeSeq;
}

function writeOrder(w: SnapshotWriter, orders: OrderPool, o: number): void {
  w.f64(orders.id(o));
  w.f64(orders.price(o));
  w.f64(orders.stopPrice(o));
  w.f64(orders.qty(o));
  w.f64(orders.leavesQty(o));
  w.f64(orders.cumQty(o));
  w.u32(orders.account(o));
  w.u32(orders.side(o) | (orders.type(o) << 8) | (orders.tif(o) << 16) | (orders.stp(o) << 24));
}

/** Reads one order into a new slot of the pool and registers its id. */
function readOrder(r: SnapshotReader, state: SnapshotState, symbolId: number): number {
  const orders = state.orders;
  const o = orders.alloc();
  orders.setId(o, r.f64());
  orders.setPrice(o, r.f64());
  orders.setStopPrice(o, r.f64());
  orders.setQty(o, r.f64());
  orders.setLeavesQty(o, r.f64());
  orders.setCumQty(o, r.f64());
  orders.setAccount(o, r.u32());
  const enums = r.u32();
  orders.setSide(o, enums & 0xff);
  orders.setType(o, (enums >> 8) & 0xff);
  orders.setTif(o, (enums >> 16) & 0xff);
  orders.setStp(o, (enums >>> 24) & 0xff);
  orders.setSymbol(o, symbolId);
  orders.setLevel(o, NO_SLOT);
  const id = orders.id(o);
  if (state.ids.has(id)) throw new SnapshotError(`duplicate order id ${id} in snapshot`);
  state.ids.set(id, o);
  return o;
}
