// Reference-model test: random command streams (fast-check) and the realistic generator's stream
// through MatchingEngine and the simple ReferenceMatcher; every output must agree, in order.
// Size: RINGMATCH_REF_COMMANDS (default 300k random commands; set 1000000+ for the full run).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CollectingSink, MatchingEngine, OrderFlowGenerator } from '@ringmatch/book';
import { CommandKind, Field, OrderType, Reason, SymbolTable, StpMode, TimeInForce, createCommand, type Command } from '@ringmatch/protocol';
import { ReferenceMatcher, type Out } from './reference.js';

const TOTAL = Number(process.env.RINGMATCH_REF_COMMANDS ?? 300_000);
const symbols = new SymbolTable([
  { id: 1, name: 'ONE', tickSize: 1, lotSize: 1 },
  { id: 2, name: 'FIVE', tickSize: 5, lotSize: 10 },
]);

function priceArb(tick: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: 95, max: 105 }).map((p) => p * tick) },
    { weight: 1, arbitrary: fc.constantFrom(0, -tick, 101 * tick + 1, 2 ** 53) },
  );
}

const cmdArb: fc.Arbitrary<Command> = fc
  .record({
    kind: fc.constantFrom(...Array(12).fill(CommandKind.New), ...Array(3).fill(CommandKind.Cancel), ...Array(3).fill(CommandKind.Amend), CommandKind.Invalid),
    sym: fc.constantFrom(1, 1, 1, 2, 2, 3),
    orderId: fc.integer({ min: 1, max: 40 }),
    accountId: fc.integer({ min: 1, max: 4 }),
    side: fc.constantFrom(0, 1),
    type: fc.constantFrom(...Array(8).fill(OrderType.Limit), OrderType.Market, OrderType.Market, OrderType.Stop, OrderType.StopLimit, OrderType.StopLimit),
    tif: fc.constantFrom(...Array(6).fill(TimeInForce.GTC), TimeInForce.IOC, TimeInForce.FOK, TimeInForce.PostOnly),
    stp: fc.constantFrom(...Array(6).fill(StpMode.Default), StpMode.None, StpMode.CancelNewest, StpMode.CancelOldest, StpMode.CancelBoth),
    p1: priceArb(1),
    p5: priceArb(5),
    s1: priceArb(1),
    s5: priceArb(5),
    lots: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1) }),
    offLot: fc.integer({ min: 0, max: 30 }),
    amendWhat: fc.integer({ min: 0, max: 2 }),
    reason: fc.constantFrom(Reason.Malformed, Reason.NotInteger, Reason.MissingField),
  })
  .map((r) => {
    const tick = r.sym === 2 ? 5 : 1;
    const lot = r.sym === 2 ? 10 : 1;
    const c = createCommand({
      kind: r.kind,
      symbolId: r.sym,
      orderId: r.orderId,
      accountId: r.accountId,
      side: r.side as 0 | 1,
      type: r.type,
      tif: r.tif,
      stp: r.stp,
    });
    const price = tick === 5 ? r.p5 : r.p1;
    const stop = tick === 5 ? r.s5 : r.s1;
    const qty = r.lots * lot + (r.offLot === 0 ? 1 : 0);
    if (r.kind === CommandKind.New) {
      c.price = r.type === OrderType.Market || r.type === OrderType.Stop ? (r.offLot === 1 ? price : 0) : price;
      c.stopPrice = r.type === OrderType.Stop || r.type === OrderType.StopLimit ? stop : r.offLot === 2 ? stop : 0;
      c.qty = qty;
    } else if (r.kind === CommandKind.Amend) {
      c.price = r.amendWhat === 1 ? 0 : price;
      c.qty = r.amendWhat === 0 ? 0 : qty;
      c.side = 0;
      c.type = 0;
      c.tif = 0;
      c.stp = 0;
    } else if (r.kind === CommandKind.Invalid) {
      c.reason = r.reason;
      c.field = Field.Price;
    }
    return c;
  });

function firstDiff(a: Out[], b: Out[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = JSON.stringify(a[i]);
    const y = JSON.stringify(b[i]);
    if (x !== y) return `output ${i} differs:\n engine:    ${x}\n reference: ${y}`;
  }
  return null;
}

function compare(cmds: Command[], stpAccounts: [number, number][] = []): void {
  const engine = new MatchingEngine({ symbols, initialOrders: 16, initialLevels: 16 });
  const ref = new ReferenceMatcher(symbols);
  for (const [a, m] of stpAccounts) {
    engine.setAccountStp(a, m as StpMode);
    ref.setAccountStp(a, m);
  }
  const sink = new CollectingSink();
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    c.seq = i + 1;
    c.timestamp = 1000 + i;
    sink.clear();
    ref.out = [];
    engine.process(c, sink);
    ref.process(c);
    const diff = firstDiff(sink.outputs as Out[], ref.out);
    if (diff) throw new Error(`command ${i} ${JSON.stringify(c)}: ${diff}`);
  }
  for (const sym of [1, 2]) {
    expect(engine.bestBid(sym)).toBe(ref.bestBid(sym));
    expect(engine.bestAsk(sym)).toBe(ref.bestAsk(sym));
    const d = engine.depth(sym, 50);
    const rd = ref.depth(sym, 50);
    expect(d.bids.map((l) => [l.price, l.qty, l.orders])).toEqual(rd.bids);
    expect(d.asks.map((l) => [l.price, l.qty, l.orders])).toEqual(rd.asks);
  }
  expect(engine.openOrders).toBe(ref.openOrders);
}

describe('MatchingEngine agrees with the reference model', () => {
  it(`on random command streams (${TOTAL} commands in total)`, () => {
    const perRun = 300;
    const runs = Math.max(1, Math.ceil(TOTAL / perRun));
    const stpArb = fc.array(
      fc.tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom(StpMode.None, StpMode.CancelNewest, StpMode.CancelOldest, StpMode.CancelBoth)),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: perRun, maxLength: perRun }), stpArb, (cmds, stp) => compare(cmds, stp)),
      { numRuns: runs, seed: Number(process.env.RINGMATCH_REF_SEED ?? 20261125) },
    );
  }, 600_000);

  it('on the realistic generator stream (several symbols, all order types)', () => {
    const tables = [1, 2];
    for (const seed of tables) {
      const gen = new OrderFlowGenerator({ seed, symbols, accounts: 20, livePerSymbol: 200, stpRate: 0.2 });
      compare(gen.take(20_000));
    }
  }, 120_000);
});
