// Micro benchmarks with tinybench: the per-message and per-output building blocks of the hot path,
// each against the obvious implementation in the same run (`<bench>:<baseline>`). ops_per_s is
// tinybench's mean throughput; p50/p99 are its per-call latency percentiles (with timer overhead).
//   micro-decode-json   a JSON order message -> command (the Kafka/file fast path)  vs JSON.parse
//   micro-encode-trade  a trade -> NDJSON bytes (OutputJsonEncoder)                 vs template string + TextEncoder
//   micro-command-slot  a command -> 64-byte slot -> command                         vs structuredClone of the command
//   micro-book-add      a passive limit into a book of 1,000 orders (MatchingEngine) vs nodejs-order-book
//   micro-book-cancel   cancelling a resting order of that book                      vs nodejs-order-book
//   micro-book-cross    a limit that fills one resting order (a trade, two reports)   vs nodejs-order-book
// The book operations take a few hundred nanoseconds, close to the timer's resolution, so each of
// their samples is a batch of BOOK_BATCH operations (set up and cleaned up outside the timing:
// makers added before a cross batch, orders added before a cancel batch, adds cancelled after an
// add batch); their ops_per_s counts operations and p50/p99 are per operation within a batch.
// Ring cursor operations take a few ns, far below tinybench's per-call overhead, so each of their
// tasks runs CURSOR_OPS operations per call; ops_per_s counts operations, p50/p99 are per operation.
//   micro-cursor-set-get      Sequence.set + get (a stage's cursor)          vs plain Int32Array store + load, Atomics store + load
//   micro-barrier-available   barrier.available, one dependency               vs a bare Atomics.load
//   micro-sequence-set-store  a SequenceSet sequence's set, nobody waiting    vs a bare Atomics.store
import { Bench } from 'tinybench';
import { Pipeline, SequenceSet, WaitStrategies } from '@ringmatch/ring';
import {
  CommandKind,
  createCommand,
  createTrade,
  decodeMessageEach,
  defaultSymbolTable,
  encodeTradeJson,
  OutputJsonEncoder,
  readCommand,
  Side,
  SymbolTable,
  writeCommand,
  COMMAND_SLOT_BYTES,
  type Command,
} from '@ringmatch/protocol';
import { CountingSink, MatchingEngine } from '@ringmatch/book';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { round } from '../stats.js';

const symbols = defaultSymbolTable();
const ORDER = new TextEncoder().encode('{"op":"new","symbol":"BTC-USD","orderId":123456,"account":77,"side":"buy","type":"limit","price":6500000,"qty":25}');

/** A timed function, or one timed batch of `ops` operations with untimed work before and after it. */
type MicroTask = (() => void) | { fn: () => void; beforeEach?: () => void; afterEach?: () => void; ops: number };

async function measure(ctx: BenchContext, tasks: Record<string, MicroTask>): Promise<Map<string, { ops: number; p50: number | null; p99: number | null }>> {
  const bench = new Bench({ time: ctx.quick ? 300 : 2000, warmupTime: ctx.quick ? 100 : 500 });
  const opsPerCall = new Map<string, number>();
  for (const [name, task] of Object.entries(tasks)) {
    if (typeof task === 'function') bench.add(name, task);
    else {
      // tinybench calls a task once when it is added (to see whether it is async): only a call
      // that follows beforeEach runs the batch, so the book sees no batch without its setup.
      let armed = false;
      const { fn, beforeEach, afterEach } = task;
      const run = (): void => {
        if (!armed) return;
        armed = false;
        fn();
      };
      const arm = (): void => {
        beforeEach?.();
        armed = true;
      };
      bench.add(name, run, { beforeEach: arm, afterEach });
    }
    opsPerCall.set(name, typeof task === 'function' ? 1 : task.ops);
  }
  await bench.run();
  const out = new Map<string, { ops: number; p50: number | null; p99: number | null }>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (!r || !('throughput' in r)) throw new Error(`micro bench ${task.name} did not complete`);
    const n = opsPerCall.get(task.name)!;
    const us = (ms: number | undefined): number | null => (ms === undefined ? null : round((ms * 1000) / n));
    out.set(task.name, { ops: Math.round(r.throughput.mean * n), p50: us(r.latency.p50), p99: us(r.latency.p99) });
  }
  return out;
}

const CURSOR_OPS = 1000;

/** `measure` for tasks running `ops` operations per call: figures per operation. */
async function measurePerOp(
  ctx: BenchContext,
  ops: number,
  tasks: Record<string, () => void>,
): Promise<Map<string, { ops: number; p50: number | null; p99: number | null }>> {
  const out = new Map<string, { ops: number; p50: number | null; p99: number | null }>();
  for (const [name, r] of await measure(ctx, tasks)) {
    out.set(name, { ops: r.ops * ops, p50: r.p50 === null ? null : round(r.p50 / ops), p99: r.p99 === null ? null : round(r.p99 / ops) });
  }
  return out;
}

/** The bench line (with its ratio to each baseline) and one line per baseline. */
function cursorLines(group: string, baselines: string[], results: Map<string, { ops: number; p50: number | null; p99: number | null }>): BenchLine[] {
  const main = results.get(group)!;
  const head: BenchLine = { bench: group, ops_per_s: main.ops, p50_us: main.p50, p99_us: main.p99, ops_per_call: CURSOR_OPS };
  for (const b of baselines) head[`vs_${b}`] = round(main.ops / results.get(b)!.ops);
  return [
    head,
    ...baselines.map((b) => ({
      bench: `${group}:${b}`,
      ops_per_s: results.get(b)!.ops,
      p50_us: results.get(b)!.p50,
      p99_us: results.get(b)!.p99,
      ops_per_call: CURSOR_OPS,
    })),
  ];
}

function lines(group: string, baseline: string, results: Map<string, { ops: number; p50: number | null; p99: number | null }>): BenchLine[] {
  const main = results.get(group)!;
  const base = results.get(baseline)!;
  return [
    { bench: group, ops_per_s: main.ops, p50_us: main.p50, p99_us: main.p99, [`vs_${baseline}`]: round(main.ops / base.ops) },
    { bench: `${group}:${baseline}`, ops_per_s: base.ops, p50_us: base.p50, p99_us: base.p99 },
  ];
}

// ---------------------------------------------------------------------------------------------
// Book operations: our MatchingEngine and nodejs-order-book hold the same book (500 orders a side
// over 50 price levels around MID) and do the same operations on it.

const BOOK_BATCH = 64;
const BOOK_SYMBOLS = new SymbolTable([{ id: 1, name: 'BOOK', tickSize: 1, lotSize: 1 }]);
const MID = 10_000;

/** nodejs-order-book, typed locally (its types do not resolve under NodeNext). */
interface NobBook {
  limit(o: { side: 'buy' | 'sell'; id: string; size: number; price: number }): unknown;
  cancel(id: string): unknown;
  /** [asks, bids] as [price, size] pairs, best first. */
  depth(): [[number, number][], [number, number][]];
}

async function newNobBook(): Promise<NobBook> {
  const name = 'nodejs-order-book';
  const mod = (await import(name)) as { OrderBook?: new () => NobBook; default?: { OrderBook: new () => NobBook } };
  const Ctor = mod.OrderBook ?? mod.default?.OrderBook;
  if (!Ctor) throw new Error('nodejs-order-book: OrderBook export not found');
  return new Ctor();
}

/** One order of a batch: its side and price (`passive`: 1-8 ticks behind the touch; else at MID, inside the spread). */
function batchOrder(i: number, passive: boolean): { side: Side; price: number } {
  if (!passive) return { side: Side.Sell, price: MID };
  const side = (i & 1) === 0 ? Side.Buy : Side.Sell;
  return { side, price: side === Side.Buy ? MID - 1 - (i & 7) : MID + 1 + (i & 7) };
}

/** The same orders for both books: our commands and nodejs-order-book's limit arguments, with fresh ids per batch. */
class BookBatch {
  readonly ours: Command[] = [];
  readonly theirs: { side: 'buy' | 'sell'; id: string; size: number; price: number }[] = [];
  /** Shared by all batches, so no two live orders of a book share an id. */
  private static nextId = 1_000_000;
  constructor(
    readonly kind: CommandKind,
    side: Side | null,
    passive: boolean,
    accountId: number,
  ) {
    for (let i = 0; i < BOOK_BATCH; i++) {
      const o = batchOrder(i, passive);
      const s = side ?? o.side;
      this.ours.push(createCommand({ kind, symbolId: 1, accountId, side: s, price: o.price, qty: 5 }));
      this.theirs.push({ side: s === Side.Buy ? 'buy' : 'sell', id: '', size: 5, price: o.price });
    }
  }
  /** New order ids for the next batch (untimed). */
  renumber(): void {
    for (let i = 0; i < BOOK_BATCH; i++) {
      const id = BookBatch.nextId++;
      this.ours[i]!.orderId = id;
      this.theirs[i]!.id = String(id);
    }
  }
  /** Takes the ids of another batch (cancels of the orders it added). */
  follow(other: BookBatch): void {
    for (let i = 0; i < BOOK_BATCH; i++) {
      this.ours[i]!.orderId = other.ours[i]!.orderId;
      this.theirs[i]!.id = other.theirs[i]!.id;
    }
  }
}

async function bookPair(): Promise<{ engine: MatchingEngine; sink: CountingSink; nob: NobBook }> {
  const engine = new MatchingEngine({ symbols: BOOK_SYMBOLS });
  const sink = new CountingSink();
  const nob = await newNobBook();
  const c = createCommand({ symbolId: 1, qty: 10 });
  for (let i = 0; i < 1000; i++) {
    c.orderId = i + 1;
    c.accountId = 1 + (i % 97);
    c.side = (i & 1) === 0 ? Side.Buy : Side.Sell;
    c.price = c.side === Side.Buy ? MID - 1 - ((i >> 1) % 50) : MID + 1 + ((i >> 1) % 50);
    engine.process(c, sink);
    nob.limit({ side: c.side === Side.Buy ? 'buy' : 'sell', id: String(c.orderId), size: 10, price: c.price });
  }
  return { engine, sink, nob };
}

/** Throws unless both books still hold the starting book (its top 5 levels each side, and 1,000 orders). */
function checkSameBook(engine: MatchingEngine, nob: NobBook): void {
  const [asks, bids] = nob.depth();
  const d = engine.depth(1, 5);
  const ours = JSON.stringify([d.bids.map((l) => [l.price, l.qty]), d.asks.map((l) => [l.price, l.qty])]);
  const theirs = JSON.stringify([bids.slice(0, 5), asks.slice(0, 5)]);
  if (engine.openOrders !== 1000 || ours !== theirs) throw new Error(`the books drifted apart: ${engine.openOrders} orders, ${ours} vs ${theirs}`);
}

/**
 * Timed: `batch` through one book. Untimed, around each batch and in the same book: `before`
 * (the makers a cross takes, the orders a cancel batch cancels) and `after` (cancels of an add batch).
 */
function bookTasks(
  name: string,
  engine: MatchingEngine,
  sink: CountingSink,
  nob: NobBook,
  batch: BookBatch,
  before: BookBatch | null,
  after: BookBatch | null,
): Record<string, MicroTask> {
  const renumber = (): void => {
    before?.renumber();
    if (before && batch.kind === CommandKind.Cancel) batch.follow(before);
    else batch.renumber();
    after?.follow(batch);
  };
  const ours = (b: BookBatch): void => {
    for (let i = 0; i < BOOK_BATCH; i++) engine.process(b.ours[i]!, sink);
  };
  const theirs = (b: BookBatch): void => {
    for (let i = 0; i < BOOK_BATCH; i++) {
      const o = b.theirs[i]!;
      if (b.kind === CommandKind.Cancel) nob.cancel(o.id);
      else nob.limit(o);
    }
  };
  const task = (run: (b: BookBatch) => void): MicroTask => ({
    ops: BOOK_BATCH,
    beforeEach: () => {
      renumber();
      if (before) run(before);
    },
    fn: () => run(batch),
    afterEach: () => {
      if (after) run(after);
    },
  });
  return { [name]: task(ours), 'nodejs-order-book': task(theirs) };
}

export const groups: BenchGroup[] = [
  {
    group: 'micro-decode-json',
    async *run(ctx) {
      const scratch = createCommand();
      const options = { symbols, sourceStream: 0, sourcePosition: 0 };
      const decoder = new TextDecoder();
      let sink = 0;
      const results = await measure(ctx, {
        'micro-decode-json': () => {
          decodeMessageEach(ORDER, 'json', options, scratch, (c) => {
            sink += c.qty;
          });
        },
        'json-parse': () => {
          sink += (JSON.parse(decoder.decode(ORDER)) as { qty: number }).qty;
        },
      });
      if (sink === 0) throw new Error('nothing decoded');
      yield* lines('micro-decode-json', 'json-parse', results);
    },
  },
  {
    group: 'micro-encode-trade',
    async *run(ctx) {
      const trade = createTrade({
        seq: 1234567,
        timestamp: 1_700_000_000_000,
        makerOrderId: 991,
        takerOrderId: 992,
        price: 6500000,
        qty: 3,
        tradeId: 4242,
        symbolId: 0,
        makerAccountId: 5,
        takerAccountId: 6,
      });
      const encoder = new OutputJsonEncoder(symbols);
      const out = new Uint8Array(64 * 1024);
      const text = new TextEncoder();
      let at = 0;
      const results = await measure(ctx, {
        'micro-encode-trade': () => {
          if (at + encoder.maxBytes > out.length) at = 0;
          at = encoder.writeTrade(out, at, trade, 0, true);
        },
        'template-string': () => {
          if (at + encoder.maxBytes > out.length) at = 0;
          at += text.encodeInto(`${encodeTradeJson(trade, symbols)}\n`, out.subarray(at)).written;
        },
      });
      yield* lines('micro-encode-trade', 'template-string', results);
    },
  },
  {
    group: 'micro-command-slot',
    async *run(ctx) {
      const cmd = createCommand();
      decodeMessageEach(ORDER, 'json', { symbols, sourceStream: 0, sourcePosition: 0 }, cmd, () => undefined);
      const into = createCommand();
      const slot = new Uint8Array(COMMAND_SLOT_BYTES);
      let sink = 0;
      const results = await measure(ctx, {
        'micro-command-slot': () => {
          writeCommand(slot, 0, cmd);
          sink += readCommand(slot, 0, into).price;
        },
        'structured-clone': () => {
          sink += (structuredClone(cmd) as { price: number }).price;
        },
      });
      if (sink === 0) throw new Error('nothing copied');
      yield* lines('micro-command-slot', 'structured-clone', results);
    },
  },
  {
    group: 'micro-cursor-set-get',
    async *run(ctx) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.blocking() }).then('a').build();
      const cursor = ring.stageSequence('a');
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      let v = 0;
      let sink = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-cursor-set-get': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            cursor.set(++v);
            sink += cursor.get();
          }
        },
        'int32-store-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            i32[0] = ++v;
            sink += i32[0]!;
          }
        },
        'atomics-store-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            Atomics.store(i32, 0, ++v);
            sink += Atomics.load(i32, 0);
          }
        },
      });
      if (sink === 0) throw new Error('nothing stored');
      yield* cursorLines('micro-cursor-set-get', ['int32-store-load', 'atomics-store-load'], results);
    },
  },
  {
    group: 'micro-barrier-available',
    async *run(ctx) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.blocking() }).then('a').build();
      const seq = ring.sequencer();
      seq.publish(0, seq.next(100));
      const barrier = ring.stage('a').barrier;
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      i32[0] = 99;
      let sink = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-barrier-available': () => {
          for (let k = 0; k < CURSOR_OPS; k++) sink += barrier.available(50);
        },
        'atomics-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) sink += Atomics.load(i32, 0);
        },
      });
      if (sink === 0) throw new Error('nothing read');
      yield* cursorLines('micro-barrier-available', ['atomics-load'], results);
    },
  },
  {
    group: 'micro-sequence-set-store',
    async *run(ctx) {
      const set = SequenceSet.create(['committed']);
      const committed = set.sequence('committed');
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      let v = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-sequence-set-store': () => {
          for (let k = 0; k < CURSOR_OPS; k++) committed.set(++v);
        },
        'atomics-store': () => {
          for (let k = 0; k < CURSOR_OPS; k++) Atomics.store(i32, 0, ++v);
        },
      });
      if (committed.get() === -1 || committed.waiters() !== 0) throw new Error('sequence not set, or someone waits');
      yield* cursorLines('micro-sequence-set-store', ['atomics-store'], results);
    },
  },
  {
    group: 'micro-book-add',
    async *run(ctx) {
      const { engine, sink, nob } = await bookPair();
      const adds = new BookBatch(CommandKind.New, null, true, 2);
      const cancels = new BookBatch(CommandKind.Cancel, null, true, 2);
      checkSameBook(engine, nob);
      const results = await measure(ctx, bookTasks('micro-book-add', engine, sink, nob, adds, null, cancels));
      checkSameBook(engine, nob);
      yield* lines('micro-book-add', 'nodejs-order-book', results);
    },
  },
  {
    group: 'micro-book-cancel',
    async *run(ctx) {
      const { engine, sink, nob } = await bookPair();
      const adds = new BookBatch(CommandKind.New, null, true, 2);
      const cancels = new BookBatch(CommandKind.Cancel, null, true, 2);
      checkSameBook(engine, nob);
      const results = await measure(ctx, bookTasks('micro-book-cancel', engine, sink, nob, cancels, adds, null));
      checkSameBook(engine, nob);
      yield* lines('micro-book-cancel', 'nodejs-order-book', results);
    },
  },
  {
    group: 'micro-book-cross',
    async *run(ctx) {
      const { engine, sink, nob } = await bookPair();
      const makers = new BookBatch(CommandKind.New, Side.Sell, false, 3);
      const takers = new BookBatch(CommandKind.New, Side.Buy, false, 4);
      checkSameBook(engine, nob);
      const results = await measure(ctx, bookTasks('micro-book-cross', engine, sink, nob, takers, makers, null));
      checkSameBook(engine, nob);
      if (engine.counters.trades === 0) throw new Error('no trade crossed the book');
      yield* lines('micro-book-cross', 'nodejs-order-book', results);
    },
  },
];
