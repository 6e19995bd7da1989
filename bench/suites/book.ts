// Order book benches.
// - `book`: one book (one symbol), the realistic mix of OrderFlowGenerator (about 55% passive limit
//   adds near the touch, 28% cancels, 10% marketable, 4% amends, 3% FOK/post-only/stops).
// - `book-multi`: the same mix over 64 symbols and 10k accounts (cache pressure of a real engine).
// - `book-subset` and `book-subset:nodejs-order-book`: the stream restricted to limit GTC adds,
//   market orders and cancels, through MatchingEngine and nodejs-order-book, in the same run.
// Commands are generated in chunks outside the timed loops; only `process` is timed.
// ops_per_s is commands per CPU second of this process (process.cpuUsage around the timed loops):
// the machine is shared, and wall-clock rates mostly measure preemption. wall_ops_per_s is also
// reported. p50/p99 time single commands with performance.now (timer_overhead_us included).
// Every line by the method of every line (bench/method.ts): a warm-up run, then the median of the
// runs (a fresh book and the same stream each run), book-subset's two lines interleaved.
import { CountingSink, MatchingEngine, OrderFlowGenerator, type OrderFlowOptions } from '@ringmatch/book';
import { CommandKind, OrderType, Side, createCommand, type Command } from '@ringmatch/protocol';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { latencySummaryUs, round, rssMb } from '../stats.js';
import { measureGroup, median, methodFields, type Measured as Runs } from '../method.js';

const CHUNK = 1 << 16;

interface Measured {
  /** Commands per CPU second of this process (robust to preemption on a shared machine). */
  opsPerS: number;
  /** Commands per wall-clock second. */
  wallOpsPerS: number;
  p50: number | null;
  p99: number | null;
  seconds: number;
}

function freshChunk(): Command[] {
  return Array.from({ length: CHUNK }, () => createCommand());
}

function fill(gen: OrderFlowGenerator, chunk: Command[], seq: number): number {
  for (let i = 0; i < CHUNK; i++) {
    const c = gen.next(chunk[i]);
    c.seq = seq++;
  }
  return seq;
}

/** One run: a throughput pass (whole chunks timed) then a latency pass (each command timed). */
function runOurs(opts: OrderFlowOptions, total: number, latencyCmds: number): Measured & { engine: MatchingEngine; sink: CountingSink } {
  const gen = new OrderFlowGenerator(opts);
  const engine = new MatchingEngine({ symbols: gen.symbols });
  const sink = new CountingSink();
  const chunk = freshChunk();
  let seq = 1;
  let ns = 0;
  let cpuUs = 0;
  let done = 0;
  while (done < total) {
    seq = fill(gen, chunk, seq);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) engine.process(chunk[i]!, sink);
    ns += Number(process.hrtime.bigint() - t0);
    const c1 = process.cpuUsage(c0);
    cpuUs += c1.user + c1.system;
    done += CHUNK;
  }
  const samples = new Float64Array(latencyCmds);
  let n = 0;
  while (n < latencyCmds) {
    seq = fill(gen, chunk, seq);
    for (let i = 0; i < CHUNK && n < latencyCmds; i++) {
      const t0 = performance.now();
      engine.process(chunk[i]!, sink);
      samples[n++] = (performance.now() - t0) * 1e6;
    }
  }
  const lat = latencySummaryUs(samples);
  return { opsPerS: done / (cpuUs / 1e6), wallOpsPerS: done / (ns / 1e9), p50: lat.p50_us, p99: lat.p99_us, seconds: ns / 1e9, engine, sink };
}

/** Timer overhead of the latency pass (performance.now pair), to read p50 against. */
function timerOverheadUs(): number {
  const s = new Float64Array(100_000);
  for (let i = 0; i < s.length; i++) {
    const t0 = performance.now();
    s[i] = (performance.now() - t0) * 1e6;
  }
  return latencySummaryUs(s).p50_us ?? 0;
}

/** The line of runs of a book: the median rate, the median p50 and p99, the median run's details. */
function ourLine(bench: string, runs: Runs<ReturnType<typeof runOurs>>, load: number, extra: Record<string, unknown>): BenchLine {
  const m = runs.median;
  const c = m.engine.counters;
  return {
    bench,
    ops_per_s: round(runs.value),
    p50_us: medianOf(runs.all, (r) => r.p50),
    p99_us: medianOf(runs.all, (r) => r.p99),
    wall_ops_per_s: round(m.wallOpsPerS),
    commands: c.commands,
    trades_per_cmd: round(c.trades / c.commands),
    rejected_frac: round(c.rejected / c.commands),
    open_orders: m.engine.openOrders,
    outputs_per_cmd: round((m.sink.reports + m.sink.trades) / c.commands),
    timer_overhead_us: round(timerOverheadUs()),
    rss_mb: rssMb(),
    ...methodFields(runs.values, load),
    ...extra,
  };
}

/** The median of a figure over runs; null when a run has none. */
function medianOf<R>(runs: readonly R[], figure: (r: R) => number | null): number | null {
  const values = runs.map(figure);
  return values.some((v) => v === null) ? null : median(values as number[]);
}

// ---------------------------------------------------------------------------------------------
// nodejs-order-book adapter (no types shipped for NodeNext resolution: typed locally)

interface Nob {
  limit(o: { side: string; id: string; size: number; price: number }): { err: unknown; done: unknown[] };
  market(o: { side: string; size: number }): { err: unknown; done: unknown[] };
  cancel(id: string): unknown;
  depth(): [Array<[number, number]>, Array<[number, number]>];
}
type NobCtor = new () => Nob;

async function loadNob(): Promise<NobCtor> {
  const name = 'nodejs-order-book';
  const mod = (await import(name)) as { OrderBook?: NobCtor; default?: { OrderBook: NobCtor } };
  const ctor = mod.OrderBook ?? mod.default?.OrderBook;
  if (!ctor) throw new Error('nodejs-order-book: OrderBook export not found');
  return ctor;
}

type NobOp = { k: 0; o: { side: string; id: string; size: number; price: number } } | { k: 1; o: { side: string; size: number } } | { k: 2; id: string };

function toNob(c: Command): NobOp {
  const side = c.side === Side.Buy ? 'buy' : 'sell';
  if (c.kind === CommandKind.Cancel) return { k: 2, id: String(c.orderId) };
  if (c.type === OrderType.Market) return { k: 1, o: { side, size: c.qty } };
  return { k: 0, o: { side, id: String(c.orderId), size: c.qty, price: c.price } };
}

function applyNob(ob: Nob, op: NobOp): void {
  if (op.k === 0) ob.limit(op.o);
  else if (op.k === 1) ob.market(op.o);
  else ob.cancel(op.id);
}

function runNob(Ctor: NobCtor, opts: OrderFlowOptions, total: number, latencyCmds: number): Measured & { ob: Nob } {
  const gen = new OrderFlowGenerator(opts);
  const ob = new Ctor();
  const c = createCommand();
  const ops: NobOp[] = new Array(CHUNK);
  let ns = 0;
  let cpuUs = 0;
  let done = 0;
  while (done < total) {
    for (let i = 0; i < CHUNK; i++) ops[i] = toNob(gen.next(c));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) applyNob(ob, ops[i]!);
    ns += Number(process.hrtime.bigint() - t0);
    const c1 = process.cpuUsage(c0);
    cpuUs += c1.user + c1.system;
    done += CHUNK;
  }
  const samples = new Float64Array(latencyCmds);
  let n = 0;
  while (n < latencyCmds) {
    for (let i = 0; i < CHUNK; i++) ops[i] = toNob(gen.next(c));
    for (let i = 0; i < CHUNK && n < latencyCmds; i++) {
      const t0 = performance.now();
      applyNob(ob, ops[i]!);
      samples[n++] = (performance.now() - t0) * 1e6;
    }
  }
  const lat = latencySummaryUs(samples);
  return { opsPerS: done / (cpuUs / 1e6), wallOpsPerS: done / (ns / 1e9), p50: lat.p50_us, p99: lat.p99_us, seconds: ns / 1e9, ob };
}

/** Per run (one warm-up run and five measured: a quarter of the single run this bench made before). */
function sizes(ctx: BenchContext): { total: number; latency: number } {
  return ctx.quick ? { total: 8 * CHUNK, latency: 50_000 } : { total: 32 * CHUNK, latency: 200_000 };
}

/** Our book alone, by the method (a warm-up run, then the median of the runs). */
async function oursAlone(ctx: BenchContext, opts: OrderFlowOptions) {
  const { total, latency } = sizes(ctx);
  const { load, results } = await measureGroup(
    ctx,
    [opts],
    async (o) => runOurs(o, total, latency),
    (m) => m.opsPerS,
  );
  return { load, runs: results[0]! };
}

export const groups: BenchGroup[] = [
  {
    group: 'book',
    async *run(ctx) {
      const { load, runs } = await oursAlone(ctx, { seed: 1, symbols: 1, accounts: 1000 });
      ctx.log(`book: ${runs.value.toExponential(3)} commands/s over ${runs.median.engine.counters.commands} commands per run`);
      yield ourLine('book', runs, load, { symbols: 1, target_ops_per_s: 5e6 });
    },
  },
  {
    group: 'book-multi',
    async *run(ctx) {
      const { load, runs } = await oursAlone(ctx, { seed: 2, symbols: 64, accounts: 10_000 });
      yield ourLine('book-multi', runs, load, { symbols: 64 });
    },
  },
  {
    group: 'book-subset',
    async *run(ctx) {
      const { total, latency } = sizes(ctx);
      const opts: OrderFlowOptions = { seed: 3, symbols: 1, accounts: 1000, subset: true };
      const Nob = await loadNob();
      // nodejs-order-book is much slower: give it fewer commands of the same stream (same prefix)
      const nobTotal = ctx.quick ? 2 * CHUNK : 4 * CHUNK;
      const nobLatency = Math.min(latency, 100_000);
      type Run = { ours: ReturnType<typeof runOurs> | null; theirs: ReturnType<typeof runNob> | null; opsPerS: number };
      const { load, results } = await measureGroup<'ours' | 'theirs', Run>(
        ctx,
        ['ours', 'theirs'],
        async (which) => {
          if (which === 'ours') {
            const m = runOurs(opts, total, latency);
            return { ours: m, theirs: null, opsPerS: m.opsPerS };
          }
          const m = runNob(Nob, opts, nobTotal, nobLatency);
          return { ours: null, theirs: m, opsPerS: m.opsPerS };
        },
        (r) => r.opsPerS,
      );
      const ours = { ...results[0]!, median: results[0]!.median.ours!, all: results[0]!.all.map((r) => r.ours!) };
      const theirsRuns = results[1]!;
      const theirs = theirsRuns.median.theirs!;
      // Sanity: same stream prefix, same book? Replay the prefix through a fresh engine to compare depth.
      const check = new MatchingEngine({ symbols: new OrderFlowGenerator(opts).symbols });
      const g = new OrderFlowGenerator(opts);
      const ob = new Nob();
      const c = createCommand();
      const sink = new CountingSink();
      for (let i = 0; i < 200_000; i++) {
        g.next(c);
        c.seq = i + 1;
        check.process(c, sink);
        applyNob(ob, toNob(c));
      }
      const [asks, bids] = ob.depth();
      const d = check.depth(1, 5);
      const agree =
        JSON.stringify(d.bids.map((l) => [l.price, l.qty])) === JSON.stringify(bids.slice(0, 5)) &&
        JSON.stringify(d.asks.map((l) => [l.price, l.qty])) === JSON.stringify(asks.slice(0, 5));
      yield ourLine('book-subset', ours, load, {
        ratio_vs_nodejs_order_book: round(ours.value / theirsRuns.value),
        target_ratio: 10,
        same_book_as_baseline: agree,
      });
      yield {
        bench: 'book-subset:nodejs-order-book',
        ops_per_s: round(theirsRuns.value),
        p50_us: medianOf(theirsRuns.all, (r) => r.theirs!.p50),
        p99_us: medianOf(theirsRuns.all, (r) => r.theirs!.p99),
        wall_ops_per_s: round(theirs.wallOpsPerS),
        commands: nobTotal,
        rss_mb: rssMb(),
        ...methodFields(theirsRuns.values, load),
      };
    },
  },
];
