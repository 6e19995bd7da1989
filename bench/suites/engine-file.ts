// engine-file: orders/s end to end from an NDJSON file (`run --source ndjson:FILE --symbols 8`:
// read, scan, durable WAL, books, trades file) against the same orders from the embedded
// pregenerated source in the same run (`engine-file:embedded`: no parsing at all), and the file
// source alone (`engine-file:source`: NdjsonCommandReader turning the file's lines into command
// slots, no ring, no engine). The file holds the embedded generator's own orders (same seed,
// symbols and accounts, written by commandToJson), so both runs must write the same trades file,
// byte for byte (`same_trades_as_embedded`). Each engine run is the median of three, alternated.
// The file lines use the native line scanner when @ringmatch/native is built; `engine-file:js` and
// `engine-file:source-js` are the same runs with the JS byte scanner, for the gain in the same run.
// Then the peer comparison on book-peer's single-symbol stream (bench/peer/stream.ts): ringmatch
// from that stream as NDJSON lines, end to end and durable (`engine-file:peer`), against
// exchange-core's whole pipeline (disruptor, risk and matching engines) with its journal on, fed
// the same commands pre-built (`engine-file:exchange-core`, bench/peer/exchange-core); both must
// make the same trades.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, syntheticSymbolTable } from '@ringmatch/protocol';
import { CommandStaging, Engine, NdjsonCommandReader, createNativeScanner, resolveJsonScanner, type EngineSummary } from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import type { BenchGroup } from '../types.js';
import { medianBy, round, runsText } from '../stats.js';
import { buildHarness, runHarness } from '../peer/harness.js';
import { writePeerNdjson, writePeerStream } from '../peer/stream.js';

const SEED = 1;
const SYMBOLS = 8;
const ACCOUNTS = 1000;
const RUNS = 3;
const PEER_SEED = 42;

interface PipelineRun {
  commands_per_s: number;
  trades: number;
  journal_bytes: number;
  gc_ms: number;
  jit_ms: number;
  cpu_ms: number;
  seconds: number;
}

/** ringmatch from the peer stream's NDJSON and exchange-core's journaled pipeline on the same commands. */
async function* peerLines(root: string, commands: number, log: (m: string) => void) {
  const stream = path.join(root, 'peer.stream');
  const ndjson = path.join(root, 'peer.ndjson');
  writePeerStream(stream, commands, PEER_SEED);
  writePeerNdjson(stream, ndjson);
  log(`engine-file: the book-peer stream (${commands} commands) end to end, ${RUNS} runs`);
  const ours: EngineSummary[] = [];
  for (let run = 0; run < RUNS; run++) ours.push(await engineRun(path.join(root, 'peer'), ['--source', `ndjson:${ndjson}`]));
  const f = medianBy(ours, (r) => r.ordersPerSecond);
  const failure = buildHarness();
  const base = {
    p50_us: null,
    p99_us: null,
    orders: commands,
    trades: f.trades,
    runs: runsText(ours.map((r) => r.ordersPerSecond)),
  };
  if (failure !== null) {
    yield { bench: 'engine-file:peer', ops_per_s: f.ordersPerSecond, ...base };
    yield { bench: 'engine-file:exchange-core', ops_per_s: null, p50_us: null, p99_us: null, skipped: failure };
    return;
  }
  log(`engine-file: exchange-core's pipeline, journal on, ${RUNS} runs`);
  const peers: PipelineRun[] = [];
  for (let run = 0; run < RUNS; run++) {
    const journal = fs.mkdtempSync(path.join(root, 'journal-'));
    // warm-up: the whole stream once through a discarded instance (JIT), then the measured run
    peers.push(runHarness<PipelineRun>('PipelinePeer', [stream, journal, 'journal', String(commands)]));
    fs.rmSync(journal, { recursive: true, force: true });
  }
  const p = medianBy(peers, (r) => r.commands_per_s);
  if (peers.some((r) => r.trades !== f.trades))
    throw new Error(`engine-file: exchange-core's pipeline made ${peers.map((r) => r.trades).join('/')} trades, ringmatch ${f.trades}`);
  yield {
    bench: 'engine-file:peer',
    ops_per_s: f.ordersPerSecond,
    ...base,
    same_trades: true,
    vs_exchange_core: round(f.ordersPerSecond / p.commands_per_s),
    wal_backend: f.walBackend,
  };
  yield {
    bench: 'engine-file:exchange-core',
    ops_per_s: round(p.commands_per_s, 0),
    p50_us: null,
    p99_us: null,
    orders: commands,
    trades: p.trades,
    runs: runsText(peers.map((r) => r.commands_per_s)),
    journal_mib: round(p.journal_bytes / 2 ** 20, 1),
    gc_ms: p.gc_ms,
    jit_ms: p.jit_ms,
    cpu_ms: p.cpu_ms,
  };
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

async function engineRun(dataDir: string, source: string[]): Promise<EngineSummary> {
  return new Engine(benchRunConfig(dataDir, ['--symbols', String(SYMBOLS), ...source]), { log: () => undefined }).run();
}

/** Lines per second of the file source alone: lines -> command slots, in batches as the engine reads them. */
async function sourceOnly(file: string, scanner: 'js' | 'native'): Promise<{ linesPerSecond: number; lines: number; commands: number }> {
  const symbols = syntheticSymbolTable(SYMBOLS);
  const staging = new CommandStaging(8192);
  const reader = new NdjsonCommandReader(file, symbols, scanner === 'native' ? await createNativeScanner(symbols) : null);
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
      const orders = ctx.quick ? 300_000 : 2_000_000;
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-engine-file-'));
      try {
        const file = path.join(root, 'orders.ndjson');
        const bytes = writeOrders(file, orders);
        const scanner = (await resolveJsonScanner('auto')).scanner;
        ctx.log(`engine-file: ${orders} orders, ${(bytes / 2 ** 20).toFixed(0)} MiB of NDJSON; the source alone (json scanner: ${scanner})`);
        const sources: Record<'js' | 'native', Awaited<ReturnType<typeof sourceOnly>>[]> = { js: [], native: [] };
        for (let run = 0; run < RUNS; run++) {
          for (const which of scanner === 'native' ? (['native', 'js'] as const) : (['js'] as const)) {
            const one = await sourceOnly(file, which);
            if (one.lines !== orders || one.commands !== orders)
              throw new Error(`file source (${which}) read ${one.lines} lines, ${one.commands} commands of ${orders}`);
            sources[which].push(one);
          }
        }
        const source = medianBy(sources[scanner], (s) => s.linesPerSecond);
        ctx.log(`engine-file: ${RUNS} runs each, file and embedded alternated`);
        const fromFile: EngineSummary[] = [];
        const fromFileJs: EngineSummary[] = [];
        const embedded: EngineSummary[] = [];
        const embeddedTrades = (): Buffer => fs.readFileSync(path.join(root, 'embedded', 'trades.ndjson'));
        for (let run = 0; run < RUNS; run++) {
          fromFile.push(await engineRun(path.join(root, 'file'), ['--source', `ndjson:${file}`, '--json-scanner', scanner]));
          const fileTrades = fs.readFileSync(path.join(root, 'file', 'trades.ndjson'));
          embedded.push(await engineRun(path.join(root, 'embedded'), ['--orders', String(orders), '--pregenerate']));
          if (!fileTrades.equals(embeddedTrades())) throw new Error(`engine-file: run ${run}: the file's trades differ from the embedded source's`);
          if (scanner === 'native') {
            fromFileJs.push(await engineRun(path.join(root, 'file-js'), ['--source', `ndjson:${file}`, '--json-scanner', 'js']));
            if (!fs.readFileSync(path.join(root, 'file-js', 'trades.ndjson')).equals(embeddedTrades()))
              throw new Error(`engine-file: run ${run}: the JS scanner's trades differ from the embedded source's`);
          }
        }
        const f = medianBy(fromFile, (s) => s.ordersPerSecond);
        const e = medianBy(embedded, (s) => s.ordersPerSecond);
        yield {
          bench: 'engine-file',
          ops_per_s: f.ordersPerSecond,
          p50_us: null,
          p99_us: null,
          orders,
          file_mib: round(bytes / 2 ** 20, 1),
          runs: runsText(fromFile.map((s) => s.ordersPerSecond)),
          trades: f.trades,
          same_trades_as_embedded: true,
          wal_backend: f.walBackend,
          json_scanner: scanner,
          vs_embedded: round(f.ordersPerSecond / e.ordersPerSecond),
          load_avg_1m: round(os.loadavg()[0]!, 2),
        };
        yield {
          bench: 'engine-file:embedded',
          ops_per_s: e.ordersPerSecond,
          p50_us: null,
          p99_us: null,
          orders,
          runs: runsText(embedded.map((s) => s.ordersPerSecond)),
          trades: e.trades,
        };
        if (fromFileJs.length > 0) {
          const j = medianBy(fromFileJs, (s) => s.ordersPerSecond);
          yield {
            bench: 'engine-file:js',
            ops_per_s: j.ordersPerSecond,
            p50_us: null,
            p99_us: null,
            orders,
            runs: runsText(fromFileJs.map((s) => s.ordersPerSecond)),
            json_scanner: 'js',
            vs_embedded: round(j.ordersPerSecond / e.ordersPerSecond),
            native_vs_js: round(f.ordersPerSecond / j.ordersPerSecond),
          };
        }
        yield {
          bench: 'engine-file:source',
          ops_per_s: round(source.linesPerSecond, 0),
          p50_us: null,
          p99_us: null,
          lines: source.lines,
          runs: runsText(sources[scanner].map((s) => s.linesPerSecond)),
          json_scanner: scanner,
          unit: 'lines/s into command slots',
        };
        if (sources.js.length > 0 && scanner === 'native') {
          const js = medianBy(sources.js, (s) => s.linesPerSecond);
          yield {
            bench: 'engine-file:source-js',
            ops_per_s: round(js.linesPerSecond, 0),
            p50_us: null,
            p99_us: null,
            lines: js.lines,
            runs: runsText(sources.js.map((s) => s.linesPerSecond)),
            json_scanner: 'js',
            native_vs_js: round(source.linesPerSecond / js.linesPerSecond),
            unit: 'lines/s into command slots',
          };
        }
        yield* peerLines(root, ctx.quick ? 300_000 : orders, ctx.log);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
