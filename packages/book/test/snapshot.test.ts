// The snapshot codec: a non-trivial book survives a round trip exactly (state, priorities, stop
// order, and what happens next), a snapshot written by hand to the documented format restores to
// the state it describes, and malformed snapshots fail with SnapshotError.
import { describe, expect, it } from 'vitest';
import { CommandKind, ExecStatus, OrderType, Reason, Side, StpMode, SymbolTable, TimeInForce, createCommand, type Command } from '@ringmatch/protocol';
import { MatchingEngine } from '../src/matching-engine.js';
import { SnapshotError, SnapshotWriter } from '../src/snapshot-bytes.js';
import { CollectingSink } from '../src/sinks.js';

const symbols = new SymbolTable([
  { id: 1, name: 'ONE', tickSize: 1, lotSize: 1 },
  { id: 2, name: 'FIVE', tickSize: 5, lotSize: 10 },
]);

let seq = 1;
const cmd = (init: Partial<Command>): Command => createCommand({ symbolId: 1, accountId: 1, seq, timestamp: 5000 + seq++, ...init });
const limit = (orderId: number, side: Side, price: number, qty: number, more: Partial<Command> = {}): Command => cmd({ orderId, side, price, qty, ...more });
const stop = (orderId: number, side: Side, stopPrice: number, qty: number, more: Partial<Command> = {}): Command =>
  cmd({ orderId, side, type: OrderType.Stop, stopPrice, qty, ...more });

function run(e: MatchingEngine, cmds: Command[]): string[] {
  const sink = new CollectingSink();
  for (const c of cmds) e.process(c, sink);
  return sink.outputs.map((o) => JSON.stringify(o));
}

/** Two symbols with several levels a side, FIFO queues, partial fills, amends, stops of both sides (some at one price), account STP modes. */
function buildBook(): { e: MatchingEngine; ids: number[] } {
  const e = new MatchingEngine({ symbols, initialOrders: 16, initialLevels: 16 });
  e.setAccountStp(7, StpMode.CancelOldest);
  e.setAccountStp(3, StpMode.CancelNewest);
  const cmds = [
    limit(1, Side.Buy, 99, 10, { accountId: 2 }),
    limit(2, Side.Buy, 99, 20, { accountId: 3 }),
    limit(3, Side.Buy, 99, 30, { accountId: 4, stp: StpMode.CancelBoth }),
    limit(4, Side.Buy, 98, 5, { accountId: 2 ** 32 - 1 }),
    limit(5, Side.Buy, 95, 7, { accountId: 7, tif: TimeInForce.PostOnly }),
    limit(6, Side.Sell, 101, 8, { accountId: 5 }),
    limit(7, Side.Sell, 101, 9, { accountId: 6 }),
    limit(2 ** 53 - 1, Side.Sell, 103, 11, { accountId: 5 }),
    limit(9, Side.Sell, 99, 4, { accountId: 8, tif: TimeInForce.IOC }), // fills 4 of order 1
    cmd({ kind: CommandKind.Amend, orderId: 2, accountId: 3, qty: 15 }), // shrinks, keeps its place
    cmd({ kind: CommandKind.Amend, orderId: 6, accountId: 5, qty: 12 }), // grows, goes behind 7
    stop(10, Side.Buy, 105, 3, { accountId: 9 }),
    stop(11, Side.Buy, 105, 2, { accountId: 10 }),
    stop(12, Side.Buy, 110, 1, { accountId: 11, type: OrderType.StopLimit, price: 111, tif: TimeInForce.FOK }),
    stop(13, Side.Sell, 90, 6, { accountId: 12 }),
    stop(14, Side.Sell, 90, 1, { accountId: 13, stp: StpMode.CancelNewest }),
    limit(20, Side.Buy, 500, 30, { symbolId: 2, accountId: 2 }),
    limit(21, Side.Sell, 505, 40, { symbolId: 2, accountId: 3 }),
    stop(22, Side.Sell, 450, 10, { symbolId: 2, accountId: 4 }),
  ];
  run(e, cmds);
  return { e, ids: [1, 2, 3, 4, 5, 6, 7, 2 ** 53 - 1, 10, 11, 12, 13, 14, 20, 21, 22] };
}

/** Orders that cross both books, fire the stops of both sides (in trigger order) and an account's STP mode, then cancel. */
function continuation(): Command[] {
  return [
    limit(30, Side.Buy, 105, 40, { accountId: 20 }), // takes every ask (101, 103); 8 rest at 105
    limit(31, Side.Sell, 107, 10, { accountId: 25 }),
    limit(32, Side.Sell, 105, 4, { accountId: 21 }), // trades at 105: buy stops 10 then 11 fire and buy at 107
    limit(33, Side.Sell, 90, 100, { accountId: 7 }), // sweeps the bids; account 7's CancelOldest cancels order 5
    limit(34, Side.Buy, 90, 1, { accountId: 26 }), // trades at 90: sell stops 13 then 14 fire
    limit(35, Side.Sell, 450, 30, { symbolId: 2, accountId: 24 }),
    cmd({ kind: CommandKind.Cancel, orderId: 12, accountId: 11 }),
    cmd({ kind: CommandKind.Cancel, orderId: 21, symbolId: 2, accountId: 3 }),
  ];
}

describe('snapshot round trip of a non-trivial book', () => {
  it('restores the same state: bytes, depth, every order, counters, account modes', () => {
    const { e, ids } = buildBook();
    const snap = e.snapshot();
    const r = new MatchingEngine({ symbols, initialOrders: 16, initialLevels: 16 });
    r.restore(snap);
    expect(Buffer.from(r.snapshot()).equals(Buffer.from(snap))).toBe(true);
    for (const sym of [1, 2]) {
      expect(r.depth(sym, 50)).toEqual(e.depth(sym, 50));
      expect(r.lastTradePrice(sym)).toBe(e.lastTradePrice(sym));
    }
    expect(e.depth(1).bids).toEqual([
      { price: 99, qty: 6 + 15 + 30, orders: 3 },
      { price: 98, qty: 5, orders: 1 },
      { price: 95, qty: 7, orders: 1 },
    ]);
    for (const id of ids) {
      expect(e.order(id), `order ${id}`).toBeDefined();
      expect(r.order(id)).toEqual(e.order(id));
    }
    expect(r.order(10)).toMatchObject({ pendingStop: true, stopPrice: 105 });
    expect(r.openOrders).toBe(e.openOrders);
    expect(r.counters).toEqual(e.counters);
    expect([r.accountStpMode(7), r.accountStpMode(3), r.accountStpMode(2)]).toEqual([StpMode.CancelOldest, StpMode.CancelNewest, StpMode.None]);
  });

  it('continues exactly as the original: FIFO at each level, stops in trigger order, trade ids', () => {
    const { e } = buildBook();
    const r = new MatchingEngine({ symbols });
    r.restore(e.snapshot());
    const next = continuation();
    const expected = run(
      e,
      next.map((c) => ({ ...c })),
    );
    const actual = run(r, next);
    expect(actual).toEqual(expected);
    const reports = actual
      .map((o) => JSON.parse(o) as { kind: string; report?: { status: number; orderId: number; reason: number } })
      .flatMap((o) => (o.report ? [o.report] : []));
    expect(reports.filter((r) => r.status === ExecStatus.Triggered).map((r) => r.orderId)).toEqual([10, 11, 13, 14]);
    expect(reports.find((r) => r.orderId === 5)).toMatchObject({ status: ExecStatus.Cancelled, reason: Reason.SelfTradePrevention });
    expect(Buffer.from(r.snapshot()).equals(Buffer.from(e.snapshot()))).toBe(true);
  });
});

describe('snapshot format', () => {
  const MAGIC = 0x424d5252;
  function writeOrder(
    w: SnapshotWriter,
    o: {
      id: number;
      price: number;
      stopPrice: number;
      qty: number;
      leaves: number;
      cum: number;
      account: number;
      side: number;
      type: number;
      tif: number;
      stp: number;
    },
  ): void {
    for (const x of [o.id, o.price, o.stopPrice, o.qty, o.leaves, o.cum]) w.f64(x);
    w.u32(o.account);
    w.u32(o.side | (o.type << 8) | (o.tif << 16) | (o.stp << 24));
  }
  /** One book (symbol 1, last price 100): bids 99 x [A 5 of 8, B 3], no asks, one sell stop S at 98. */
  function handBuilt(tweak: { version?: number; symbol?: number; bSide?: number; bId?: number; trailing?: boolean } = {}): Uint8Array {
    const w = new SnapshotWriter();
    w.u32(MAGIC);
    w.u32(tweak.version ?? 1);
    w.f64(41); // trade sequence
    for (let k = 0; k < 11; k++) w.f64(k * 10); // counters, in declaration order
    w.u32(1);
    w.u32(5);
    w.u32(StpMode.CancelBoth);
    w.u32(1); // books
    w.u32(tweak.symbol ?? 1);
    w.f64(100);
    w.u32(1); // bid levels
    w.u32(2);
    writeOrder(w, {
      id: 1001,
      price: 99,
      stopPrice: 0,
      qty: 8,
      leaves: 5,
      cum: 3,
      account: 5,
      side: Side.Buy,
      type: OrderType.Limit,
      tif: TimeInForce.GTC,
      stp: StpMode.None,
    });
    writeOrder(w, {
      id: tweak.bId ?? 1002,
      price: 99,
      stopPrice: 0,
      qty: 3,
      leaves: 3,
      cum: 0,
      account: 6,
      side: tweak.bSide ?? Side.Buy,
      type: OrderType.Limit,
      tif: TimeInForce.PostOnly,
      stp: StpMode.CancelOldest,
    });
    w.u32(0); // ask levels
    w.u32(0); // buy stops
    w.u32(1); // sell stops
    writeOrder(w, {
      id: 1003,
      price: 0,
      stopPrice: 98,
      qty: 4,
      leaves: 4,
      cum: 0,
      account: 7,
      side: Side.Sell,
      type: OrderType.Stop,
      tif: TimeInForce.GTC,
      stp: StpMode.None,
    });
    if (tweak.trailing) w.u32(0);
    return w.finish();
  }

  it('restores a hand-written snapshot to the state it describes', () => {
    const e = new MatchingEngine({ symbols });
    e.restore(handBuilt());
    expect(e.counters).toEqual({
      commands: 0,
      newOrders: 10,
      cancels: 20,
      amends: 30,
      invalid: 40,
      rejected: 50,
      trades: 60,
      volume: 70,
      triggered: 80,
      expired: 90,
      stpCancels: 100,
    });
    expect(e.accountStpMode(5)).toBe(StpMode.CancelBoth);
    expect(e.lastTradePrice(1)).toBe(100);
    expect(e.depth(1)).toEqual({ symbolId: 1, bids: [{ price: 99, qty: 8, orders: 2 }], asks: [] });
    expect(e.order(1001)).toEqual({
      orderId: 1001,
      symbolId: 1,
      accountId: 5,
      side: Side.Buy,
      type: OrderType.Limit,
      tif: TimeInForce.GTC,
      stp: StpMode.None,
      price: 99,
      stopPrice: 0,
      qty: 8,
      cumQty: 3,
      leavesQty: 5,
      pendingStop: false,
    });
    expect(e.order(1002)).toMatchObject({ tif: TimeInForce.PostOnly, stp: StpMode.CancelOldest, pendingStop: false });
    expect(e.order(1003)).toMatchObject({ side: Side.Sell, type: OrderType.Stop, stopPrice: 98, pendingStop: true });
    // the next trade is number 42, against the older order first; trading at 98 fires the stop
    const out = run(e, [limit(50, Side.Sell, 98, 6, { accountId: 9 })]).map(
      (o) => JSON.parse(o) as { kind: string; trade?: { tradeId: number; makerOrderId: number; price: number } },
    );
    expect(out.filter((o) => o.kind === 'trade').map((o) => [o.trade!.tradeId, o.trade!.makerOrderId, o.trade!.price])).toEqual([
      [42, 1001, 99],
      [43, 1002, 99],
    ]);
    expect(e.order(1003)).toMatchObject({ pendingStop: true }); // last price 99: not yet
    run(e, [limit(51, Side.Buy, 98, 1, { accountId: 9 }), limit(52, Side.Sell, 98, 3, { accountId: 10 })]);
    expect(e.order(1003)).toBeUndefined(); // fired at 98 (and expired: nothing left to sell into)
    expect(e.counters.triggered).toBe(81);
  });

  it('fails with SnapshotError on malformed input; a bad header leaves the engine untouched', () => {
    const e = new MatchingEngine({ symbols });
    e.restore(handBuilt());
    const good = handBuilt();
    const badMagic = good.slice();
    badMagic[0] = 0;
    const cases: [Uint8Array, RegExp][] = [
      [badMagic, /bad magic/],
      [handBuilt({ version: 2 }), /unsupported snapshot version/],
      [good.subarray(0, good.length - 3), /truncated/],
      [handBuilt({ trailing: true }), /trailing bytes/],
      [handBuilt({ bId: 1001 }), /duplicate order id 1001/],
      [handBuilt({ bSide: Side.Sell }), /wrong side/],
      [handBuilt({ symbol: 9 }), /symbol 9, missing from the symbol table/],
    ];
    for (const [bytes, message] of cases) {
      const f = new MatchingEngine({ symbols });
      expect(() => f.restore(bytes)).toThrow(SnapshotError);
      expect(() => f.restore(bytes)).toThrow(message);
    }
    expect(() => e.restore(badMagic)).toThrow(SnapshotError);
    expect(e.order(1001)).toMatchObject({ leavesQty: 5 });
    expect(e.depth(1).bids).toEqual([{ price: 99, qty: 8, orders: 2 }]);
  });
});
