// The channel baseline engine: generator -> journaler (WAL, group commit) -> matcher -> piscina
// formatter -> trades file, every hop a postMessage of a transferred batch, with credit-based flow
// control (no unbounded queue). Fresh runs only: it exists to be benchmarked against the ring.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import hdr from 'hdr-histogram-js';
import { Publisher, createKafka, ensureTopics } from '@ringmatch/kafka';
import type { ChannelRole, OutputBatch } from './worker.js';
import type { FormattedOutputs } from './format.js';
import { PACK_MAX, packOutputs, reportsTopic, tradesTopic } from '@ringmatch/engine';

/**
 * Kafka source and sink for the channel baseline (bench `engine-kafka:channel`): orders from
 * `topic` (the engine's OrderSource, its own group, from the earliest offset, `messages` of them),
 * trades and reports published like the engine's Kafka sink (packed, idempotent) to
 * `<outputPrefix>.trades` / `<outputPrefix>.reports` (created; fresh topics expected).
 */
export interface ChannelKafkaOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  format?: 'json' | 'binary';
  messages: number;
  outputPrefix: string;
}

export interface ChannelRunOptions {
  dataDir: string;
  orders: number;
  seed: number;
  symbols: number;
  accounts: number;
  backend: 'auto' | 'fs' | 'native';
  /** Orders per second (0: unthrottled). */
  rate?: number;
  /** Generate every order before the clock starts (as `ringmatch run --pregenerate`). */
  pregenerate?: boolean;
  /** Commands per message. */
  batch?: number;
  /** In-flight commands allowed (the ring engine's ring size, for a like-for-like bound). */
  inflight?: number;
  timeoutMs?: number;
  /** Read orders from Kafka and publish outputs to Kafka instead of the generator and the file. */
  kafka?: ChannelKafkaOptions;
}

export interface ChannelRunResult {
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  /** From the first output batch to the end (excludes start-up, e.g. the Kafka group join). */
  steadySeconds: number;
  trades: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  tradesFile: string;
}

export async function runChannelEngine(options: ChannelRunOptions): Promise<ChannelRunResult> {
  const batch = options.batch ?? 1024;
  const window = Math.max(1, Math.floor((options.inflight ?? 65_536) / batch));
  fs.rmSync(options.dataDir, { recursive: true, force: true });
  fs.mkdirSync(options.dataDir, { recursive: true });
  const tradesFile = path.join(options.dataDir, 'trades.ndjson');
  const fd = fs.openSync(tradesFile, 'w');
  const toJournaler = new MessageChannel();
  const toMatcher = new MessageChannel();
  const toMain = new MessageChannel();
  const credits = new MessageChannel();
  const url = new URL('./worker.js', import.meta.url);
  const spawn = (role: ChannelRole, transfer: MessagePort[]): Worker => new Worker(url, { workerData: role, transferList: transfer });
  const kafkaOptions = options.kafka;
  let publisher: Publisher | null = null;
  if (kafkaOptions) {
    const kafka = createKafka({ brokers: kafkaOptions.brokers, clientId: 'ringmatch-channel-publisher' });
    const topics = [tradesTopic(kafkaOptions.outputPrefix), reportsTopic(kafkaOptions.outputPrefix)];
    await ensureTopics(
      kafka,
      topics.map((topic) => ({ topic, partitions: 1 })),
      { timeoutMs: 30_000 },
    );
    publisher = new Publisher(kafka, { topics, pack: packOutputs, packMax: PACK_MAX, maxBatchRecords: 8192, maxPartitionRecords: 1536, skipResumePoint: true });
    await publisher.connect();
  }
  const symbolsForTables = kafkaOptions ? 0 : options.symbols;
  const started = performance.now();
  const source = kafkaOptions
    ? spawn(
        {
          role: 'kafka-poller',
          out: toJournaler.port1,
          credits: credits.port2,
          brokers: kafkaOptions.brokers,
          topic: kafkaOptions.topic,
          groupId: kafkaOptions.groupId,
          format: kafkaOptions.format ?? 'json',
          messages: kafkaOptions.messages,
          batch,
          window,
        },
        [toJournaler.port1, credits.port2],
      )
    : spawn(
        {
          role: 'poller',
          out: toJournaler.port1,
          credits: credits.port2,
          orders: options.orders,
          rate: options.rate ?? 0,
          pregenerate: options.pregenerate ?? false,
          seed: options.seed,
          symbols: options.symbols,
          accounts: options.accounts,
          batch,
          window,
        },
        [toJournaler.port1, credits.port2],
      );
  const workers = [
    spawn(
      { role: 'journaler', in: toJournaler.port2, out: toMatcher.port1, walDir: path.join(options.dataDir, 'wal'), backend: options.backend, maxCoalesce: 64 },
      [toJournaler.port2, toMatcher.port1],
    ),
    // Reports leave the matcher only when something publishes them (Kafka), as in the ring engine.
    spawn({ role: 'matcher', in: toMatcher.port2, out: toMain.port1, symbols: symbolsForTables, sampleEvery: 64, emitReports: kafkaOptions !== undefined }, [
      toMatcher.port2,
      toMain.port1,
    ]),
    source,
  ];
  let firstSendAt = 0;
  let finishedAt = 0;
  workers[2]!.on('message', (m: { firstSendAt?: number }) => {
    if (m.firstSendAt) firstSendAt = m.firstSendAt;
  });
  const pool = new Piscina({ filename: new URL('./format.js', import.meta.url).href, minThreads: 1, maxThreads: 1 });
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
  let trades = 0;
  let written = Promise.resolve();
  let doneLast = 0;
  let firstOutputAt = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`channel engine did not finish within ${options.timeoutMs ?? 600_000} ms`)),
        options.timeoutMs ?? 600_000,
      );
      for (const w of workers)
        w.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      toMain.port2.on('message', (message: OutputBatch | { done: true; last: number }) => {
        if ('done' in message) {
          doneLast = message.last;
          written
            .then(() => publisher?.flush())
            .then(() => {
              clearTimeout(timer);
              finishedAt = performance.timeOrigin + performance.now();
              resolve();
            }, reject);
          return;
        }
        if (firstOutputAt === 0) firstOutputAt = performance.now();
        for (const ns of message.latencyNs) latency.recordValue(Math.max(1, Math.round(ns)));
        if (publisher) {
          // Kafka: format on the pool, publish in order (packed), then give the poller its credit back.
          const records = pool.run(
            { bytes: message.bytes, count: message.count, symbols: 0 },
            { name: 'formatOutputRecords', transferList: [message.bytes] },
          ) as Promise<FormattedOutputs>;
          const out = [tradesTopic(kafkaOptions!.outputPrefix), reportsTopic(kafkaOptions!.outputPrefix)];
          written = written.then(async () => {
            const r = await records;
            for (let i = 0; i < r.values.length; i++) {
              publisher!.publish({ topic: out[r.kinds[i]!]!, key: r.keys[i]!, value: r.values[i]!, seq: r.seqs[i]!, idx: r.idx[i]! });
              if (r.kinds[i] === 0) trades++;
            }
            if (publisher!.pending > 65_536) await publisher!.flush();
            credits.port1.postMessage(1);
          });
          written.catch(reject);
          return;
        }
        // Format on the pool, write in order, then give the poller its credit back.
        const formatted = pool.run(
          { bytes: message.bytes, count: message.count, symbols: options.symbols, reports: false },
          { transferList: [message.bytes] },
        ) as Promise<string>;
        written = written.then(async () => {
          const text = await formatted;
          if (text.length > 0) {
            fs.writeSync(fd, text);
            for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) trades++;
          }
          credits.port1.postMessage(1);
        });
        written.catch(reject);
      });
    });
  } finally {
    fs.closeSync(fd);
    toMain.port2.close();
    credits.port1.close();
    await Promise.all(workers.map((w) => w.terminate()));
    await pool.destroy();
    await publisher?.close().catch(() => undefined);
  }
  // From the first send (worker start-up and pregeneration are not the pipeline's throughput).
  const endedAt = finishedAt || performance.timeOrigin + performance.now();
  const startedAt = firstSendAt > 0 ? firstSendAt : performance.timeOrigin + started;
  const seconds = (endedAt - startedAt) / 1000;
  const steadySeconds = firstOutputAt > 0 ? (endedAt - performance.timeOrigin - firstOutputAt) / 1000 : seconds;
  const us = (p: number): number | null => (latency.totalCount ? Math.round(latency.getValueAtPercentile(p) / 100) / 10 : null);
  const orders = kafkaOptions ? doneLast : options.orders;
  return { orders, seconds, steadySeconds, ordersPerSecond: Math.round(orders / seconds), trades, latencyP50Us: us(50), latencyP99Us: us(99), tradesFile };
}
