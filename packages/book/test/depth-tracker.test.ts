// The depth stream against the books: a reader that applies every published update (and starts
// over at a snapshot) holds exactly the books' top N after every command.
import { describe, expect, it } from 'vitest';
import { CommandKind, DepthKind, Side, createCommand, type DepthUpdate } from '@ringmatch/protocol';
import { DepthTracker, MatchingEngine, OrderFlowGenerator, type DepthSink } from '../src/index.js';
import type { BookSink } from '../src/types.js';

const discard: BookSink = { onReport() {}, onTrade() {} };
type Level = { price: number; qty: number; orders: number };

/** A market data reader: per symbol and side, price -> level, from the stream alone. */
class Reader implements DepthSink {
  readonly books = new Map<number, [Map<number, Level>, Map<number, Level>]>();
  readonly lines: DepthUpdate[] = [];
  private pendingSnapshot = 0;
  onDepth(u: DepthUpdate): void {
    this.lines.push({ ...u });
    let book = this.books.get(u.symbolId);
    if (!book) this.books.set(u.symbolId, (book = [new Map(), new Map()]));
    if (u.kind === DepthKind.Snapshot) {
      book[0].clear();
      book[1].clear();
      this.pendingSnapshot = u.bids + u.asks;
      return;
    }
    if (this.pendingSnapshot > 0) this.pendingSnapshot--;
    if (u.qty === 0) book[u.side]!.delete(u.price);
    else book[u.side]!.set(u.price, { price: u.price, qty: u.qty, orders: u.orders });
  }
  top(symbolId: number, side: Side): Level[] {
    const levels = [...(this.books.get(symbolId)?.[side]?.values() ?? [])];
    return levels.sort((a, b) => (side === Side.Buy ? b.price - a.price : a.price - b.price));
  }
}

function run(levels: number, commands: number, seed: number) {
  const generator = new OrderFlowGenerator({ seed, symbols: 3, accounts: 50, livePerSymbol: 300 });
  const engine = new MatchingEngine({ symbols: generator.symbols });
  const tracker = new DepthTracker(engine, levels);
  const reader = new Reader();
  const cmd = createCommand();
  return { generator, engine, tracker, reader, cmd, commands };
}

describe('depth tracker', () => {
  for (const levels of [1, 5, 20]) {
    it(`N = ${levels}: after every command, the stream's view equals the books' top N; only changes are published`, () => {
      const { generator, engine, tracker, reader, cmd } = run(levels, 20_000, levels);
      let published = 0;
      for (let seq = 1; seq <= 20_000; seq++) {
        generator.next(cmd);
        cmd.seq = seq;
        engine.process(cmd, discard);
        const before = reader.lines.length;
        tracker.afterCommand(cmd.symbolId, seq, reader);
        for (const line of reader.lines.slice(before)) expect(line.seq).toBe(seq);
        published += reader.lines.length - before;
        const depth = engine.depth(cmd.symbolId, levels);
        expect(reader.top(cmd.symbolId, Side.Buy)).toEqual(depth.bids);
        expect(reader.top(cmd.symbolId, Side.Sell)).toEqual(depth.asks);
        expect(tracker.published(cmd.symbolId, Side.Buy)).toEqual(depth.bids);
      }
      // every update changed something: re-running the diff right away publishes nothing
      const before = reader.lines.length;
      for (const id of tracker.symbolIds) tracker.afterCommand(id, 20_001, reader);
      expect(reader.lines.length).toBe(before);
      expect(published).toBeGreaterThan(1000);
    });
  }

  it('the fast path (only the levels a command touched) publishes exactly the lines of a full re-read of the top N, in order', () => {
    const mixes = [
      { name: 'default', mix: undefined },
      { name: 'sweeps and cancels', mix: { limit: 45, cancel: 30, marketable: 20, amend: 3, special: 2 } },
      { name: 'amends', mix: { limit: 50, cancel: 10, marketable: 10, amend: 28, special: 2 } },
    ];
    for (const { name, mix } of mixes) {
      for (const levels of [1, 2, 5, 20]) {
        const generator = new OrderFlowGenerator({ seed: 100 + levels, symbols: 3, accounts: 20, livePerSymbol: 200, stpRate: 0.05, mix });
        const commands = generator.take(15_000).map((c, i) => ({ ...c, seq: i + 1 }));
        const streams = [false, true].map((fullOnly) => {
          const engine = new MatchingEngine({ symbols: generator.symbols });
          const tracker = new DepthTracker(engine, levels);
          tracker.fullOnly = fullOnly;
          const lines: DepthUpdate[] = [];
          const sink: DepthSink = { onDepth: (u) => lines.push({ ...u }) };
          for (const c of commands) {
            engine.process(c, discard);
            tracker.afterCommand(c.symbolId, c.seq, sink);
          }
          return lines;
        });
        expect(streams[0]!.length, `${name}, N = ${levels}`).toBeGreaterThan(1000);
        expect(streams[0], `${name}, N = ${levels}`).toEqual(streams[1]);
      }
    }
  });

  it('a late reader that starts at a snapshot holds the top N from there on', () => {
    const levels = 10;
    const { generator, engine, tracker, reader, cmd } = run(levels, 5000, 7);
    const late = new Reader();
    for (let seq = 1; seq <= 5000; seq++) {
      generator.next(cmd);
      cmd.seq = seq;
      engine.process(cmd, discard);
      tracker.afterCommand(cmd.symbolId, seq, reader);
      if (seq >= 3000) tracker.afterCommand(cmd.symbolId, seq, late); // nothing: the main reader took the changes
      if (seq === 3000) for (const id of tracker.symbolIds) tracker.snapshot(id, seq, late);
    }
    expect(late.lines[0]).toMatchObject({ kind: DepthKind.Snapshot, seq: 3000 });
    // late got only the snapshot: it holds the books as of 3000; catch it up by replaying the main stream after 3000
    for (const u of reader.lines.filter((l) => l.seq > 3000)) late.onDepth(u);
    for (const id of tracker.symbolIds) {
      const depth = engine.depth(id, levels);
      expect(late.top(id, Side.Buy)).toEqual(depth.bids);
      expect(late.top(id, Side.Sell)).toEqual(depth.asks);
    }
  });

  it('after a restore, sync() takes the books as published: the stream goes on as an uninterrupted one', () => {
    const levels = 8;
    const whole = run(levels, 8000, 3);
    const commands = whole.generator.take(8000).map((c, i) => ({ ...c, seq: i + 1 }));
    const all: DepthUpdate[] = [];
    const sink: DepthSink = { onDepth: (u) => all.push({ ...u }) };
    for (const c of commands) {
      whole.engine.process(c, discard);
      whole.tracker.afterCommand(c.symbolId, c.seq, sink);
    }
    // a second engine runs the first half, snapshots, and a third restores it and runs the rest
    const first = new MatchingEngine({ symbols: whole.generator.symbols });
    for (const c of commands.slice(0, 4000)) first.process(c, discard);
    const restored = new MatchingEngine({ symbols: whole.generator.symbols });
    restored.restore(first.snapshot());
    const tracker = new DepthTracker(restored, levels);
    tracker.sync();
    const tail: DepthUpdate[] = [];
    for (const c of commands.slice(4000)) {
      restored.process(c, discard);
      tracker.afterCommand(c.symbolId, c.seq, { onDepth: (u) => tail.push({ ...u }) });
    }
    expect(tail).toEqual(all.filter((u) => u.seq > 4000));
  });

  it('invalid commands and unknown symbols publish nothing', () => {
    const { engine, tracker, reader } = run(5, 0, 1);
    const bad = createCommand({ kind: CommandKind.Invalid, seq: 1, symbolId: 999 });
    engine.process(bad, discard);
    tracker.afterCommand(999, 1, reader);
    expect(reader.lines).toEqual([]);
    expect(() => new DepthTracker(engine, 0)).toThrow(RangeError);
  });
});
