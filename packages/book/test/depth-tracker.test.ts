// The depth stream against the books: a reader that applies every published update (and starts
// over at a snapshot) holds exactly the books' top N at every batch end, and each line changes what
// it holds (a batch publishes its net change, nothing more).
import { describe, expect, it } from 'vitest';
import { CommandKind, DepthKind, Side, createCommand, type Command, type DepthUpdate } from '@ringmatch/protocol';
import { DepthTracker, MatchingEngine, OrderFlowGenerator, decodeDepthState, encodeDepthState, type DepthSink } from '../src/index.js';
import type { BookSink } from '../src/types.js';
import { prng } from '@ringmatch/test-kit';

const discard: BookSink = { onReport() {}, onTrade() {} };
type Level = { price: number; qty: number; orders: number };

/** A market data reader: per symbol and side, price -> level, from the stream alone. */
class Reader implements DepthSink {
  readonly books = new Map<number, [Map<number, Level>, Map<number, Level>]>();
  readonly lines: DepthUpdate[] = [];
  /** Level lines that did not change what the reader held. */
  idle = 0;
  onDepth(u: DepthUpdate): void {
    this.lines.push({ ...u });
    let book = this.books.get(u.symbolId);
    if (!book) this.books.set(u.symbolId, (book = [new Map(), new Map()]));
    if (u.kind === DepthKind.Snapshot) {
      book[0].clear();
      book[1].clear();
      return;
    }
    const side = book[u.side]!;
    const held = side.get(u.price);
    if (u.qty === 0) {
      if (!held) this.idle++;
      side.delete(u.price);
    } else {
      if (held && held.qty === u.qty && held.orders === u.orders) this.idle++;
      side.set(u.price, { price: u.price, qty: u.qty, orders: u.orders });
    }
  }
  top(symbolId: number, side: Side): Level[] {
    const levels = [...(this.books.get(symbolId)?.[side]?.values() ?? [])];
    return levels.sort((a, b) => (side === Side.Buy ? b.price - a.price : a.price - b.price));
  }
}

/** Batch ends for `count` commands: sizes 1 to `maxBatch`, a third of them single commands. */
function batchEnds(count: number, maxBatch: number, seed: number): Set<number> {
  const random = prng(seed);
  const ends = new Set<number>();
  let seq = 0;
  while (seq < count) {
    seq = Math.min(count, seq + (random() < 0.33 ? 1 : 1 + Math.floor(random() * maxBatch)));
    ends.add(seq);
  }
  return ends;
}

function commandsOf(generator: OrderFlowGenerator, count: number): Command[] {
  return generator.take(count).map((c, i) => ({ ...c, seq: i + 1 }));
}

/** Runs commands through books and a tracker, a batch end where `ends` says. */
function feed(
  engine: MatchingEngine,
  tracker: DepthTracker,
  commands: Command[],
  ends: Set<number>,
  sink: DepthSink,
  atBatchEnd?: (seq: number) => void,
): void {
  for (const c of commands) {
    engine.process(c, discard);
    tracker.afterCommand(c.symbolId);
    if (ends.has(c.seq)) {
      tracker.publishBatch(c.seq, sink);
      atBatchEnd?.(c.seq);
    }
  }
}

describe('depth tracker', () => {
  for (const levels of [1, 5, 20]) {
    it(`N = ${levels}: at every batch end the stream's view equals every book's top N, and every line changes it`, () => {
      const generator = new OrderFlowGenerator({ seed: levels, symbols: 3, accounts: 50, livePerSymbol: 300 });
      const engine = new MatchingEngine({ symbols: generator.symbols });
      const tracker = new DepthTracker(engine, levels);
      tracker.sync(0);
      const reader = new Reader();
      const commands = commandsOf(generator, 20_000);
      const ends = batchEnds(commands.length, 400, levels);
      let checked = 0;
      feed(engine, tracker, commands, ends, reader, (seq) => {
        expect(tracker.publishedAt).toBe(seq);
        for (const id of tracker.symbolIds) {
          const depth = engine.depth(id, levels);
          expect(reader.top(id, Side.Buy)).toEqual(depth.bids);
          expect(reader.top(id, Side.Sell)).toEqual(depth.asks);
          expect(tracker.published(id, Side.Sell)).toEqual(depth.asks);
        }
        checked++;
      });
      expect(checked).toBe(ends.size);
      expect(reader.idle).toBe(0);
      expect(reader.lines.length).toBeGreaterThan(500);
      for (const line of reader.lines) expect(ends.has(line.seq)).toBe(true);
      // within a batch, lines go by symbol, then side (buy first), then price, best first
      for (let i = 1; i < reader.lines.length; i++) {
        const [a, b] = [reader.lines[i - 1]!, reader.lines[i]!];
        if (a.seq !== b.seq) continue;
        const order = a.symbolId * 2 + a.side - (b.symbolId * 2 + b.side);
        if (order === 0) expect(a.side === Side.Buy ? a.price > b.price : a.price < b.price).toBe(true);
        else expect(order).toBeLessThan(0);
      }
    });
  }

  it('a batch publishes its net change: fewer lines than one batch per command, the same books at its end', () => {
    const generator = new OrderFlowGenerator({ seed: 11, symbols: 3, accounts: 50, livePerSymbol: 300 });
    const commands = commandsOf(generator, 10_000);
    const streams = [1, 500].map((maxBatch) => {
      const engine = new MatchingEngine({ symbols: generator.symbols });
      const tracker = new DepthTracker(engine, 10);
      tracker.sync(0);
      const reader = new Reader();
      const ends = maxBatch === 1 ? new Set(commands.map((c) => c.seq)) : batchEnds(commands.length, maxBatch, 5);
      ends.add(commands.length);
      feed(engine, tracker, commands, ends, reader);
      return reader;
    });
    const [perCommand, batched] = streams as [Reader, Reader];
    for (const id of [1, 2, 3]) for (const side of [Side.Buy, Side.Sell]) expect(batched.top(id, side)).toEqual(perCommand.top(id, side));
    expect(batched.lines.length).toBeLessThan(perCommand.lines.length / 3);
  });

  it("a snapshot inside a batch: restoring the tracker state with the books makes the rest of the stream an uninterrupted run's (taking the books as published would not)", () => {
    const levels = 8;
    const generator = new OrderFlowGenerator({ seed: 3, symbols: 3, accounts: 50, livePerSymbol: 300 });
    const commands = commandsOf(generator, 8000);
    const ends = batchEnds(commands.length, 300, 9);
    const whole = new MatchingEngine({ symbols: generator.symbols });
    const wholeTracker = new DepthTracker(whole, levels);
    wholeTracker.sync(0);
    const all: DepthUpdate[] = [];
    feed(whole, wholeTracker, commands, ends, { onDepth: (u) => all.push({ ...u }) });
    // the first 4000 commands, then a snapshot at 4000 (inside a batch), restored into new books and trackers
    let cut = 4000;
    while (ends.has(cut)) cut++;
    const first = new MatchingEngine({ symbols: generator.symbols });
    const firstTracker = new DepthTracker(first, levels);
    firstTracker.sync(0);
    feed(first, firstTracker, commands.slice(0, cut), ends, { onDepth() {} });
    const books = first.snapshot();
    const state = encodeDepthState(firstTracker.state());
    expect(firstTracker.publishedAt).toBeLessThan(cut);
    const tails = ['restored', 'synced'].map((how) => {
      const engine = new MatchingEngine({ symbols: generator.symbols });
      engine.restore(books);
      const tracker = new DepthTracker(engine, levels);
      if (how === 'restored') {
        const decoded = decodeDepthState(state);
        if (typeof decoded === 'string') throw new Error(decoded);
        expect(tracker.restore(decoded)).toBe(true);
      } else tracker.sync(cut);
      const tail: DepthUpdate[] = [];
      feed(engine, tracker, commands.slice(cut), ends, { onDepth: (u) => tail.push({ ...u }) });
      return tail;
    });
    const expected = all.filter((u) => u.seq > cut);
    expect(expected.length).toBeGreaterThan(100);
    expect(tails[0]).toEqual(expected);
    expect(tails[1]).not.toEqual(expected);
  });

  it('tracker state: bytes round-trip; damaged bytes and other settings are refused', () => {
    const generator = new OrderFlowGenerator({ seed: 4, symbols: 3, accounts: 50, livePerSymbol: 300 });
    const engine = new MatchingEngine({ symbols: generator.symbols });
    const tracker = new DepthTracker(engine, 6);
    tracker.sync(0);
    feed(engine, tracker, commandsOf(generator, 3000), new Set([1000, 2999]), { onDepth() {} });
    const bytes = encodeDepthState(tracker.state());
    const decoded = decodeDepthState(bytes);
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded.publishedAt).toBe(2999);
    const copy = new DepthTracker(new MatchingEngine({ symbols: generator.symbols }), 6);
    expect(copy.restore(decoded)).toBe(true);
    for (const id of tracker.symbolIds) for (const side of [Side.Buy, Side.Sell]) expect(copy.published(id, side)).toEqual(tracker.published(id, side));
    expect(new DepthTracker(new MatchingEngine({ symbols: generator.symbols }), 7).restore(decoded)).toBe(false);
    expect(decodeDepthState(bytes.subarray(0, bytes.length - 3))).toMatch(/truncated/);
    expect(decodeDepthState(new Uint8Array([...bytes, 0]))).toMatch(/trailing/);
    const other = bytes.slice();
    other[0] = 9;
    expect(decodeDepthState(other)).toMatch(/version 9/);
  });

  it('a late reader that starts at a snapshot holds the top N from there on', () => {
    const levels = 10;
    const generator = new OrderFlowGenerator({ seed: 7, symbols: 3, accounts: 50, livePerSymbol: 300 });
    const engine = new MatchingEngine({ symbols: generator.symbols });
    const tracker = new DepthTracker(engine, levels);
    tracker.sync(0);
    const reader = new Reader();
    const late = new Reader();
    const commands = commandsOf(generator, 5000);
    const ends = batchEnds(commands.length, 50, 2);
    ends.add(3000);
    feed(engine, tracker, commands, ends, reader, (seq) => {
      if (seq === 3000) for (const id of tracker.symbolIds) tracker.snapshot(id, seq, late);
    });
    expect(late.lines[0]).toMatchObject({ kind: DepthKind.Snapshot, seq: 3000 });
    for (const u of reader.lines.filter((l) => l.seq > 3000)) late.onDepth(u);
    for (const id of tracker.symbolIds) {
      const depth = engine.depth(id, levels);
      expect(late.top(id, Side.Buy)).toEqual(depth.bids);
      expect(late.top(id, Side.Sell)).toEqual(depth.asks);
    }
  });

  it('invalid commands and unknown symbols publish nothing', () => {
    const generator = new OrderFlowGenerator({ seed: 1, symbols: 3, accounts: 50, livePerSymbol: 300 });
    const engine = new MatchingEngine({ symbols: generator.symbols });
    const tracker = new DepthTracker(engine, 5);
    tracker.sync(0);
    const reader = new Reader();
    const bad = createCommand({ kind: CommandKind.Invalid, seq: 1, symbolId: 999 });
    engine.process(bad, discard);
    tracker.afterCommand(999);
    tracker.publishBatch(1, reader);
    expect(reader.lines).toEqual([]);
    expect(() => new DepthTracker(engine, 0)).toThrow(RangeError);
  });
});
