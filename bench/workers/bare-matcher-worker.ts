// Worker of bench `engine-embedded:matcher`: matches a pregenerated command stream on this one
// thread, a fresh isolate like the engine's matcher worker (the generator's heap stays on the
// thread that pregenerated), with the book the engine uses. The JS book: the matcher worker's
// calls (readCommand from the slot, MatchingEngine.process) into TradeLines. The native book:
// batches of slots into output slots, each trade read back into TradeLines. The clock covers only
// that loop. Posts the time, the counts and the trades bytes (transferred).
import { parentPort, workerData } from 'node:worker_threads';
import { MatchingEngine } from '@ringmatch/book';
import { createNativeBook } from '@ringmatch/engine';
import {
  COMMAND_SLOT_BYTES,
  OUTPUT_SLOT_BYTES,
  OutputKind,
  OutputSlot,
  createCommand,
  createTrade,
  readCommand,
  readTrade,
  syntheticSymbolTable,
} from '@ringmatch/protocol';
import { TradeLines } from '../trade-lines.js';

export interface BareMatcherInput {
  /** `count` command slots, sequence 1 first. */
  slots: Uint8Array;
  count: number;
  /** Synthetic symbol table size (the embedded source's --symbols). */
  symbols: number;
  /** The engine's book under --book auto. */
  book: 'js' | 'native';
}

export interface BareMatcherOutput {
  seconds: number;
  trades: number;
  reports: number;
  /** The trades file's bytes, in order. */
  chunks: Uint8Array[];
}

const { slots, count, symbols: symbolCount, book } = workerData as BareMatcherInput;
const symbols = syntheticSymbolTable(symbolCount);
const lines = new TradeLines(symbols);
/** Native: commands a call and output slots (the engine's output ring size). */
const BATCH = 4096;
const OUT_SLOTS = 1 << 16;

function matchJs(): number {
  const engine = new MatchingEngine({ symbols });
  const cmd = createCommand();
  const started = performance.now();
  for (let k = 0; k < count; k++) {
    readCommand(slots, k * COMMAND_SLOT_BYTES, cmd);
    engine.process(cmd, lines);
  }
  return (performance.now() - started) / 1000;
}

async function matchNative(): Promise<number> {
  const { book: native, why } = await createNativeBook(symbols);
  if (native === null) throw new Error(`bare matcher: the native book does not load: ${why}`);
  native.emitReports = false; // as the engine without --reports: reports counted, not written
  const out = new Uint8Array(OUT_SLOTS * OUTPUT_SLOT_BYTES);
  const progress = new Float64Array(5);
  const trade = createTrade();
  const take = (n: number) => {
    for (let i = 0; i < n; i++)
      if (out[i * OUTPUT_SLOT_BYTES + OutputSlot.kind] === OutputKind.Trade) lines.onTrade(readTrade(out, i * OUTPUT_SLOT_BYTES, trade));
  };
  const started = performance.now();
  for (let done = 0; done < count; ) {
    done += native.process(slots, done, Math.min(BATCH, count - done), out, 0, OUT_SLOTS, progress);
    take(progress[0]!);
    while (native.waiting > 0) take(native.drain(out, 0, OUT_SLOTS));
  }
  const seconds = (performance.now() - started) / 1000;
  const counts = new Float64Array(3);
  native.readOutputCounts(counts);
  lines.reports = counts[0]!;
  lines.rejected = counts[1]!;
  return seconds;
}

const seconds = book === 'native' ? await matchNative() : matchJs();
const chunks = lines.chunks();
const output: BareMatcherOutput = { seconds, trades: lines.trades, reports: lines.reports, chunks };
parentPort!.postMessage(output, [...new Set(chunks.map((c) => c.buffer as ArrayBuffer))]);
