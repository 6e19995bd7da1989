// Poller worker: reads orders from the embedded generator or an NDJSON file, assigns each an engine
// sequence by claiming a command-ring slot, writes the command and publishes the batch.
// Malformed input becomes an Invalid command in sequence (the matcher rejects it with a reason).
import { parentPort, workerData } from 'node:worker_threads';
import { HALTED, INSUFFICIENT_CAPACITY, RingBuffer } from '@ringmatch/ring';
import { CommandKind, createCommand, decodeMessageLenient, writeCommand, type Command } from '@ringmatch/protocol';
import { OrderFlowGenerator } from '@ringmatch/book';
import type { SourceConfig } from '../config.js';
import { LineReader } from '../line-reader.js';
import { Stat } from '../stats.js';
import { Control, fatal, nowMs, symbolTableFor, type SharedState } from '../shared.js';

export interface PollerData {
  shared: SharedState;
  source: SourceConfig;
  /** Orders per second (0: unthrottled). */
  rate: number;
  /** Where to resume: the last source offset journaled (-1: none) and how many commands of that offset are in the WAL. */
  resume: { lastOffset: number; commandsAtLastOffset: number };
}

/** Embedded and file sources are one "partition" 0; the offset is the generator index / line number. */
const SOURCE_PARTITION = 0;
const BATCH = 256;

const data = workerData as PollerData;
const ring = RingBuffer.attach(data.shared.commandRing);
const sequencer = ring.sequencer();
const bytes = ring.bytes;
const stats = new Float64Array(data.shared.stats);
const control = new Int32Array(data.shared.control);
const stamps = new Float64Array(data.shared.stamps);
const stampMask = stamps.length - 1;
const symbols = symbolTableFor(data.source);

let published = ring.published();
const startMs = nowMs();
let sent = 0;

function stopRequested(): boolean {
  return Atomics.load(control, Control.stopSource) !== 0;
}

/** Sleeps just enough to keep to the configured rate (integer math on counts, ms waits). */
function throttle(): void {
  if (data.rate <= 0) return;
  const aheadMs = (sent * 1000) / data.rate - (nowMs() - startMs);
  if (aheadMs > 1) Atomics.wait(control, 31, 0, Math.min(aheadMs, 100));
}

/** Claims `n` slots, counting a stall when the ring is full (backpressure). Returns lo, or -1 when halted. */
function claim(n: number): number {
  let hi = sequencer.tryNext(n);
  if (hi === INSUFFICIENT_CAPACITY) {
    stats[Stat.sourceStalls]!++;
    do {
      hi = sequencer.next(n, 250);
      if (stopRequested() && hi < 0) return -1;
    } while (hi < 0 && hi !== HALTED);
  }
  if (hi < 0) return -1;
  return hi - n + 1;
}

function publish(lo: number, hi: number): void {
  const t = nowMs();
  for (let s = lo; s <= hi; s++) stamps[s & stampMask] = t;
  sequencer.publish(lo, hi);
  published = hi;
  stats[Stat.published] = hi;
  sent += hi - lo + 1;
}

function runEmbedded(source: Extract<SourceConfig, { kind: 'embedded' }>): void {
  const generator = new OrderFlowGenerator({ seed: source.seed, symbols, accounts: source.accounts });
  const cmd = createCommand();
  let index = data.resume.lastOffset + 1;
  // The generator is a pure function of (seed, index): replay it to where the WAL ends.
  for (let i = 0; i < index; i++) generator.next(cmd);
  const total = source.orders === 0 ? Number.MAX_SAFE_INTEGER : source.orders;
  while (index < total && !stopRequested()) {
    const n = Math.min(BATCH, total - index);
    const lo = claim(n);
    if (lo < 0) break;
    const hi = lo + n - 1;
    for (let s = lo; s <= hi; s++) {
      generator.next(cmd);
      cmd.seq = s;
      cmd.partition = SOURCE_PARTITION;
      cmd.offset = index++;
      writeCommand(bytes, ring.offsetOf(s), cmd);
    }
    publish(lo, hi);
    stats[Stat.inputMessages] = index;
    throttle();
  }
}

function runNdjson(source: Extract<SourceConfig, { kind: 'ndjson' }>): void {
  const reader = new LineReader(source.file);
  const pending: Command[] = [];
  let skipFirst = 0;
  if (data.resume.lastOffset >= 0) {
    // Resume inside the last journaled line if only part of its batch reached the WAL.
    reader.skipTo(data.resume.lastOffset);
    skipFirst = data.resume.commandsAtLastOffset;
  }
  const encoder = new TextEncoder();
  let eof = false;
  while (!eof && !stopRequested()) {
    while (pending.length < BATCH) {
      const lineNumber = reader.lineNumber;
      const line = reader.next();
      if (line === null) {
        eof = true;
        break;
      }
      stats[Stat.inputMessages]!++;
      if (line.trim() === '') continue; // blank lines carry no order
      let commands = decodeMessageLenient(encoder.encode(line), 'json', { symbols, partition: SOURCE_PARTITION, offset: lineNumber });
      if (lineNumber === data.resume.lastOffset) {
        // Fully journaled already (or partly): skip what the WAL has.
        commands = commands.slice(skipFirst);
      }
      for (const c of commands) {
        if (c.kind === CommandKind.Invalid) stats[Stat.malformed]!++;
        pending.push(c);
      }
    }
    let i = 0;
    while (i < pending.length) {
      const n = Math.min(BATCH, pending.length - i);
      const lo = claim(n);
      if (lo < 0) return;
      for (let k = 0; k < n; k++) {
        const c = pending[i + k]!;
        c.seq = lo + k;
        writeCommand(bytes, ring.offsetOf(lo + k), c);
      }
      publish(lo, lo + n - 1);
      i += n;
      throttle();
    }
    pending.length = 0;
  }
  reader.close();
}

try {
  if (data.source.kind === 'embedded') runEmbedded(data.source);
  else if (data.source.kind === 'ndjson') runNdjson(data.source);
  else throw new Error(`the poller worker does not handle source ${data.source.kind}`);
  stats[Stat.sourceDone] = 1;
  parentPort!.postMessage({ type: 'source-done', published });
} catch (error) {
  fatal(error, { published });
}
