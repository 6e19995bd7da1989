// engine-file: orders/s end to end from an NDJSON file (`run --source ndjson:FILE --symbols 8`:
// read, scan, durable WAL, books, trades file) against the same orders from the embedded
// pregenerated source in the same run (`engine-file:embedded`: no parsing at all), and the file
// source alone (`engine-file:source`: NdjsonCommandReader turning the file's lines into command
// slots, no ring, no engine). The file holds the embedded generator's own orders (same seed,
// symbols and accounts, written by commandToJson), so both runs must write the same trades file,
// byte for byte (`same_trades_as_embedded`). Every line by the method of every line
// (bench/method.ts: a warm-up round, then the median of interleaved rounds); each run takes 1M
// orders (2M, three runs, before the method: smaller runs keep the group's time).
// `vs_embedded` is the ratio of the two lines' medians; `vs_embedded_paired` the median of the
// per-round ratios (the file and the embedded run of one interleaved round), which a drift of the
// machine's speed between rounds leaves out. The engine runs take ENGINE_ROUNDS rounds, not the
// method's five: one file run to the next spreads 24-36% on this machine, more than the ratio's
// margin over its target, and a median of five moved 0.77-0.86 between runs of the same code.
// The engine lines carry the run's account from its summary (`outputs_per_cmd`: trades and
// execution reports per command; `cpu_ms`, `cpu_us_per_order`: the process's CPU over the measured
// window; `gc_ms`: the GC pauses of the engine's threads while its stages ran), beside exchange-core's events per
// command, `cpu_ms`, `gc_ms` and `jit_ms` (Node reports no JIT time).
// The file lines use the native line scanner when @ringmatch/native is built; `engine-file:js` and
// `engine-file:source-js` are the same runs with the JS byte scanner, for the gain in the same run.
// Then the peer comparison on book-peer's single-symbol stream (bench/peer/stream.ts): ringmatch
// from that stream as NDJSON lines, end to end and durable (`engine-file:peer`), against
// exchange-core's whole pipeline (disruptor, risk and matching engines) with its journal on, fed
// the same commands pre-built (`engine-file:exchange-core`, bench/peer/exchange-core); both must
// make the same trades.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, syntheticSymbolTable } from '@ringmatch/protocol';
import {
  CommandStaging,
  Engine,
  NdjsonCommandReader,
  createNativeScanner,
  loadFileWindows,
  openFileWindows,
  resolveJsonScanner,
  type EngineSummary,
} from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import type { BenchContext, BenchGroup } from '../types.js';
import { round } from '../stats.js';
import { measureGroup, methodFields, pairedRatio, runsFor } from '../method.js';
import { buildHarness, runHarness } from '../peer/harness.js';
import { writePeerNdjson, writePeerStream } from '../peer/stream.js';

const SEED = 1;
const SYMBOLS = 8;
const ACCOUNTS = 1000;
const PEER_SEED = 42;

interface PipelineRun {
  commands_per_s: number;
  trades: number;
  /**
   * Its events: one per command that traded (with its fills), per rejection and per reduction
   * (cancels and size cuts); its one result per command is not counted.
   */
  trade_events: number;
  reject_events: number;
  reduce_events: number;
  journal_bytes: number;
  gc_ms: number;
  jit_ms: number;
  cpu_ms: number;
  seconds: number;
}

/** ringmatch from the peer stream's NDJSON and exchange-core's journaled pipeline on the same commands. */
async function* peerLines(ctx: BenchContext, root: string, commands: number) {
  const stream = path.join(root, 'peer.stream');
  const ndjson = path.join(root, 'peer.ndjson');
  writePeerStream(stream, commands, PEER_SEED);
  writePeerNdjson(stream, ndjson);
  const failure = buildHarness();
  const sides = failure === null ? (['ours', 'peer'] as const) : (['ours'] as const);
  ctx.log(`engine-file: the book-peer stream (${commands} commands) end to end${failure === null ? ", and exchange-core's pipeline, journal on" : ''}`);
  type Run = { ours: EngineSummary | null; peer: PipelineRun | null; rate: number };
  const { load, results } = await measureGroup<'ours' | 'peer', Run>(
    ctx,
    sides,
    async (side) => {
      if (side === 'ours') {
        const r = await engineRun(path.join(root, 'peer'), ['--source', `ndjson:${ndjson}`]);
        return { ours: r, peer: null, rate: r.ordersPerSecond };
      }
      const journal = fs.mkdtempSync(path.join(root, 'journal-'));
      try {
        // the harness warms up itself: the whole stream once through a discarded instance (JIT), then the measured run
        const r = runHarness<PipelineRun>('PipelinePeer', [stream, journal, 'journal', String(commands)]);
        return { ours: null, peer: r, rate: r.commands_per_s };
      } finally {
        fs.rmSync(journal, { recursive: true, force: true });
      }
    },
    (r) => r.rate,
  );
  const oursRuns = results[0]!;
  const f = oursRuns.median.ours!;
  const base = {
    p50_us: null,
    p99_us: null,
    orders: commands,
    trades: f.trades,
    ...methodFields(oursRuns.values, load),
  };
  if (failure !== null) {
    yield { bench: 'engine-file:peer', ops_per_s: f.ordersPerSecond, ...base, ...runAccount(f) };
    yield { bench: 'engine-file:exchange-core', ops_per_s: null, p50_us: null, p99_us: null, skipped: failure };
    return;
  }
  const peerRuns = results[1]!;
  const p = peerRuns.median.peer!;
  const peerTrades = peerRuns.all.map((r) => r.peer!.trades);
  if (peerTrades.some((t) => t !== f.trades))
    throw new Error(`engine-file: exchange-core's pipeline made ${peerTrades.join('/')} trades, ringmatch ${f.trades}`);
  yield {
    bench: 'engine-file:peer',
    ops_per_s: f.ordersPerSecond,
    ...base,
    same_trades: true,
    vs_exchange_core: round(f.ordersPerSecond / p.commands_per_s),
    wal_backend: f.walBackend,
    ...runAccount(f),
  };
  yield {
    bench: 'engine-file:exchange-core',
    ops_per_s: round(p.commands_per_s, 0),
    p50_us: null,
    p99_us: null,
    orders: commands,
    trades: p.trades,
    journal_mib: round(p.journal_bytes / 2 ** 20, 1),
    outputs_per_cmd: round((p.trade_events + p.reject_events + p.reduce_events) / commands),
    gc_ms: p.gc_ms,
    jit_ms: p.jit_ms,
    cpu_ms: p.cpu_ms,
    ...methodFields(peerRuns.values, load),
  };
}

/**
 * A run's account, as exchange-core's lines have theirs: outputs per command (trades and execution
 * reports the books made, written or not), the process's CPU over the measured window, per order,
 * and the GC pauses of the engine's threads while its stages ran (Node reports no JIT time; V8
 * compiles on helper threads, whose CPU the process figure includes).
 */
function runAccount(s: EngineSummary): { outputs_per_cmd: number; cpu_ms: number | null; cpu_us_per_order: number | null; gc_ms: number } {
  return { outputs_per_cmd: round((s.trades + s.reports) / Math.max(1, s.orders)), cpu_ms: s.cpuMs, cpu_us_per_order: s.cpuUsPerOrder, gc_ms: s.gcMs };
}

/** SHA-256 of a file (the trades files compared across runs). */
function digest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Writes the embedded generator's first `orders` orders as NDJSON lines. */
function writeOrders(file: string, orders: number): number {
  const symbols = syntheticSymbolTable(SYMBOLS);
  const generator = new OrderFlowGenerator({ seed: SEED, symbols, accounts: ACCOUNTS });
  const cmd = createCommand();
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    let chunk: string[] = [];
    for (let i = 0; i < orders; i++) {
      generator.next(cmd);
      chunk.push(commandToJson(cmd, symbols));
      if (chunk.length === 10_000 || i === orders - 1) {
        const text = `${chunk.join('\n')}\n`;
        bytes += fs.writeSync(fd, text);
        chunk = [];
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** Measured rounds of the engine runs (file, embedded, file with the JS scanner; see the header). */
const ENGINE_ROUNDS = 11;

async function engineRun(dataDir: string, source: string[]): Promise<EngineSummary> {
  return new Engine(benchRunConfig(dataDir, ['--symbols', String(SYMBOLS), ...source]), { log: () => undefined }).run();
}

/** Lines per second of the file source alone: lines -> command slots, in batches as the engine reads them. */
async function sourceOnly(file: string, scanner: 'js' | 'native'): Promise<{ linesPerSecond: number; lines: number; commands: number }> {
  const symbols = syntheticSymbolTable(SYMBOLS);
  const staging = new CommandStaging(8192);
  // Read as the engine reads it: mapped windows where the native module loads.
  const reader = new NdjsonCommandReader(
    file,
    symbols,
    scanner === 'native' ? await createNativeScanner(symbols) : null,
    openFileWindows(await loadFileWindows(), file),
  );
  let commands = 0;
  const start = performance.now();
  try {
    while (!reader.eof) {
      staging.count = 0;
      reader.fill(staging, 4096);
      commands += staging.count;
    }
  } finally {
    reader.close();
  }
  const seconds = (performance.now() - start) / 1000;
  return { linesPerSecond: reader.linesRead / seconds, lines: reader.linesRead, commands };
}

export const groups: BenchGroup[] = [
  {
    group: 'engine-file',
    async *run(ctx) {
      const orders = ctx.quick ? 300_000 : 1_000_000;
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-engine-file-'));
      try {
        const file = path.join(root, 'orders.ndjson');
        const bytes = writeOrders(file, orders);
        const scanner = (await resolveJsonScanner('auto')).scanner;
        ctx.log(`engine-file: ${orders} orders, ${(bytes / 2 ** 20).toFixed(0)} MiB of NDJSON; the source alone (json scanner: ${scanner})`);
        const scanners = scanner === 'native' ? (['native', 'js'] as const) : (['js'] as const);
        const sourced = await measureGroup(
          ctx,
          scanners,
          async (which) => {
            const one = await sourceOnly(file, which);
            if (one.lines !== orders || one.commands !== orders)
              throw new Error(`file source (${which}) read ${one.lines} lines, ${one.commands} commands of ${orders}`);
            return one;
          },
          (s) => s.linesPerSecond,
        );
        const source = sourced.results[0]!;
        ctx.log('engine-file: the engine from the file and from the embedded source, interleaved');
        // Every run's trades file, by digest: all must be the embedded source's.
        const digests = new Map<string, Set<string>>();
        const runs = scanner === 'native' ? (['file', 'embedded', 'file-js'] as const) : (['file', 'embedded'] as const);
        const engines = await measureGroup(
          ctx,
          runs,
          async (which) => {
            const dir = path.join(root, which);
            const r =
              which === 'embedded'
                ? await engineRun(dir, ['--orders', String(orders), '--pregenerate'])
                : await engineRun(dir, ['--source', `ndjson:${file}`, '--json-scanner', which === 'file' ? scanner : 'js']);
            if (!digests.has(which)) digests.set(which, new Set());
            digests.get(which)!.add(digest(path.join(dir, 'trades.ndjson')));
            return r;
          },
          (r) => r.ordersPerSecond,
          ctx.quick ? runsFor(ctx) : ENGINE_ROUNDS,
        );
        const reference = [...digests.get('embedded')!];
        for (const [which, set] of digests)
          if (set.size !== 1 || [...set][0] !== reference[0]) throw new Error(`engine-file: the ${which} runs' trades differ from the embedded source's`);
        const [fromFile, embedded, fromFileJs] = engines.results;
        const load = sourced.load;
        const f = fromFile!.median;
        const e = embedded!.median;
        yield {
          bench: 'engine-file',
          ops_per_s: f.ordersPerSecond,
          p50_us: null,
          p99_us: null,
          orders,
          file_mib: round(bytes / 2 ** 20, 1),
          trades: f.trades,
          same_trades_as_embedded: true,
          wal_backend: f.walBackend,
          json_scanner: scanner,
          vs_embedded: round(f.ordersPerSecond / e.ordersPerSecond),
          vs_embedded_paired: pairedRatio(fromFile!.values, embedded!.values),
          ...runAccount(f),
          ...methodFields(fromFile!.values, engines.load),
        };
        yield {
          bench: 'engine-file:embedded',
          ops_per_s: e.ordersPerSecond,
          p50_us: null,
          p99_us: null,
          orders,
          trades: e.trades,
          ...runAccount(e),
          ...methodFields(embedded!.values, engines.load),
        };
        if (fromFileJs) {
          const j = fromFileJs.median;
          yield {
            bench: 'engine-file:js',
            ops_per_s: j.ordersPerSecond,
            p50_us: null,
            p99_us: null,
            orders,
            json_scanner: 'js',
            vs_embedded: round(j.ordersPerSecond / e.ordersPerSecond),
            vs_embedded_paired: pairedRatio(fromFileJs.values, embedded!.values),
            native_vs_js: round(f.ordersPerSecond / j.ordersPerSecond),
            ...runAccount(j),
            ...methodFields(fromFileJs.values, engines.load),
          };
        }
        yield {
          bench: 'engine-file:source',
          ops_per_s: round(source.value, 0),
          p50_us: null,
          p99_us: null,
          lines: source.median.lines,
          json_scanner: scanner,
          unit: 'lines/s into command slots',
          ...methodFields(source.values, load),
        };
        const js = sourced.results[1];
        if (js) {
          yield {
            bench: 'engine-file:source-js',
            ops_per_s: round(js.value, 0),
            p50_us: null,
            p99_us: null,
            lines: js.median.lines,
            json_scanner: 'js',
            native_vs_js: round(source.value / js.value),
            unit: 'lines/s into command slots',
            ...methodFields(js.values, load),
          };
        }
        yield* peerLines(ctx, root, orders);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
