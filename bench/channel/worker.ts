// Stages of the channel baseline engine: the same generator, WAL, books and sinks as the ring
// engine, but linked the conventional way, by postMessage of transferred ArrayBuffer batches:
// poller -> journaler -> matcher -> sink (a piscina pool the matcher owns). It exists to be
// measured against (bench `engine-embedded:channel`, `engine-kafka:channel`), so every stage is
// tuned as far as the channel design allows: no copy between stages (buffers are transferred, and
// handed back for reuse with the credits), the WAL written from the batches' own buffers, two
// group commits in flight, and the same encoders and sinks as the ring engine.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import hdr from 'hdr-histogram-js';
import {
  COMMAND_SLOT_BYTES,
  OUTPUT_SLOT_BYTES,
  createCommand,
  defaultSymbolTable,
  readCommand,
  syntheticSymbolTable,
  writeCommand,
  writeReport,
  writeTrade,
  type ExecutionReport,
  type Trade,
} from '@ringmatch/protocol';
import { MatchingEngine, OrderFlowGenerator, type BookSink } from '@ringmatch/book';
import { createNativeBook, nowMs, type NativeBookHandle, type SourceConfig } from '@ringmatch/engine';
import { openWal, type Wal } from '@ringmatch/wal';
import type { KafkaPollerRole } from './kafka-poller.js';
import { creditGate, type CommandBatch, type EndOfInput, type MatcherDone } from './messages.js';
import type { SinkClosed, SinkTask } from './sink.js';

export type ChannelRole =
  | {
      role: 'poller';
      out: MessagePort;
      credits: MessagePort;
      orders: number;
      rate: number;
      pregenerate: boolean;
      seed: number;
      symbols: number;
      accounts: number;
      batch: number;
      window: number;
    }
  | { role: 'journaler'; in: MessagePort; out: MessagePort; walDir: string; backend: 'auto' | 'fs' | 'native'; maxCoalesce: number }
  | {
      role: 'matcher';
      in: MessagePort;
      /** To the main thread: the end of the run and its figures (MatcherDone). */
      out: MessagePort;
      /** To the poller: a credit (with the command batch's buffer) once a batch's outputs are written. */
      credits: MessagePort;
      symbols: number;
      sampleEvery: number;
      emitReports: boolean;
      /** The ring engine's book under --book auto: native when it loads. */
      book: 'js' | 'native';
      /** The ring engine's sink for this source: files in outputDir, or Kafka topics. */
      sink: { source: SourceConfig; outputDir: string; jsonWriter: 'js' | 'native' };
    }
  | KafkaPollerRole;

const data = workerData as ChannelRole;

async function poller(d: Extract<ChannelRole, { role: 'poller' }>): Promise<void> {
  const generator = new OrderFlowGenerator({ seed: d.seed, symbols: syntheticSymbolTable(d.symbols), accounts: d.accounts });
  const cmd = createCommand();
  const gate = creditGate(d.credits, d.window);
  let seq = 1;
  let generated = 0;
  const generate = (): Uint8Array => {
    const count = Math.min(d.batch, d.orders - generated);
    const bytes = d.pregenerate ? new Uint8Array(count * COMMAND_SLOT_BYTES) : gate.buffer(count * COMMAND_SLOT_BYTES);
    for (let k = 0; k < count; k++) {
      generator.next(cmd);
      cmd.seq = seq++;
      cmd.sourceStream = 0;
      cmd.sourcePosition = generated++;
      writeCommand(bytes, k * COMMAND_SLOT_BYTES, cmd);
    }
    return bytes;
  };
  // --pregenerate, as in the ring engine: the clock measures the pipeline, not the generator.
  const ready: Uint8Array[] = [];
  if (d.pregenerate) while (generated < d.orders) ready.push(generate());
  parentPort!.postMessage({ firstSendAt: nowMs() });
  const started = nowMs();
  let first = 1;
  for (let sent = 0; sent < d.orders; ) {
    if (d.rate > 0) {
      const aheadMs = (sent * 1000) / d.rate - (nowMs() - started);
      if (aheadMs > 1) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    }
    await gate.take();
    const bytes = d.pregenerate ? ready.shift()! : generate();
    const count = bytes.length / COMMAND_SLOT_BYTES;
    const batch: CommandBatch = { first, count, t: nowMs(), bytes: bytes.buffer as ArrayBuffer };
    d.out.postMessage(batch, [batch.bytes]);
    first += count;
    sent += count;
  }
  const end: EndOfInput = { done: true, last: seq - 1 };
  d.out.postMessage(end);
  d.credits.close();
}

/**
 * Group commit as the ring's journaler does it: what is queued (up to maxCoalesce batches) goes
 * out as one WAL frame, written straight from the batches' own buffers (appendRecordParts: one
 * writev + one fdatasync, no copy), with up to two frames in flight (the WAL's double buffering);
 * each batch goes on to the matcher once its frame is durable.
 */
async function journaler(d: Extract<ChannelRole, { role: 'journaler' }>): Promise<void> {
  const wal: Wal = await openWal(d.walDir, { backend: d.backend });
  const queue: CommandBatch[] = [];
  let end: EndOfInput | null = null;
  let inFlight = 0;
  let frames = 0;
  let closing = false;
  const fail = (error: unknown): void => {
    setImmediate(() => {
      throw error;
    });
  };
  const pump = (): void => {
    while (queue.length > 0 && inFlight < 2) {
      const group = queue.splice(0, Math.min(queue.length, d.maxCoalesce));
      const parts = group.map((b) => new Uint8Array(b.bytes, 0, b.count * COMMAND_SLOT_BYTES));
      inFlight++;
      frames++;
      wal.appendRecordParts(group[0]!.first, COMMAND_SLOT_BYTES, parts).then(() => {
        inFlight--;
        for (const b of group) d.out.postMessage(b, [b.bytes]);
        pump();
      }, fail);
    }
    if (end !== null && queue.length === 0 && inFlight === 0 && !closing) {
      closing = true;
      const last: EndOfInput = { ...end, walFrames: frames };
      wal.close().then(() => {
        d.out.postMessage(last);
        d.in.close();
      }, fail);
    }
  };
  d.in.on('message', (message: CommandBatch | EndOfInput) => {
    if ('done' in message) end = message;
    else queue.push(message);
    pump();
  });
}

/**
 * The books' outputs as output slots in a buffer that is handed to the sink whole (transferred:
 * no copy, unlike a staging buffer copied per batch) and comes back with the sink's result.
 */
class TransferredOutputs implements BookSink {
  bytes: Uint8Array;
  staged = 0;
  trades = 0;
  reports = 0;
  private readonly spare: ArrayBuffer[] = [];

  /** `emitReports: false` counts reports without writing them (nobody downstream reads them). */
  constructor(
    private readonly emitReports: boolean,
    private readonly slots = 4096,
  ) {
    this.bytes = new Uint8Array(OUTPUT_SLOT_BYTES * slots);
  }

  onReport(report: ExecutionReport): void {
    this.reports++;
    if (!this.emitReports) return;
    writeReport(this.room(), this.staged++ * OUTPUT_SLOT_BYTES, report);
  }

  onTrade(trade: Trade): void {
    this.trades++;
    writeTrade(this.room(), this.staged++ * OUTPUT_SLOT_BYTES, trade);
  }

  private room(): Uint8Array {
    if ((this.staged + 1) * OUTPUT_SLOT_BYTES > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    return this.bytes;
  }

  /**
   * The native book's way in: `count` command slots of `commands` from slot `from` on, their
   * outputs written by the book straight into this buffer (grown while the book needs room).
   */
  matchNative(book: NativeBookHandle, commands: Uint8Array, from: number, count: number): void {
    const progress = this.progress;
    let done = 0;
    while (done < count || book.waiting > 0) {
      if ((this.staged + 1024) * OUTPUT_SLOT_BYTES > this.bytes.length) {
        const bigger = new Uint8Array(this.bytes.length * 2);
        bigger.set(this.bytes.subarray(0, this.staged * OUTPUT_SLOT_BYTES));
        this.bytes = bigger;
      }
      const room = this.bytes.length / OUTPUT_SLOT_BYTES - this.staged;
      if (book.waiting > 0) this.staged += book.drain(this.bytes, this.staged, room);
      else {
        done += book.process(commands, from + done, count - done, this.bytes, this.staged, room, progress);
        this.staged += progress[0]!;
      }
    }
  }

  private readonly progress = new Float64Array(5);

  /** The staged slots' buffer, to transfer; staging goes on in a fresh (or returned) one. */
  take(): ArrayBuffer {
    const buffer = this.bytes.buffer as ArrayBuffer;
    const spare = this.spare.pop();
    this.bytes = spare ? new Uint8Array(spare) : new Uint8Array(OUTPUT_SLOT_BYTES * this.slots);
    this.staged = 0;
    return buffer;
  }

  /** A buffer back from the sink. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === OUTPUT_SLOT_BYTES * this.slots && this.spare.length < 64) this.spare.push(buffer);
  }
}

async function matcher(d: Extract<ChannelRole, { role: 'matcher' }>): Promise<void> {
  const symbols = d.symbols > 0 ? syntheticSymbolTable(d.symbols) : defaultSymbolTable();
  const engine = new MatchingEngine({ symbols });
  const native = d.book === 'native' ? (await createNativeBook(symbols)).book : null;
  if (d.book === 'native' && native === null) throw new Error('channel matcher: the native book does not load');
  if (native) native.emitReports = d.emitReports;
  const cmd = createCommand();
  // As in the ring engine: only what the sink writes (trades to a file; trades and reports to Kafka) leaves the matcher.
  const outputs = new TransferredOutputs(d.emitReports);
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
  // The sink stage: a piscina pool of one thread (the sink is stateful and ordered), owned by this
  // thread, so output batches go matcher -> sink in one hop. Atomics-parked between tasks only
  // when the sink has no I/O of its own between them (files); the Kafka publisher's requests
  // and acknowledgements need the worker's event loop.
  const pool = new Piscina({
    filename: new URL('./sink.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
    concurrentTasksPerWorker: 1 << 16,
    useAtomics: d.sink.source.kind !== 'kafka',
  });
  const sink = (task: SinkTask, transferList?: ArrayBuffer[]): Promise<unknown> => pool.run(task, { transferList });
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    setImmediate(() => {
      throw error;
    });
  };
  sink({ op: 'open', ...d.sink }).catch(fail);
  d.in.on('message', (message: CommandBatch | EndOfInput) => {
    if ('done' in message) {
      const matchedAt = performance.timeOrigin + performance.now();
      d.in.close();
      (sink({ op: 'close' }) as Promise<SinkClosed>).then(async (closed) => {
        const us = (p: number): number | null => (latency.totalCount ? Math.round(latency.getValueAtPercentile(p) / 100) / 10 : null);
        const done: MatcherDone = {
          done: true,
          last: message.last,
          trades: closed.trades,
          walFrames: message.walFrames ?? 0,
          matchedAt,
          durableAt: closed.durableAt,
          latencyP50Us: us(50),
          latencyP99Us: us(99),
        };
        await pool.destroy();
        d.credits.close();
        d.out.postMessage(done);
      }, fail);
      return;
    }
    const bytes = new Uint8Array(message.bytes);
    if (native) {
      // runs end at sampled sequences, so each sample is taken right after its command, as below
      for (let k = 0; k < message.count; ) {
        const seq = message.first + k;
        const run = Math.min(message.count - k, ((d.sampleEvery - (seq % d.sampleEvery)) % d.sampleEvery) + 1);
        outputs.matchNative(native, bytes, k, run);
        k += run;
        if ((seq + run - 1) % d.sampleEvery === 0) latency.recordValue(Math.max(1, Math.round((nowMs() - message.t) * 1e6)));
      }
    } else
      for (let k = 0; k < message.count; k++) {
        readCommand(bytes, k * COMMAND_SLOT_BYTES, cmd);
        engine.process(cmd, outputs);
        if (cmd.seq % d.sampleEvery === 0) latency.recordValue(Math.max(1, Math.round((nowMs() - message.t) * 1e6)));
      }
    const count = outputs.staged;
    const out = outputs.take();
    sink({ op: 'batch', bytes: out, count, lastSeq: message.first + message.count - 1 }, [out]).then((returned) => {
      outputs.recycle(returned as ArrayBuffer);
      // The batch's outputs are with the sink: the poller may send another, in this buffer.
      d.credits.postMessage(message.bytes, [message.bytes]);
    }, fail);
  });
}

if (data.role === 'poller') await poller(data);
else if (data.role === 'kafka-poller') await (await import('./kafka-poller.js')).kafkaPoller(data);
else if (data.role === 'journaler') await journaler(data);
else await matcher(data);
