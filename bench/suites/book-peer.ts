// book-peer: ringmatch's book against exchange-core's (the Java LMAX-disruptor exchange, Maven
// exchange.core2:exchange-core:0.5.3) on one pre-built single-symbol stream (bench/peer/stream.ts:
// 47% passive GTC limits, 10% crossing GTC limits, 8% IOC, 20% cancels, 8% price moves, 7% size
// reductions). `book-peer` is the book the engine matches with under --book auto: the native book
// when @ringmatch/native loads (command slots in, output slots out, in batches); `book-peer:js` is
// the JS book. Each runs on one thread, commands built before the clock starts. Method (the
// same for all four lines): warm-up repetitions one after another, each a fresh book over the
// whole stream, of which the last RUNS are timed (`sequential_*`); then RUNS fresh books walk the
// stream side by side in turns of 100,000 commands (bench/peer/turns.ts), and the line reports the
// median of those RUNS with min, max and `max_dev` (the farthest from the median, over the
// median: the issue's +-15%). Taken in turns, a slow spell of the host lands on every run alike;
// one after another, a run lands whole in one. After each timed sequential repetition of
// ringmatch's books a fixed memory-bound control runs (bench/peer/memory-control.ts):
// `machine_max_dev` is the machine's own spread in those moments, beside `sequential_max_dev`.
// exchange-core runs in its own JVM (bench/peer/exchange-core, built with Maven) with
// OrderBookDirectImpl (`:exchange-core`) and OrderBookNaiveImpl (`:exchange-core-naive`), by the
// same method. Every book, and every run of it, must end the stream with the same trade count and
// the same book, or the bench fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { CountingSink, MatchingEngine } from '@ringmatch/book';
import { COMMAND_SLOT_BYTES, OUTPUT_SLOT_BYTES, writeCommand, type Command } from '@ringmatch/protocol';
import { createNativeBook, NATIVE_COUNTER_KEYS, type NativeBookHandle } from '@ringmatch/engine';
import type { BenchGroup, BenchLine } from '../types.js';
import { medianBy, round } from '../stats.js';
import { loadNow, methodFields, runsFor } from '../method.js';
import { PEER_SYMBOL, peerSymbols, readPeerStream, writePeerStream } from '../peer/stream.js';
import { buildHarness, runHarness } from '../peer/harness.js';
import { MemoryControl } from '../peer/memory-control.js';
import { TURN_COMMANDS, timeInTurns } from '../peer/turns.js';

const SEED = 42;

interface FinalBook {
  askOrders: number;
  bidOrders: number;
  askVolume: number;
  bidVolume: number;
}

interface PeerRun {
  /** ns per command of each measured run (taken in turns). */
  nsPerCmd: number[];
  /** ns per command of the last timed repetitions run one after another. */
  sequentialNs: number[];
  trades: number;
  /** Outputs (ringmatch: reports + trades) or events (exchange-core) per command. */
  outputsPerCmd: number;
  final: FinalBook;
  gcMs: number;
  jitMs: number | null;
  warmup: number;
  /** The memory control's ns per step right after each timed sequential repetition (ringmatch's books). */
  controlNs?: number[];
}

/** What one run of a book ended with: every run must end alike. */
interface Outcome {
  trades: number;
  outputs: number;
  final: FinalBook;
}

/** One of ringmatch's books, as the runs see it. */
interface BookKind<B> {
  name: string;
  make(): Promise<B>;
  /** Processes commands [from, to) of the stream. */
  step(book: B, from: number, to: number): void;
  outcome(book: B): Outcome;
}

const median = (xs: number[]) => medianBy(xs, (x) => x);
/** The farthest value from the median, over the median. */
const maxDev = (xs: number[]) => {
  const med = median(xs);
  return Math.max(...xs.map((x) => Math.abs(x - med))) / med;
};
const methodText = (run: PeerRun) =>
  `${run.warmup} warm-up repetitions one after another (the last ${run.sequentialNs.length} timed: sequential_*), then ${run.nsPerCmd.length} fresh books in turns of ${TURN_COMMANDS} commands: median of those ${run.nsPerCmd.length}`;

/**
 * The runs of one of ringmatch's books (the method in the header): warm-up repetitions one after
 * another, the last `reps` timed with the memory control after each, then `reps` books in turns.
 */
async function runBook<B>(kind: BookKind<B>, total: number, warmup: number, reps: number, control: MemoryControl): Promise<PeerRun> {
  let expected: string | null = null;
  const check = (book: B): Outcome => {
    const outcome = kind.outcome(book);
    const text = JSON.stringify(outcome);
    if (expected !== null && text !== expected) throw new Error(`book-peer: ${kind.name} runs disagree: ${text} vs ${expected}`);
    expected = text;
    return outcome;
  };
  const sequentialNs: number[] = [];
  const controlNs: number[] = [];
  for (let rep = 0; rep < warmup; rep++) {
    const book = await kind.make();
    const start = process.hrtime.bigint();
    kind.step(book, 0, total);
    const ns = Number(process.hrtime.bigint() - start);
    check(book);
    if (rep >= warmup - reps) {
      sequentialNs.push(ns / total);
      controlNs.push(control.measure());
    }
  }
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  let outcome: Outcome;
  let nsPerCmd: number[];
  try {
    const books: B[] = [];
    for (let k = 0; k < reps; k++) books.push(await kind.make());
    nsPerCmd = timeInTurns(reps, total, TURN_COMMANDS, (k, from, to) => kind.step(books[k]!, from, to));
    // GC entries arrive asynchronously: let them in before the observer goes.
    await new Promise((resolve) => setImmediate(resolve));
    outcome = books.map(check)[0]!;
  } finally {
    observer.disconnect();
  }
  return { nsPerCmd, sequentialNs, trades: outcome.trades, outputsPerCmd: outcome.outputs / total, final: outcome.final, gcMs, jitMs: null, warmup, controlNs };
}

/** The JS book (@ringmatch/book's MatchingEngine) with a counting sink. */
function jsBook(commands: Command[]): BookKind<{ engine: MatchingEngine; sink: CountingSink }> {
  return {
    name: 'the JS book',
    make: async () => ({ engine: new MatchingEngine({ symbols: peerSymbols() }), sink: new CountingSink() }),
    step: ({ engine, sink }, from, to) => {
      for (let i = from; i < to; i++) engine.process(commands[i]!, sink);
    },
    outcome: ({ engine, sink }) => {
      const depth = engine.depth(PEER_SYMBOL, Number.MAX_SAFE_INTEGER);
      const final: FinalBook = {
        askOrders: depth.asks.reduce((n, l) => n + l.orders, 0),
        bidOrders: depth.bids.reduce((n, l) => n + l.orders, 0),
        askVolume: depth.asks.reduce((n, l) => n + l.qty, 0),
        bidVolume: depth.bids.reduce((n, l) => n + l.qty, 0),
      };
      return { trades: sink.trades, outputs: sink.trades + sink.reports, final };
    },
  };
}

/** Commands a native call takes, and the output slots it may fill (the matcher's batch and output ring sizes). */
const NATIVE_BATCH = 4096;
const NATIVE_OUT_SLOTS = 1 << 15;

/** The pre-built stream as command slots (seq 1..n), the native book's input. */
function commandSlots(commands: Command[]): Uint8Array {
  const slots = new Uint8Array(commands.length * COMMAND_SLOT_BYTES);
  for (let i = 0; i < commands.length; i++) writeCommand(slots, i * COMMAND_SLOT_BYTES, { ...commands[i]!, seq: i + 1 });
  return slots;
}

/** The final book of a native book, in the shape the others report. */
function nativeFinal(book: NativeBookHandle): FinalBook {
  const side = (s: number) => {
    const n = book.levelCount(PEER_SYMBOL, s);
    const prices = new Float64Array(n);
    const qtys = new Float64Array(n);
    const orders = new Int32Array(n);
    book.topLevels(PEER_SYMBOL, s, n, prices, qtys, orders, 0);
    return { orders: orders.reduce((a, b) => a + b, 0), volume: qtys.reduce((a, b) => a + b, 0) };
  };
  const bids = side(0);
  const asks = side(1);
  return { askOrders: asks.orders, bidOrders: bids.orders, askVolume: asks.volume, bidVolume: bids.volume };
}

/**
 * ringmatch's native book (@ringmatch/native's NativeBook) on the same stream as command slots:
 * batches of NATIVE_BATCH commands, every report and trade written into output slots (the ring's
 * 96-byte format) of a reused region, as the matcher would write them into its output ring.
 */
function nativeBook(commands: Command[]): BookKind<NativeBookHandle> {
  const slots = commandSlots(commands);
  const out = new Uint8Array(NATIVE_OUT_SLOTS * OUTPUT_SLOT_BYTES);
  const progress = new Float64Array(5);
  const counters = new Float64Array(NATIVE_COUNTER_KEYS.length);
  const outputCounts = new Float64Array(3);
  const tradesAt = NATIVE_COUNTER_KEYS.indexOf('trades');
  return {
    name: 'the native book',
    make: async () => (await createNativeBook(peerSymbols())).book!,
    step: (book, from, to) => {
      for (let done = from; done < to; ) {
        done += book.process(slots, done, Math.min(NATIVE_BATCH, to - done), out, 0, NATIVE_OUT_SLOTS, progress);
        while (book.waiting > 0) book.drain(out, 0, NATIVE_OUT_SLOTS);
      }
    },
    outcome: (book) => {
      book.readCounters(counters);
      book.readOutputCounts(outputCounts);
      return { trades: counters[tradesAt]!, outputs: outputCounts[0]! + outputCounts[2]!, final: nativeFinal(book) };
    },
  };
}

function runExchangeCore(file: string, impl: 'direct' | 'naive', warmup: number, reps: number): PeerRun & { results: Record<string, number> } {
  const out = runHarness<{
    ns_per_cmd: number[];
    sequential_ns_per_cmd: number[];
    trades: number;
    results: Record<string, number>;
    final: FinalBook;
    gc_ms: number;
    jit_ms: number;
    commands: number;
    reject_events: number;
  }>('BookPeer', [file, String(reps), String(warmup), impl, String(TURN_COMMANDS)]);
  return {
    nsPerCmd: out.ns_per_cmd,
    sequentialNs: out.sequential_ns_per_cmd,
    trades: out.trades,
    outputsPerCmd: (out.trades + out.reject_events) / out.commands,
    final: out.final,
    gcMs: out.gc_ms,
    jitMs: out.jit_ms,
    warmup,
    results: out.results,
  };
}

function line(bench: string, run: PeerRun, load: number, extra: Record<string, unknown>): BenchLine {
  const med = median(run.nsPerCmd);
  const method = methodFields(
    run.nsPerCmd.map((ns) => 1e9 / ns),
    load,
  );
  return {
    bench,
    ops_per_s: round(1e9 / med, 0),
    p50_us: null,
    p99_us: null,
    ns_per_cmd: round(med, 1),
    ns_per_cmd_min: round(Math.min(...run.nsPerCmd), 1),
    ns_per_cmd_max: round(Math.max(...run.nsPerCmd), 1),
    spread: round((Math.max(...run.nsPerCmd) - Math.min(...run.nsPerCmd)) / med),
    /** The farthest run from the median, over the median: within 0.15 is the issue's +-15%. */
    max_dev: round(maxDev(run.nsPerCmd)),
    // The same book's repetitions one after another, and the memory control timed right after
    // each (bench/peer/memory-control.ts): how far the machine alone moved in those moments.
    sequential_ns_per_cmd: round(median(run.sequentialNs), 1),
    sequential_max_dev: round(maxDev(run.sequentialNs)),
    ...(run.controlNs ? { machine_max_dev: round(maxDev(run.controlNs)) } : {}),
    reps: run.nsPerCmd.length,
    trades: run.trades,
    outputs_per_cmd: round(run.outputsPerCmd),
    gc_ms: round(run.gcMs, 1),
    ...(run.jitMs === null ? {} : { jit_ms: run.jitMs }),
    ...method,
    method: methodText(run),
    ...extra,
  };
}

export const groups: BenchGroup[] = [
  {
    group: 'book-peer',
    async *run(ctx) {
      const count = ctx.quick ? 200_000 : 2_000_000;
      // JIT warm-up for both: exchange-core still compiled for ~0.2-0.4 s after 3 repetitions.
      const warmup = ctx.quick ? 3 : 10;
      const reps = runsFor(ctx);
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-book-peer-'));
      try {
        const file = path.join(root, 'peer.stream');
        const mix = writePeerStream(file, count, SEED);
        ctx.log(`book-peer: ${count} commands (${JSON.stringify(mix)}); ringmatch`);
        const load = loadNow();
        const commands = readPeerStream(file);
        const control = new MemoryControl();
        const js = await runBook(jsBook(commands), count, warmup, reps, control);
        ctx.log('book-peer: ringmatch native book');
        const probe = await createNativeBook(peerSymbols());
        const native =
          probe.book === null ? `@ringmatch/native does not load: ${probe.why}` : await runBook(nativeBook(commands), count, warmup, reps, control);
        if (typeof native !== 'string' && (native.trades !== js.trades || JSON.stringify(native.final) !== JSON.stringify(js.final)))
          throw new Error(`book-peer: the native book ended otherwise: trades ${native.trades} vs ${js.trades}`);
        // `book-peer` is the book the engine matches with under --book auto: native when it loads.
        const ours = typeof native === 'string' ? js : native;
        const oursFields = {
          book: typeof native === 'string' ? 'js' : 'native',
          ...(typeof native === 'string'
            ? { native_skipped: native }
            : {
                what: "the native book (@ringmatch/native NativeBook, the engine's book): command slots in, every report and trade written into 96-byte output slots",
                batch: NATIVE_BATCH,
                vs_js_book: round(median(js.nsPerCmd) / median(native.nsPerCmd)),
              }),
          commands: count,
        };
        const jsFields = { what: 'the JS book (@ringmatch/book: the reference and the fallback), outputs to a counting sink' };
        const failure = buildHarness();
        if (failure !== null) {
          yield line('book-peer', ours, load, oursFields);
          yield line('book-peer:js', js, load, jsFields);
          for (const bench of ['book-peer:exchange-core', 'book-peer:exchange-core-naive'])
            yield { bench, ops_per_s: null, p50_us: null, p99_us: null, skipped: failure };
          return;
        }
        ctx.log('book-peer: exchange-core OrderBookDirectImpl, then OrderBookNaiveImpl');
        const direct = runExchangeCore(file, 'direct', warmup, reps);
        const naive = runExchangeCore(file, 'naive', warmup, reps);
        for (const [name, peer] of [
          ['direct', direct],
          ['naive', naive],
        ] as const) {
          if (peer.trades !== ours.trades || JSON.stringify(peer.final) !== JSON.stringify(ours.final))
            throw new Error(
              `book-peer: exchange-core ${name} ended otherwise: trades ${peer.trades} vs ${ours.trades}, book ${JSON.stringify(peer.final)} vs ${JSON.stringify(ours.final)}`,
            );
        }
        const ratio = (peer: PeerRun, of: PeerRun) => round(median(peer.nsPerCmd) / median(of.nsPerCmd));
        yield line('book-peer', ours, load, {
          ...oursFields,
          same_trades_and_book: true,
          vs_exchange_core: ratio(direct, ours),
          // The same ratio of the sequential repetitions' medians: turns cost each book some of its cached data.
          vs_exchange_core_sequential: round(median(direct.sequentialNs) / median(ours.sequentialNs)),
          vs_exchange_core_naive: ratio(naive, ours),
        });
        yield line('book-peer:js', js, load, { ...jsFields, same_trades_and_book: true, vs_exchange_core: ratio(direct, js) });
        yield line('book-peer:exchange-core', direct, load, { impl: 'OrderBookDirectImpl', results: JSON.stringify(direct.results) });
        yield line('book-peer:exchange-core-naive', naive, load, { impl: 'OrderBookNaiveImpl', results: JSON.stringify(naive.results) });
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
