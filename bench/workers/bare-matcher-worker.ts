// Worker of bench `engine-embedded:matcher`: matches a pregenerated command stream on this one
// thread, a fresh isolate like the engine's matcher worker (the generator's heap stays on the
// thread that pregenerated). The matcher worker's calls (readCommand from the slot,
// MatchingEngine.process) into TradeLines; the clock covers only that loop. Posts the time, the
// counts and the trades bytes (transferred).
import { parentPort, workerData } from 'node:worker_threads';
import { MatchingEngine } from '@ringmatch/book';
import { COMMAND_SLOT_BYTES, createCommand, readCommand, syntheticSymbolTable } from '@ringmatch/protocol';
import { TradeLines } from '../trade-lines.js';

export interface BareMatcherInput {
  /** `count` command slots, sequence 1 first. */
  slots: Uint8Array;
  count: number;
  /** Synthetic symbol table size (the embedded source's --symbols). */
  symbols: number;
}

export interface BareMatcherOutput {
  seconds: number;
  trades: number;
  reports: number;
  /** The trades file's bytes, in order. */
  chunks: Uint8Array[];
}

const { slots, count, symbols: symbolCount } = workerData as BareMatcherInput;
const symbols = syntheticSymbolTable(symbolCount);
const engine = new MatchingEngine({ symbols });
const lines = new TradeLines(symbols);
const cmd = createCommand();
const started = performance.now();
for (let k = 0; k < count; k++) {
  readCommand(slots, k * COMMAND_SLOT_BYTES, cmd);
  engine.process(cmd, lines);
}
const seconds = (performance.now() - started) / 1000;
const chunks = lines.chunks();
const output: BareMatcherOutput = { seconds, trades: lines.trades, reports: lines.reports, chunks };
parentPort!.postMessage(output, [...new Set(chunks.map((c) => c.buffer as ArrayBuffer))]);
