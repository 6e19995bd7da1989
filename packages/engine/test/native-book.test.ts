// The native book (@ringmatch/native's NativeBook) against the JS book it mirrors: the same command
// slots give byte-identical output slots, counters and books. The stream is the generator's full
// mix (limits, markets, IOC, FOK, post-only, stops, stop-limits, amends, cancels, per-order STP)
// with account STP defaults, and one command in eight damaged (bad quantities and prices, off-grid
// values, unknown symbols and orders, another account, undecodable input, unknown kinds), over
// symbols with unit and coarse grids. The native side writes into a small wrapping region, so
// the overflow path (outputs that wait for drain) runs too.
import { describe, expect, it } from 'vitest';
import { MatchingEngine, OrderFlowGenerator, type BookSink } from '@ringmatch/book';
import {
  COMMAND_SLOT_BYTES,
  CommandKind,
  OUTPUT_SLOT_BYTES,
  SNAPSHOT_MARK,
  StpMode,
  SymbolTable,
  createCommand,
  markSnapshot,
  readCommand,
  writeCommand,
  writeReport,
  writeTrade,
  type Command,
} from '@ringmatch/protocol';
import { prng } from '@ringmatch/test-kit';
import { NATIVE_COUNTER_KEYS, createNativeBook, type NativeBookHandle } from '../src/native-book.js';

const symbols = new SymbolTable([
  { id: 1, name: 'UNIT', tickSize: 1, lotSize: 1 },
  { id: 2, name: 'COARSE', tickSize: 5, lotSize: 10 },
  { id: 7, name: 'SPARSE', tickSize: 1, lotSize: 1 },
]);
const probe = await createNativeBook(symbols);
if (process.env.RINGMATCH_EXPECT_NATIVE === '1' && probe.book === null) throw new Error(`RINGMATCH_EXPECT_NATIVE=1 but NativeBook did not load: ${probe.why}`);

/** Breaks one field of `c` the way bad input would. */
function damage(c: Command, rand: () => number): void {
  const pick = Math.floor(rand() * 16);
  const bad = [0, -10, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 7, 13][Math.floor(rand() * 8)]!;
  switch (pick) {
    case 0:
      c.qty = bad;
      break;
    case 1:
      c.price = bad;
      break;
    case 2:
      c.stopPrice = bad;
      break;
    case 3:
      c.symbolId = rand() < 0.5 ? 3 : 0;
      break;
    case 4:
      c.orderId = 1 + Math.floor(rand() * 5000); // often a live or a finished order: duplicate / unknown
      break;
    case 5:
      c.accountId += 1; // not the owner
      break;
    case 6:
      c.kind = CommandKind.Invalid;
      c.reason = 64 + Math.floor(rand() * 12);
      c.field = Math.floor(rand() * 16);
      c.sourceStream = rand() < 0.5 ? 3 : -1;
      c.sourcePosition = rand() < 0.5 ? 2 ** 40 + 5 : -1;
      break;
    case 7:
      c.kind = (rand() < 0.5 ? 0 : 5 + Math.floor(rand() * 50)) as CommandKind;
      break;
    case 8:
      c.stp = (5 + Math.floor(rand() * 3)) as StpMode;
      break;
    case 9:
      c.tif = 3;
      c.type = Math.floor(rand() * 4) as Command['type'];
      break;
    case 10:
      c.kind = CommandKind.Amend;
      c.price = rand() < 0.5 ? 0 : c.price + 1;
      c.qty = rand() < 0.5 ? 0 : c.qty + 3;
      break;
    case 11:
      c.type = 1; // market, perhaps into an empty side, with a price
      c.price = rand() < 0.5 ? 0 : 100;
      break;
    case 12:
      c.tif = 2; // FOK at a random price
      break;
    case 13:
      c.orderId = -0;
      break;
    default:
      c.timestamp = rand() * 1e15;
  }
}

/**
 * Order ids in every shape the book's id index treats apart: dense integers (paged), ids a million
 * apart (pages too sparse: the overflow map), negative, fractional and beyond 2^52.
 */
function spreadId(id: number): number {
  switch (id % 5) {
    case 0:
      return id * 1_000_003;
    case 1:
      return -id;
    case 2:
      return id + 0.5;
    case 3:
      return 2 ** 52 + id;
    default:
      return id;
  }
}

/** `count` commands as slots (seq 1..count), a damaged one in eight; `spread` maps every order id through spreadId. */
function commandSlots(count: number, seed: number, spread = false): Uint8Array {
  const gen = new OrderFlowGenerator({ symbols, seed, accounts: 40 });
  const rand = prng(seed);
  const slots = new Uint8Array(count * COMMAND_SLOT_BYTES);
  const c = createCommand();
  for (let i = 0; i < count; i++) {
    gen.next(c);
    if (rand() < 0.125) damage(c, rand);
    if (spread) c.orderId = spreadId(c.orderId);
    c.seq = i + 1;
    writeCommand(slots, i * COMMAND_SLOT_BYTES, c);
  }
  return slots;
}

/** Output slots in one growing buffer. */
class SlotLog implements BookSink {
  bytes = new Uint8Array(1 << 20);
  count = 0;
  private room(): number {
    if ((this.count + 1) * OUTPUT_SLOT_BYTES > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return this.count++ * OUTPUT_SLOT_BYTES;
  }
  onReport(r: Parameters<BookSink['onReport']>[0]): void {
    const at = this.room(); // may grow this.bytes
    writeReport(this.bytes, at, r);
  }
  onTrade(t: Parameters<BookSink['onTrade']>[0]): void {
    const at = this.room();
    writeTrade(this.bytes, at, t);
  }
  append(from: Uint8Array, slot: number, n: number): void {
    for (let i = 0; i < n; i++) {
      const at = this.room();
      this.bytes.set(from.subarray(slot * OUTPUT_SLOT_BYTES, (slot + 1) * OUTPUT_SLOT_BYTES), at);
    }
  }
  view(): Uint8Array {
    return this.bytes.subarray(0, this.count * OUTPUT_SLOT_BYTES);
  }
}

const ACCOUNT_MODES: [number, StpMode][] = [
  [3, StpMode.CancelNewest],
  [5, StpMode.CancelOldest],
  [8, StpMode.CancelBoth],
  [9, StpMode.None],
];

function runJs(slots: Uint8Array, count: number): { engine: MatchingEngine; log: SlotLog } {
  const engine = new MatchingEngine({ symbols, initialOrders: 16, initialLevels: 16 });
  for (const [account, mode] of ACCOUNT_MODES) engine.setAccountStp(account, mode);
  const log = new SlotLog();
  const cmd = createCommand();
  for (let i = 0; i < count; i++) engine.process(readCommand(slots, i * COMMAND_SLOT_BYTES, cmd), log);
  return { engine, log };
}

/** Drives the native book through a wrapping region of `ringSlots` output slots, `batch` commands a call. */
function runNative(book: NativeBookHandle, slots: Uint8Array, count: number, ringSlots: number, batch: number): SlotLog {
  for (const [account, mode] of ACCOUNT_MODES) book.setAccountStp(account, mode);
  const ring = new Uint8Array(ringSlots * OUTPUT_SLOT_BYTES).fill(0xee);
  const progress = new Float64Array(5);
  const log = new SlotLog();
  let head = 0; // next ring slot the book writes
  const take = (n: number) => {
    for (let i = 0; i < n; i++) log.append(ring, (head + i) % ringSlots, 1);
    head = (head + n) % ringSlots;
  };
  let done = 0;
  while (done < count) {
    const n = book.process(slots, done, Math.min(batch, count - done), ring, head, ringSlots, progress);
    expect(n).toBeGreaterThan(0);
    done += n;
    take(progress[0]!);
    expect(book.waiting).toBe(progress[1]);
    while (book.waiting > 0) take(book.drain(ring, head, ringSlots));
  }
  return log;
}

function counters(engine: MatchingEngine): number[] {
  return NATIVE_COUNTER_KEYS.map((k) => engine.counters[k]);
}

function sideLevels(book: NativeBookHandle, symbolId: number, side: number): number[][] {
  const n = book.levelCount(symbolId, side);
  const prices = new Float64Array(n);
  const qtys = new Float64Array(n);
  const orders = new Int32Array(n);
  expect(book.topLevels(symbolId, side, n, prices, qtys, orders, 0)).toBe(n);
  return [...prices].map((p, i) => [p, qtys[i]!, orders[i]!]);
}

describe.runIf(probe.book !== null)('native book against the JS book', () => {
  it.each([
    [1, 120_000, 40, 7, false],
    [2, 120_000, 1 << 12, 500, false],
    [3, 30_000, 3, 1, false],
    [4, 120_000, 1 << 10, 64, true],
  ])(
    'seed %i: %i commands, a %i-slot output region, %i commands a call, ids spread: %s',
    async (seed, count, ringSlots, batch, spread) => {
      const slots = commandSlots(count, seed, spread);
      const js = runJs(slots, count);
      const { book } = await createNativeBook(symbols, 16);
      const native = runNative(book!, slots, count, ringSlots, batch);
      expect(native.count).toBe(js.log.count);
      const a = js.log.view();
      const b = native.view();
      const firstDiff = a.findIndex((x, i) => x !== b[i]);
      expect(firstDiff === -1 ? -1 : Math.floor(firstDiff / OUTPUT_SLOT_BYTES)).toBe(-1);
      const nativeCounters = new Float64Array(NATIVE_COUNTER_KEYS.length);
      book!.readCounters(nativeCounters);
      expect([...nativeCounters]).toEqual(counters(js.engine));
      // the stream reaches every kind of outcome, so the comparison covers them
      expect(js.engine.counters.trades).toBeGreaterThan(1000);
      expect(js.engine.counters.rejected).toBeGreaterThan(100);
      expect(js.engine.counters.triggered).toBeGreaterThan(10);
      expect(js.engine.counters.stpCancels).toBeGreaterThan(10);
      expect(book!.openOrders).toBe(js.engine.openOrders);
      for (const id of [1, 2, 7, 3]) {
        expect(book!.lastTradePrice(id)).toBe(js.engine.lastTradePrice(id));
        expect(book!.bestPrice(id, 0)).toBe(js.engine.bestBid(id));
        expect(book!.bestPrice(id, 1)).toBe(js.engine.bestAsk(id));
        const depth = js.engine.depth(id, Number.MAX_SAFE_INTEGER);
        expect(sideLevels(book!, id, 0)).toEqual(depth.bids.map((l) => [l.price, l.qty, l.orders]));
        expect(sideLevels(book!, id, 1)).toEqual(depth.asks.map((l) => [l.price, l.qty, l.orders]));
        for (const mode of ACCOUNT_MODES) expect(book!.accountStpMode(mode[0])).toBe(js.engine.accountStpMode(mode[0]));
      }
    },
    60_000,
  );

  it("checks sequences, stops after a snapshot mark and keeps each stream's last source position", async () => {
    const count = 3000;
    const gen = new OrderFlowGenerator({ symbols, seed: 11, accounts: 40 });
    const slots = new Uint8Array(count * COMMAND_SLOT_BYTES);
    const c = createCommand();
    for (let i = 0; i < count; i++) {
      gen.next(c);
      c.seq = i + 1;
      c.sourceStream = i % 3 === 2 ? -1 : i % 3; // streams 0 and 1, and commands of no stream
      c.sourcePosition = c.sourceStream < 0 ? -1 : 1000 + i;
      writeCommand(slots, i * COMMAND_SLOT_BYTES, c);
    }
    markSnapshot(slots, 1499 * COMMAND_SLOT_BYTES); // sequence 1500
    const runWhole = async (firstSeq?: number, stopMarks?: number) => {
      const { book } = await createNativeBook(symbols, 16);
      const out = new Uint8Array((1 << 16) * OUTPUT_SLOT_BYTES);
      const progress = new Float64Array(6);
      const calls: Array<[number, number]> = [];
      for (let done = 0; done < count; ) {
        const n = book!.process(slots, done, count - done, out, 0, 1 << 16, progress, firstSeq === undefined ? undefined : firstSeq + done, stopMarks);
        calls.push([n, progress[5]!]);
        expect(book!.waiting).toBe(0);
        done += n;
        if (done === 1500 && stopMarks !== undefined) {
          const positions = new Float64Array(4).fill(7);
          expect(book!.readSourcePositions(positions)).toBe(2);
          expect([...positions]).toEqual([1000 + 1497, 1000 + 1498, 7, 7]); // stream 0's last is 1497, stream 1's 1498
        }
      }
      const counters = new Float64Array(NATIVE_COUNTER_KEYS.length);
      book!.readCounters(counters);
      return { calls, counters: [...counters], book: book! };
    };
    const plain = await runWhole();
    expect(plain.calls).toEqual([[count, 0]]);
    const marked = await runWhole(1, SNAPSHOT_MARK);
    expect(marked.calls).toEqual([
      [1500, 1],
      [1500, 0],
    ]);
    expect(marked.counters).toEqual(plain.counters);
    const short = new Float64Array(1);
    expect(marked.book.readSourcePositions(short)).toBe(2);
    expect(short[0]).toBe(1000 + 2997);

    // A slot that does not carry its sequence stops the call before it, with both numbers.
    const { book } = await createNativeBook(symbols, 16);
    const out = new Uint8Array(64 * OUTPUT_SLOT_BYTES);
    const progress = new Float64Array(6);
    new DataView(slots.buffer).setFloat64(10 * COMMAND_SLOT_BYTES, 99, true);
    expect(() => book!.process(slots, 0, 20, out, 0, 64, progress, 1)).toThrow(/carries sequence 99, expected 11/);
    expect(() => book!.process(slots, 0, 1, out, 0, 64, progress, 2)).toThrow(/carries sequence 1, expected 2/);
  });

  it('refuses a batch while outputs wait, and a range past the buffer', async () => {
    const { book } = await createNativeBook(symbols, 16);
    const slots = commandSlots(2000, 9);
    const ring = new Uint8Array(OUTPUT_SLOT_BYTES);
    const progress = new Float64Array(5);
    let done = 0;
    while (book!.waiting === 0 && done < 2000) done += book!.process(slots, done, 2000 - done, ring, 0, 1, progress);
    expect(book!.waiting).toBeGreaterThan(0);
    expect(() => book!.process(slots, done, 1, ring, 0, 1, progress)).toThrow(/drain/);
    expect(() => book!.process(slots, 1999, 2, ring, 0, 1, progress)).toThrow(/past the buffer/);
  });
});
