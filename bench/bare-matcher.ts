// Bare matching, the limit the durable pipeline is measured against (bench
// `engine-embedded:matcher`): the order stream of a `run --pregenerate` config, pregenerated on
// the calling thread before the clock starts, then matched on ONE worker thread with the matcher
// worker's calls and the book it uses under --book auto, each trade encoded as the file sink writes
// it, into memory. No ring, no WAL, no file, no other stage (workers/bare-matcher-worker.ts).
import { Worker } from 'node:worker_threads';
import { resolveBook, type RunConfig } from '@ringmatch/engine';
import { pregenerateOrders } from './pregenerated-orders.js';
import type { BareMatcherInput, BareMatcherOutput } from './workers/bare-matcher-worker.js';

export interface BareMatcherResult {
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  trades: number;
  reports: number;
  /** The book that matched: the engine's under --book auto. */
  book: 'js' | 'native';
  /** The trades file's bytes, as the engine's file sink would write them. */
  chunks: Uint8Array[];
  tradesBytes: number;
}

const WORKER = new URL('./workers/bare-matcher-worker.js', import.meta.url);

export async function runBareMatcher(config: RunConfig): Promise<BareMatcherResult> {
  if (config.source.kind !== 'embedded') throw new Error('runBareMatcher needs an embedded source');
  const { slots, count } = pregenerateOrders(config);
  const { book } = await resolveBook('auto');
  const input: BareMatcherInput = { slots, count, symbols: config.source.symbols, book };
  const worker = new Worker(WORKER, { workerData: input, transferList: [slots.buffer as ArrayBuffer] });
  try {
    const out = await new Promise<BareMatcherOutput>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`bare matcher worker exited (${code}) before reporting`)));
    });
    const tradesBytes = out.chunks.reduce((n, c) => n + c.length, 0);
    return {
      orders: count,
      seconds: out.seconds,
      ordersPerSecond: Math.round(count / out.seconds),
      trades: out.trades,
      reports: out.reports,
      book,
      chunks: out.chunks,
      tradesBytes,
    };
  } finally {
    await worker.terminate();
  }
}
