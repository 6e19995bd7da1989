// Order and level pools: each accessor reads back what its setter wrote, writes touch no other
// field and no other record, slots are reused lowest first, and growth keeps every record.
import { describe, expect, it } from 'vitest';
import { copyReport, createCommand, OrderType, Side, StpMode, TimeInForce } from '@ringmatch/protocol';
import { LevelPool } from '../src/level-pool.js';
import { NO_SLOT } from '../src/no-slot.js';
import { OrderPool } from '../src/order-pool.js';
import { OrderReport } from '../src/order-report.js';

type Field<P> = { name: string; get: (p: P, s: number) => number; set: (p: P, s: number, v: number) => void; value: (seed: number) => number };

// A distinct in-range value per field and seed, so a write landing on the wrong bytes shows.
const orderFields: Field<OrderPool>[] = [
  { name: 'id', get: (p, s) => p.id(s), set: (p, s, v) => p.setId(s, v), value: (k) => 2 ** 52 + k * 7 },
  { name: 'price', get: (p, s) => p.price(s), set: (p, s, v) => p.setPrice(s, v), value: (k) => 1_000_001 + k },
  { name: 'stopPrice', get: (p, s) => p.stopPrice(s), set: (p, s, v) => p.setStopPrice(s, v), value: (k) => 2_000_003 + k },
  { name: 'qty', get: (p, s) => p.qty(s), set: (p, s, v) => p.setQty(s, v), value: (k) => 3_000_005 + k },
  { name: 'leavesQty', get: (p, s) => p.leavesQty(s), set: (p, s, v) => p.setLeavesQty(s, v), value: (k) => 4_000_007 + k },
  { name: 'cumQty', get: (p, s) => p.cumQty(s), set: (p, s, v) => p.setCumQty(s, v), value: (k) => 5_000_009 + k },
  { name: 'next', get: (p, s) => p.next(s), set: (p, s, v) => p.setNext(s, v), value: (k) => -1000 - k },
  { name: 'prev', get: (p, s) => p.prev(s), set: (p, s, v) => p.setPrev(s, v), value: (k) => 2_000_000_000 + k },
  { name: 'level', get: (p, s) => p.level(s), set: (p, s, v) => p.setLevel(s, v), value: (k) => 77_777 + k },
  { name: 'account', get: (p, s) => p.account(s), set: (p, s, v) => p.setAccount(s, v), value: (k) => 4_000_000_000 + k },
  { name: 'symbol', get: (p, s) => p.symbol(s), set: (p, s, v) => p.setSymbol(s, v), value: (k) => 65_000 + k },
  { name: 'side', get: (p, s) => p.side(s), set: (p, s, v) => p.setSide(s, v), value: (k) => 200 + (k % 25) },
  { name: 'type', get: (p, s) => p.type(s), set: (p, s, v) => p.setType(s, v), value: (k) => 210 + (k % 25) },
  { name: 'tif', get: (p, s) => p.tif(s), set: (p, s, v) => p.setTif(s, v), value: (k) => 220 + (k % 25) },
  { name: 'stp', get: (p, s) => p.stp(s), set: (p, s, v) => p.setStp(s, v), value: (k) => 230 + (k % 25) },
];

const levelFields: Field<LevelPool>[] = [
  { name: 'qty', get: (p, s) => p.qty(s), set: (p, s, v) => p.setQty(s, v), value: (k) => 9_000_001 + k },
  { name: 'head', get: (p, s) => p.head(s), set: (p, s, v) => p.setHead(s, v), value: (k) => 1_000_000 + k },
  { name: 'tail', get: (p, s) => p.tail(s), set: (p, s, v) => p.setTail(s, v), value: (k) => -2 - k },
  { name: 'orderCount', get: (p, s) => p.orderCount(s), set: (p, s, v) => p.setOrderCount(s, v), value: (k) => 300 + k },
];

function fillAll<P>(pool: P, fields: Field<P>[], slot: number, seed: number): void {
  for (const f of fields) f.set(pool, slot, f.value(seed));
}
function expectAll<P>(pool: P, fields: Field<P>[], slot: number, seed: number): void {
  for (const f of fields) expect(f.get(pool, slot), `${f.name} of slot ${slot}`).toBe(f.value(seed));
}

describe('OrderPool', () => {
  it('hands out distinct slots, lowest record first, and reuses freed ones first', () => {
    const pool = new OrderPool(4);
    const a = pool.alloc();
    const b = pool.alloc();
    expect(b).toBeGreaterThan(a);
    pool.free(a);
    expect(pool.alloc()).toBe(a);
    pool.release(b);
    expect(pool.alloc()).toBe(b);
  });

  it('reads back every field, and a write changes no other field or record', () => {
    const pool = new OrderPool(4);
    const slots = [pool.alloc(), pool.alloc(), pool.alloc()];
    for (const [k, s] of slots.entries()) fillAll(pool, orderFields, s, k);
    for (const [k, s] of slots.entries()) expectAll(pool, orderFields, s, k);
    // rewrite each field of the middle record alone: the others keep their values
    for (const f of orderFields) {
      f.set(pool, slots[1]!, f.value(50));
      expect(f.get(pool, slots[1]!)).toBe(f.value(50));
      for (const g of orderFields) if (g !== f) expect(g.get(pool, slots[1]!), `${g.name} after writing ${f.name}`).toBe(g.value(1));
      expectAll(pool, orderFields, slots[0]!, 0);
      expectAll(pool, orderFields, slots[2]!, 2);
      f.set(pool, slots[1]!, f.value(1));
    }
  });

  it('tracks the pending-stop state apart from the other fields', () => {
    const pool = new OrderPool(4);
    const s = pool.alloc();
    fillAll(pool, orderFields, s, 3);
    pool.setPendingStop(s);
    expect(pool.isPendingStop(s)).toBe(true);
    pool.setActive(s);
    expect(pool.isPendingStop(s)).toBe(false);
    pool.setPendingStop(s);
    pool.setResting(s);
    expect(pool.isPendingStop(s)).toBe(false);
    expectAll(pool, orderFields, s, 3);
  });

  it('fills a record from a command, records fills, and a report view reads it (also after the pool grows)', () => {
    const pool = new OrderPool(4);
    const s = pool.alloc();
    pool.setLevel(s, 1234);
    const cmd = createCommand({
      orderId: 2 ** 40 + 1,
      symbolId: 513,
      accountId: 3_000_000_000,
      side: Side.Sell,
      type: OrderType.StopLimit,
      tif: TimeInForce.PostOnly,
      price: 101,
      stopPrice: 99,
      qty: 70,
      stp: StpMode.Default,
    });
    pool.init(s, cmd, StpMode.CancelBoth);
    expect(pool.level(s)).toBe(NO_SLOT);
    expect(pool.stp(s)).toBe(StpMode.CancelBoth);
    pool.fill(s, 30);
    expect([pool.leavesQty(s), pool.cumQty(s), pool.qty(s)]).toEqual([40, 30, 70]);
    const r = new OrderReport(pool);
    r.slot = s;
    const expected = {
      orderId: cmd.orderId,
      symbolId: 513,
      accountId: 3_000_000_000,
      side: Side.Sell,
      type: OrderType.StopLimit,
      tif: TimeInForce.PostOnly,
      price: 101,
      stopPrice: 99,
      qty: 70,
      cumQty: 30,
      leavesQty: 40,
    };
    expect(copyReport(r)).toMatchObject(expected);
    for (let i = 0; i < 8; i++) pool.alloc(); // past the capacity of 4: the records move to a new buffer
    pool.fill(s, 10);
    expect(copyReport(r)).toMatchObject({ ...expected, cumQty: 40, leavesQty: 30 });
  });

  it('grows by doubling and keeps every record; clear frees all at the grown size', () => {
    const pool = new OrderPool(2);
    const slots = Array.from({ length: 37 }, () => pool.alloc());
    expect(new Set(slots).size).toBe(37);
    for (const [k, s] of slots.entries()) fillAll(pool, orderFields, s, k);
    for (let k = 0; k < 100; k++) pool.free(pool.alloc()); // churn at the top of the stack
    for (const [k, s] of slots.entries()) expectAll(pool, orderFields, s, k);
    pool.clear();
    const again = Array.from({ length: 64 }, () => pool.alloc());
    expect(new Set(again).size).toBe(64); // every record of the grown buffer, lowest first again
    expect(again.slice(0, 37)).toEqual(slots);
  });
});

describe('LevelPool', () => {
  it('allocates empty levels at a price, reads back every field, and grows keeping records', () => {
    const pool = new LevelPool(2);
    const slots = Array.from({ length: 9 }, (_, k) => pool.alloc(100 + k, k % 2));
    for (const [k, s] of slots.entries()) {
      expect([pool.price(s), pool.qty(s), pool.head(s), pool.tail(s), pool.orderCount(s)]).toEqual([100 + k, 0, NO_SLOT, NO_SLOT, 0]);
      fillAll(pool, levelFields, s, k);
    }
    pool.alloc(999, 0); // one more growth
    for (const [k, s] of slots.entries()) {
      expect(pool.price(s)).toBe(100 + k);
      expectAll(pool, levelFields, s, k);
    }
    pool.free(slots[4]!);
    const reused = pool.alloc(555, 1);
    expect(reused).toBe(slots[4]);
    expect([pool.price(reused), pool.qty(reused), pool.head(reused), pool.tail(reused), pool.orderCount(reused)]).toEqual([555, 0, NO_SLOT, NO_SLOT, 0]);
  });
});
