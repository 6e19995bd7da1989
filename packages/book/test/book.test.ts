import { describe, expect, it } from 'vitest';
import { CollectingSink, MatchingEngine, NdjsonSink, OrderFlowGenerator, SnapshotError } from '@ringmatch/book';
import {
  CommandKind,
  ExecStatus,
  Field,
  OrderType,
  OutputKind,
  OUTPUT_SLOT_BYTES,
  Reason,
  Side,
  StpMode,
  SymbolTable,
  TimeInForce,
  copyReport,
  createCommand,
  createReport,
  createTrade,
  readOutput,
  writeReport,
  writeTrade,
  type Command,
  type ExecutionReport,
} from '@ringmatch/protocol';

const symbols = new SymbolTable([
  { id: 1, name: 'ONE', tickSize: 1, lotSize: 1 },
  { id: 2, name: 'FIVE', tickSize: 5, lotSize: 10 },
]);

let nextSeq = 1;
function cmd(init: Partial<Command>): Command {
  return createCommand({ symbolId: 1, accountId: 1, seq: nextSeq, timestamp: 1000 + nextSeq++, ...init });
}
const buy = (orderId: number, price: number, qty: number, more: Partial<Command> = {}): Command => cmd({ orderId, side: Side.Buy, price, qty, ...more });
const sell = (orderId: number, price: number, qty: number, more: Partial<Command> = {}): Command => cmd({ orderId, side: Side.Sell, price, qty, ...more });
const cancel = (orderId: number, more: Partial<Command> = {}): Command => cmd({ kind: CommandKind.Cancel, orderId, ...more });
const amend = (orderId: number, price: number, qty: number, more: Partial<Command> = {}): Command =>
  cmd({ kind: CommandKind.Amend, orderId, price, qty, ...more });

function setup(): { e: MatchingEngine; run: (...cs: Command[]) => CollectingSink } {
  const e = new MatchingEngine({ symbols, initialOrders: 16, initialLevels: 16 });
  const run = (...cs: Command[]): CollectingSink => {
    const sink = new CollectingSink();
    for (const c of cs) e.process(c, sink);
    return sink;
  };
  return { e, run };
}

const statuses = (s: CollectingSink): [number, number][] => s.reports.map((r) => [r.orderId, r.status]);
const tradesOf = (s: CollectingSink): [number, number, number, number][] => s.trades.map((t) => [t.makerOrderId, t.takerOrderId, t.price, t.qty]);

describe('limit orders and price-time priority', () => {
  it('rests, then fills across levels at maker prices in FIFO order', () => {
    const { e, run } = setup();
    run(sell(1, 101, 5), sell(2, 100, 3, { accountId: 2 }), sell(3, 100, 4, { accountId: 3 }), sell(4, 102, 10));
    expect(e.bestAsk(1)).toBe(100);
    expect(e.depth(1, 5).asks).toEqual([
      { price: 100, qty: 7, orders: 2 },
      { price: 101, qty: 5, orders: 1 },
      { price: 102, qty: 10, orders: 1 },
    ]);
    const s = run(buy(10, 101, 10, { accountId: 9 }));
    expect(tradesOf(s)).toEqual([
      [2, 10, 100, 3],
      [3, 10, 100, 4],
      [1, 10, 101, 3],
    ]);
    const last = s.reports.at(-1)!;
    expect(last).toMatchObject({ orderId: 10, status: ExecStatus.Filled, cumQty: 10, leavesQty: 0, lastQty: 3, lastPrice: 101 });
    expect(s.reports.find((r) => r.orderId === 1)).toMatchObject({ status: ExecStatus.PartiallyFilled, leavesQty: 2 });
    expect(e.bestAsk(1)).toBe(101);
    expect(e.lastTradePrice(1)).toBe(101);
    expect(s.trades.map((t) => t.tradeId)).toEqual([1, 2, 3]);
  });

  it('a partially filled limit rests its remainder at its price', () => {
    const { e, run } = setup();
    run(sell(1, 100, 2));
    const s = run(buy(2, 105, 5, { accountId: 2 }));
    expect(statuses(s)).toEqual([
      [2, ExecStatus.Accepted],
      [1, ExecStatus.Filled],
      [2, ExecStatus.PartiallyFilled],
    ]);
    expect(e.bestBid(1)).toBe(105);
    expect(e.order(2)).toMatchObject({ leavesQty: 3, cumQty: 2 });
  });
});

describe('market, IOC, FOK, post-only', () => {
  it('market into an empty book is rejected; a partial market fill expires the rest', () => {
    const { run } = setup();
    expect(run(cmd({ orderId: 1, side: Side.Buy, type: OrderType.Market, qty: 5 })).reports[0]).toMatchObject({
      status: ExecStatus.Rejected,
      reason: Reason.NoLiquidity,
    });
    run(sell(2, 100, 2, { accountId: 2 }));
    const s = run(cmd({ orderId: 3, side: Side.Buy, type: OrderType.Market, qty: 5 }));
    expect(statuses(s)).toEqual([
      [3, ExecStatus.Accepted],
      [2, ExecStatus.Filled],
      [3, ExecStatus.PartiallyFilled],
      [3, ExecStatus.Expired],
    ]);
    expect(s.reports.at(-1)!.reason).toBe(Reason.UnfilledRemainder);
  });

  it('IOC never rests', () => {
    const { e, run } = setup();
    run(sell(1, 100, 2, { accountId: 2 }));
    const s = run(buy(2, 100, 5, { tif: TimeInForce.IOC }));
    expect(s.reports.at(-1)).toMatchObject({ status: ExecStatus.Expired, cumQty: 2, leavesQty: 0 });
    expect(e.bestBid(1)).toBe(0);
  });

  it('FOK fills completely or is rejected without touching the book', () => {
    const { e, run } = setup();
    run(sell(1, 100, 2, { accountId: 2 }), sell(2, 101, 2, { accountId: 2 }));
    expect(run(buy(3, 101, 5, { tif: TimeInForce.FOK })).reports[0]).toMatchObject({ status: ExecStatus.Rejected, reason: Reason.FokCannotFill });
    expect(run(buy(4, 100, 3, { tif: TimeInForce.FOK })).reports[0]!.reason).toBe(Reason.FokCannotFill);
    expect(e.depth(1).asks.map((l) => l.qty)).toEqual([2, 2]);
    const s = run(buy(5, 101, 4, { tif: TimeInForce.FOK }));
    expect(s.reports.at(-1)).toMatchObject({ status: ExecStatus.Filled, cumQty: 4 });
  });

  it('post-only is rejected when it would cross, rests otherwise', () => {
    const { e, run } = setup();
    run(sell(1, 100, 2, { accountId: 2 }));
    expect(run(buy(2, 100, 1, { tif: TimeInForce.PostOnly })).reports[0]).toMatchObject({ status: ExecStatus.Rejected, reason: Reason.PostOnlyWouldCross });
    expect(statuses(run(buy(3, 99, 1, { tif: TimeInForce.PostOnly })))).toEqual([[3, ExecStatus.Accepted]]);
    expect(e.bestBid(1)).toBe(99);
    // an amend of a post-only order that would cross is rejected and leaves it unchanged
    expect(run(amend(3, 100, 0)).reports[0]).toMatchObject({ status: ExecStatus.Rejected, reason: Reason.PostOnlyWouldCross });
    expect(e.order(3)).toMatchObject({ price: 99 });
  });
});

describe('amend priority rules', () => {
  it('shrinking keeps priority; growing or repricing loses it', () => {
    const { run } = setup();
    run(buy(1, 100, 5), buy(2, 100, 5), buy(3, 100, 5));
    run(amend(1, 0, 2)); // shrink: still first
    run(amend(2, 0, 8)); // grow: goes behind 3
    run(amend(3, 101, 0), amend(3, 100, 0)); // reprice there and back: now last
    const s = run(sell(9, 100, 100, { accountId: 9, tif: TimeInForce.IOC }));
    expect(s.trades.map((t) => [t.makerOrderId, t.qty])).toEqual([
      [1, 2],
      [2, 8],
      [3, 5],
    ]);
  });

  it('an amend that crosses trades immediately; amend reports carry the new quantities', () => {
    const { run } = setup();
    run(sell(1, 102, 3, { accountId: 2 }), buy(2, 100, 5));
    const s = run(amend(2, 102, 0));
    expect(statuses(s)).toEqual([
      [2, ExecStatus.Amended],
      [1, ExecStatus.Filled],
      [2, ExecStatus.PartiallyFilled],
    ]);
    expect(s.reports[0]).toMatchObject({ price: 102, qty: 5, leavesQty: 5 });
  });

  it('rejects amends of unknown orders, other accounts, and off-grid values', () => {
    const { run } = setup();
    run(cmd({ symbolId: 2, orderId: 1, side: Side.Buy, price: 100, qty: 10 }));
    expect(run(amend(7, 0, 1)).reports[0]!.reason).toBe(Reason.UnknownOrder);
    expect(run(amend(1, 0, 10, { symbolId: 1 })).reports[0]!.reason).toBe(Reason.UnknownOrder);
    expect(run(amend(1, 0, 10, { symbolId: 2, accountId: 2 })).reports[0]!.reason).toBe(Reason.NotOwner);
    expect(run(amend(1, 0, 15, { symbolId: 2 })).reports[0]!.reason).toBe(Reason.QtyOffLot);
    expect(run(amend(1, 102, 0, { symbolId: 2 })).reports[0]!.reason).toBe(Reason.PriceOffTick);
  });
});

describe('stops', () => {
  it('a trade triggers a stop whose trades trigger the next stop (chain)', () => {
    const { e, run } = setup();
    run(sell(1, 100, 1, { accountId: 2 }), sell(2, 101, 1, { accountId: 2 }), sell(3, 102, 1, { accountId: 2 }), sell(4, 103, 1, { accountId: 2 }));
    run(cmd({ orderId: 10, side: Side.Buy, type: OrderType.Stop, stopPrice: 100, qty: 1, accountId: 3 }));
    run(cmd({ orderId: 11, side: Side.Buy, type: OrderType.StopLimit, stopPrice: 101, price: 102, qty: 1, accountId: 4 }));
    run(cmd({ orderId: 12, side: Side.Buy, type: OrderType.Stop, stopPrice: 105, qty: 1, accountId: 5 }));
    expect(e.order(10)).toMatchObject({ pendingStop: true });
    const s = run(buy(20, 100, 1, { accountId: 6 })); // trades at 100 -> stop 10 buys 101 -> stop 11 buys 102
    expect(tradesOf(s)).toEqual([
      [1, 20, 100, 1],
      [2, 10, 101, 1],
      [3, 11, 102, 1],
    ]);
    expect(s.reports.filter((r) => r.status === ExecStatus.Triggered).map((r) => r.orderId)).toEqual([10, 11]);
    expect(e.order(12)).toMatchObject({ pendingStop: true });
    expect(e.bestAsk(1)).toBe(103);
  });

  it('sell stops trigger on trades at or below the stop price; a stop already past its trigger fires at once', () => {
    const { run } = setup();
    run(buy(1, 100, 2, { accountId: 2 }), buy(2, 99, 5, { accountId: 2 }));
    run(cmd({ orderId: 3, side: Side.Sell, type: OrderType.Stop, stopPrice: 100, qty: 3, accountId: 3 }));
    const s = run(sell(4, 100, 1, { accountId: 4 }));
    expect(tradesOf(s)).toEqual([
      [1, 4, 100, 1],
      [1, 3, 100, 1],
      [2, 3, 99, 2],
    ]);
    const late = run(cmd({ orderId: 5, side: Side.Sell, type: OrderType.Stop, stopPrice: 120, qty: 1, accountId: 3 }));
    expect(statuses(late).slice(0, 2)).toEqual([
      [5, ExecStatus.Accepted],
      [5, ExecStatus.Triggered],
    ]);
  });

  it('stops can be cancelled and amended', () => {
    const { e, run } = setup();
    run(cmd({ orderId: 1, side: Side.Buy, type: OrderType.StopLimit, stopPrice: 110, price: 111, qty: 2 }));
    expect(run(amend(1, 112, 3)).reports[0]).toMatchObject({ status: ExecStatus.Amended, price: 112, qty: 3 });
    expect(run(cancel(1)).reports[0]).toMatchObject({ status: ExecStatus.Cancelled, reason: Reason.UserCancel });
    expect(e.openOrders).toBe(0);
  });
});

describe('self-trade prevention', () => {
  it('cancel newest cancels the taker, keeps the maker', () => {
    const { e, run } = setup();
    run(sell(1, 100, 5));
    const s = run(buy(2, 100, 5, { stp: StpMode.CancelNewest }));
    expect(s.trades).toHaveLength(0);
    expect(s.reports.at(-1)).toMatchObject({ orderId: 2, status: ExecStatus.Cancelled, reason: Reason.SelfTradePrevention });
    expect(e.order(1)).toBeDefined();
  });

  it('cancel oldest cancels resting orders of the account and keeps matching', () => {
    const { e, run } = setup();
    run(sell(1, 100, 5), sell(2, 100, 5, { accountId: 2 }));
    const s = run(buy(3, 100, 5, { stp: StpMode.CancelOldest }));
    expect(s.reports.find((r) => r.orderId === 1)).toMatchObject({ status: ExecStatus.Cancelled, reason: Reason.SelfTradePrevention });
    expect(tradesOf(s)).toEqual([[2, 3, 100, 5]]);
    expect(e.order(1)).toBeUndefined();
  });

  it('cancel both, configured per account', () => {
    const { e, run } = setup();
    e.setAccountStp(1, StpMode.CancelBoth);
    run(sell(1, 100, 5));
    const s = run(buy(2, 100, 5));
    expect(statuses(s)).toEqual([
      [2, ExecStatus.Accepted],
      [1, ExecStatus.Cancelled],
      [2, ExecStatus.Cancelled],
    ]);
    expect(e.openOrders).toBe(0);
    // an explicit per-order mode overrides the account's
    run(sell(3, 100, 5));
    expect(run(buy(4, 100, 5, { stp: StpMode.None })).trades).toHaveLength(1);
  });
});

describe('validation', () => {
  it('rejects with reasons and field codes', () => {
    const { run } = setup();
    run(buy(1, 100, 1));
    const cases: [Command, number, number][] = [
      [buy(2, 100, 1, { symbolId: 9 }), Reason.UnknownSymbol, Field.Symbol],
      [buy(1, 100, 1), Reason.DuplicateOrderId, Field.OrderId],
      [buy(3, 100, 0), Reason.InvalidQuantity, Field.Qty],
      [buy(3, 100, -2), Reason.InvalidQuantity, Field.Qty],
      [buy(3, 100, 15, { symbolId: 2 }), Reason.QtyOffLot, Field.Qty],
      [buy(3, 101, 10, { symbolId: 2 }), Reason.PriceOffTick, Field.Price],
      [buy(3, 0, 1), Reason.InvalidPrice, Field.Price],
      [buy(3, 100, 1, { type: OrderType.Market }), Reason.InvalidPrice, Field.Price],
      [buy(3, 0, 1, { type: OrderType.Stop, stopPrice: 0 }), Reason.InvalidStopPrice, Field.StopPrice],
      [buy(3, 100, 1, { tif: TimeInForce.PostOnly, type: OrderType.StopLimit, stopPrice: 100 }), Reason.InvalidOrderType, Field.Tif],
      [cancel(77), Reason.UnknownOrder, Field.OrderId],
      [cancel(1, { accountId: 5 }), Reason.NotOwner, Field.Account],
      [cancel(1, { symbolId: 0 }), Reason.UnknownSymbol, Field.Symbol],
    ];
    for (const [c, reason, field] of cases) {
      const r = run(c).reports;
      expect(r).toHaveLength(1);
      expect(r[0]).toMatchObject({ status: ExecStatus.Rejected, reason, field, orderId: c.orderId, seq: c.seq });
    }
  });

  it('turns Invalid (undecodable) commands into REJECTED reports with the decode reason', () => {
    const { e, run } = setup();
    const s = run(cmd({ kind: CommandKind.Invalid, reason: Reason.NotInteger, field: Field.Price, orderId: 5, sourceStream: 0, sourcePosition: 9 }));
    expect(s.reports).toEqual([expect.objectContaining({ status: ExecStatus.Rejected, reason: Reason.NotInteger, field: Field.Price, orderId: 5 })]);
    expect(e.counters.invalid).toBe(1);
  });
});

describe('determinism and snapshots', () => {
  const stream = (): Command[] => new OrderFlowGenerator({ seed: 42, symbols: 3, accounts: 30, livePerSymbol: 500, stpRate: 0.1 }).take(60_000);

  it('two runs give identical outputs and identical snapshots', () => {
    const run = (): [string, Uint8Array] => {
      const e = new MatchingEngine({ symbols: new OrderFlowGenerator({ seed: 0, symbols: 3 }).symbols });
      const sink = new NdjsonSink();
      stream().forEach((c, i) => {
        c.seq = i + 1;
        e.process(c, sink);
      });
      return [sink.lines.join('\n'), e.snapshot()];
    };
    const [a, sa] = run();
    const [b, sb] = run();
    expect(a.length).toBeGreaterThan(1000);
    expect(a === b).toBe(true);
    expect(Buffer.from(sa).equals(Buffer.from(sb))).toBe(true);
  });

  it('snapshot mid-stream, restore into a fresh engine, continue: identical outputs and state', () => {
    const cmds = stream();
    const table = new OrderFlowGenerator({ seed: 0, symbols: 3 }).symbols;
    const a = new MatchingEngine({ symbols: table });
    a.setAccountStp(7, StpMode.CancelOldest);
    const sa = new NdjsonSink();
    const half = 31_337;
    let snap: Uint8Array | undefined;
    cmds.forEach((c, i) => {
      c.seq = i + 1;
      if (i === half) snap = a.snapshot();
      a.process(c, sa);
    });
    const b = new MatchingEngine({ symbols: table, initialOrders: 16, initialLevels: 16 });
    b.restore(snap!);
    const sb = new NdjsonSink();
    for (let i = half; i < cmds.length; i++) b.process(cmds[i]!, sb);
    const tail = sa.lines.slice(sa.lines.length - sb.lines.length);
    expect(sb.lines.length).toBeGreaterThan(1000);
    expect(sb.lines).toEqual(tail);
    expect(Buffer.from(b.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
    expect(b.counters).toEqual(a.counters);
    expect(b.accountStpMode(7)).toBe(StpMode.CancelOldest);
    // restoring over a used engine replaces its state too
    a.restore(snap!);
    expect(Buffer.from(a.snapshot()).equals(Buffer.from(snap!))).toBe(true);
  });

  it('rejects corrupt snapshots with a typed error', () => {
    const e = new MatchingEngine({ symbols });
    expect(() => e.restore(new Uint8Array(3))).toThrow(SnapshotError);
    const snap = e.snapshot();
    expect(() => e.restore(snap.subarray(0, snap.length - 2))).toThrow(SnapshotError);
    expect(() => new MatchingEngine({ symbols: new SymbolTable([{ id: 1, name: 'ONE', tickSize: 1, lotSize: 1 }]) }).restore(snap)).toThrow(SnapshotError);
  });
});

describe('OrderFlowGenerator', () => {
  it('is deterministic per seed and produces the intended mix', () => {
    const a = new OrderFlowGenerator({ seed: 7, symbols: 20, accounts: 500 }).take(20_000);
    const b = new OrderFlowGenerator({ seed: 7, symbols: 20, accounts: 500 }).take(20_000);
    const c = new OrderFlowGenerator({ seed: 8, symbols: 20, accounts: 500 }).take(20_000);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const kinds = (k: number): number => a.filter((x) => x.kind === k).length / a.length;
    expect(kinds(CommandKind.New)).toBeGreaterThan(0.55);
    expect(kinds(CommandKind.Cancel)).toBeGreaterThan(0.2);
    expect(kinds(CommandKind.Amend)).toBeGreaterThan(0.02);
    expect(new Set(a.map((x) => x.symbolId)).size).toBe(20);
    expect(new Set(a.map((x) => x.accountId)).size).toBeGreaterThan(400);
    for (const t of [OrderType.Market, OrderType.Stop, OrderType.StopLimit]) expect(a.some((x) => x.kind === CommandKind.New && x.type === t)).toBe(true);
    for (const t of [TimeInForce.IOC, TimeInForce.FOK, TimeInForce.PostOnly]) expect(a.some((x) => x.kind === CommandKind.New && x.tif === t)).toBe(true);
  });

  it('subset mode only emits limit GTC, market and cancel commands', () => {
    const a = new OrderFlowGenerator({ seed: 1, subset: true }).take(10_000);
    for (const x of a) {
      if (x.kind === CommandKind.Cancel) continue;
      expect(x.kind).toBe(CommandKind.New);
      expect(x.tif).toBe(TimeInForce.GTC);
      expect([OrderType.Limit, OrderType.Market]).toContain(x.type);
      expect(x.stp).toBe(StpMode.None);
    }
  });

  it('a realistic stream runs clean: every command gets a report, outputs fit the output slot', () => {
    const gen = new OrderFlowGenerator({ seed: 3, symbols: 4 });
    const e = new MatchingEngine({ symbols: gen.symbols });
    const slot = new Uint8Array(OUTPUT_SLOT_BYTES);
    const r = createReport();
    const t = createTrade();
    let reports = 0;
    const bySeq = new Set<number>();
    e.process(createCommand(), { onReport: () => {}, onTrade: () => {} }); // symbol 0: rejected, not counted below
    for (let i = 1; i <= 20_000; i++) {
      const c = gen.next();
      c.seq = i;
      e.process(c, {
        onReport(rep: ExecutionReport) {
          reports++;
          bySeq.add(rep.seq);
          writeReport(slot, 0, rep);
          expect(readOutput(slot, 0, r, t)).toBe(OutputKind.Report);
          expect({ ...r, stopPrice: rep.stopPrice }).toEqual(copyReport(rep));
        },
        onTrade(trade) {
          writeTrade(slot, 0, trade);
          expect(readOutput(slot, 0, r, t)).toBe(OutputKind.Trade);
          expect(t).toEqual(trade);
        },
      });
    }
    expect(bySeq.size).toBe(20_000);
    expect(reports).toBeGreaterThan(20_000);
    expect(e.counters.trades).toBeGreaterThan(1000);
  });

  it('cancels and amends target live orders, and the book size stays bounded', () => {
    const gen = new OrderFlowGenerator({ seed: 5, symbols: 2, livePerSymbol: 300 });
    const e = new MatchingEngine({ symbols: gen.symbols });
    const reasons = new Map<number, number>();
    const sink = {
      onReport(r: ExecutionReport) {
        if (r.status === ExecStatus.Rejected) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
      },
      onTrade() {},
    };
    let maxOpen = 0;
    for (let i = 1; i <= 100_000; i++) {
      const c = gen.next();
      c.seq = i;
      e.process(c, sink);
      if (i % 1000 === 0) maxOpen = Math.max(maxOpen, e.openOrders);
    }
    expect(reasons.get(Reason.UnknownOrder) ?? 0).toBe(0);
    expect(reasons.get(Reason.NotOwner) ?? 0).toBe(0);
    expect(e.counters.cancels).toBeGreaterThan(20_000);
    expect(maxOpen).toBeLessThanOrEqual(2 * 300 + 50);
    // without the shadow book the stream is the blind variant: many cancels miss
    const blind = new OrderFlowGenerator({ seed: 5, symbols: 2, livePerSymbol: 300, shadowBook: false });
    const e2 = new MatchingEngine({ symbols: blind.symbols });
    let unknown = 0;
    for (let i = 1; i <= 20_000; i++) e2.process(blind.next(), { onReport: (r) => void (r.reason === Reason.UnknownOrder && unknown++), onTrade() {} });
    expect(unknown).toBeGreaterThan(0);
  });
});
