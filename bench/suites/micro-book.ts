// Micro benchmarks of book operations (tinybench): our MatchingEngine against nodejs-order-book
// holding the same book.
//   micro-book-add      a passive limit into a book of 1,000 orders (MatchingEngine) vs nodejs-order-book
//   micro-book-cancel   cancelling a resting order of that book                      vs nodejs-order-book
//   micro-book-cross    a limit that fills one resting order (a trade, two reports)   vs nodejs-order-book
// The book operations take a few hundred nanoseconds, close to the timer's resolution, so each of
// their samples is a batch of BOOK_BATCH operations (set up and cleaned up outside the timing:
// makers added before a cross batch, orders added before a cancel batch, adds cancelled after an
// add batch); their ops_per_s counts operations and p50/p99 are per operation within a batch.
import { CommandKind, createCommand, Side, SymbolTable, type Command } from '@ringmatch/protocol';
import { CountingSink, MatchingEngine } from '@ringmatch/book';
import type { BenchGroup } from '../types.js';
import { lines, measure, type MicroTask } from '../micro/measure.js';

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

/**
 * One micro-book group: `batches()` gives the timed batch and its untimed setup and cleanup (made
 * once the books exist); both books are checked equal before and after, then `verify` runs.
 */
function bookGroup(
  group: string,
  batches: () => { timed: BookBatch; before: BookBatch | null; after: BookBatch | null },
  verify?: (engine: MatchingEngine) => void,
): BenchGroup {
  return {
    group,
    async *run(ctx) {
      const { engine, sink, nob } = await bookPair();
      const { timed, before, after } = batches();
      checkSameBook(engine, nob);
      const results = await measure(ctx, bookTasks(group, engine, sink, nob, timed, before, after));
      checkSameBook(engine, nob);
      verify?.(engine);
      yield* lines(group, 'nodejs-order-book', results);
    },
  };
}

export const groups: BenchGroup[] = [
  bookGroup('micro-book-add', () => ({
    timed: new BookBatch(CommandKind.New, null, true, 2),
    before: null,
    after: new BookBatch(CommandKind.Cancel, null, true, 2),
  })),
  bookGroup('micro-book-cancel', () => {
    const adds = new BookBatch(CommandKind.New, null, true, 2);
    return { timed: new BookBatch(CommandKind.Cancel, null, true, 2), before: adds, after: null };
  }),
  bookGroup(
    'micro-book-cross',
    () => {
      const makers = new BookBatch(CommandKind.New, Side.Sell, false, 3);
      return { timed: new BookBatch(CommandKind.New, Side.Buy, false, 4), before: makers, after: null };
    },
    (engine) => {
      if (engine.counters.trades === 0) throw new Error('no trade crossed the book');
    },
  ),
];
