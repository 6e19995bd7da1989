// The channel baseline engine: poller -> journaler (WAL, group commit) -> matcher -> sink, each
// hop a postMessage of a transferred batch (the sink: a piscina pool of one thread the matcher
// owns), with credit-based flow control (no unbounded queue). The same pieces as the ring engine
// wherever the link between stages is not concerned: generator, WAL, books, Kafka client and
// decoding, and the ring engine's own sinks (FileSink, KafkaSink) for the outputs. Fresh runs only:
// it exists to be benchmarked against the ring.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createKafka, ensureTopics, partitionCount } from '@ringmatch/kafka';
import { reportsTopic, resolveBook, tradesTopic, type SourceConfig } from '@ringmatch/engine';
import type { ChannelRole } from './worker.js';
import type { MatcherDone } from './messages.js';

/**
 * Kafka source and sink for the channel baseline (bench `engine-kafka:channel`): orders from
 * `topic` (its own consumer group, from the earliest offset, `messages` of them) with the client,
 * JSON scanner and wire (format, output format) of the ring engine line it is compared with; trades and reports through the
 * ring engine's KafkaSink to `<outputPrefix>.trades` / `<outputPrefix>.reports`, created with as
 * many partitions as `topic` (as the ring engine creates its output topics; fresh topics expected).
 */
export interface ChannelKafkaOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  /** Input messages (default json): the ring engine's --format. */
  format?: 'json' | 'binary';
  /** Output records (default json): the ring engine's --output-format, through its KafkaSink. */
  outputFormat?: 'json' | 'binary';
  messages: number;
  outputPrefix: string;
  /** Default kafkajs / js. */
  client?: 'kafkajs' | 'native';
  jsonScanner?: 'js' | 'native';
  /** What writes output JSON (default js): the ring engine's --json-writer. */
  jsonWriter?: 'js' | 'native';
  /** Orders taken before the steady window starts (JIT warm-up; default 0: from the first batch). */
  warmOrders?: number;
}

export interface ChannelRunOptions {
  dataDir: string;
  orders: number;
  seed: number;
  symbols: number;
  accounts: number;
  backend: 'auto' | 'fs' | 'native';
  /** What writes output JSON in the file sink (default js): the ring engine's --json-writer. */
  jsonWriter?: 'js' | 'native';
  /** Orders per second (0: unthrottled). */
  rate?: number;
  /** Generate every order before the clock starts (as `ringmatch run --pregenerate`). */
  pregenerate?: boolean;
  /** Commands per message. */
  batch?: number;
  /** In-flight commands allowed (the ring engine's ring size, for a like-for-like bound). */
  inflight?: number;
  /** Most commands per WAL frame (group commit): the ring engine's --max-batch, default 8192. */
  maxBatch?: number;
  timeoutMs?: number;
  /** Read orders from Kafka and publish outputs to Kafka instead of the generator and the file. */
  kafka?: ChannelKafkaOptions;
}

export interface ChannelRunResult {
  orders: number;
  /**
   * From the first batch sent (after pregeneration; with Kafka, from the start, group join
   * included) to the end: the last command matched (file output: where the ring engine's clock
   * stops too), or the last output acknowledged by the broker (Kafka: where the engine-kafka
   * bench stops the ring engine's).
   */
  seconds: number;
  ordersPerSecond: number;
  /** From the first batch sent to the end (Kafka: the group join excluded, as for the ring engine). */
  steadySeconds: number;
  /** Orders in the steady window (all of them without a warm-up). */
  steadyOrders: number;
  trades: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  /** Commands per WAL frame (group commit), on average. */
  walAvgBatch: number;
  tradesFile: string;
}

export async function runChannelEngine(options: ChannelRunOptions): Promise<ChannelRunResult> {
  const batch = options.batch ?? 1024;
  const window = Math.max(1, Math.floor((options.inflight ?? 65_536) / batch));
  const maxCoalesce = Math.max(1, Math.floor((options.maxBatch ?? 8192) / batch));
  fs.rmSync(options.dataDir, { recursive: true, force: true });
  fs.mkdirSync(options.dataDir, { recursive: true });
  const tradesFile = path.join(options.dataDir, 'trades.ndjson');
  const toJournaler = new MessageChannel();
  const toMatcher = new MessageChannel();
  const toMain = new MessageChannel();
  const credits = new MessageChannel();
  const url = new URL('./worker.js', import.meta.url);
  const spawn = (role: ChannelRole, transfer: MessagePort[]): Worker => new Worker(url, { workerData: role, transferList: transfer });
  const kafkaOptions = options.kafka;
  let sinkSource: SourceConfig;
  if (kafkaOptions) {
    const kafka = createKafka({ brokers: kafkaOptions.brokers, clientId: 'ringmatch-channel-admin' });
    const partitions = await partitionCount(kafka, kafkaOptions.topic, { timeoutMs: 30_000 });
    await ensureTopics(
      kafka,
      [tradesTopic(kafkaOptions.outputPrefix), reportsTopic(kafkaOptions.outputPrefix)].map((topic) => ({ topic, partitions })),
      { timeoutMs: 30_000 },
    );
    // The KafkaSink names its topics after the source topic: here the output prefix.
    sinkSource = {
      kind: 'kafka',
      brokers: kafkaOptions.brokers,
      topic: kafkaOptions.outputPrefix,
      groupId: kafkaOptions.groupId,
      format: kafkaOptions.format ?? 'json',
      outputFormat: kafkaOptions.outputFormat ?? 'json',
      client: kafkaOptions.client ?? 'kafkajs',
      jsonScanner: kafkaOptions.jsonScanner ?? 'js',
    };
  } else {
    sinkSource = {
      kind: 'embedded',
      orders: options.orders,
      seed: options.seed,
      symbols: options.symbols,
      accounts: options.accounts,
      pregenerate: options.pregenerate ?? false,
    };
  }
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
          client: kafkaOptions.client ?? 'kafkajs',
          jsonScanner: kafkaOptions.jsonScanner ?? 'js',
          messages: kafkaOptions.messages,
          warmOrders: kafkaOptions.warmOrders ?? 0,
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
      { role: 'journaler', in: toJournaler.port2, out: toMatcher.port1, walDir: path.join(options.dataDir, 'wal'), backend: options.backend, maxCoalesce },
      [toJournaler.port2, toMatcher.port1],
    ),
    // Reports leave the matcher only when something publishes them (Kafka), as in the ring engine.
    spawn(
      {
        role: 'matcher',
        in: toMatcher.port2,
        out: toMain.port1,
        credits: credits.port1,
        symbols: kafkaOptions ? 0 : options.symbols,
        sampleEvery: 64,
        emitReports: kafkaOptions !== undefined,
        book: (await resolveBook('auto')).book,
        sink: { source: sinkSource, outputDir: options.dataDir, jsonWriter: kafkaOptions?.jsonWriter ?? options.jsonWriter ?? 'js' },
      },
      [toMatcher.port2, toMain.port1, credits.port1],
    ),
    source,
  ];
  let firstSendAt = 0;
  let warmAt = 0;
  let warmPosted = 0;
  source.on('message', (m: { firstSendAt?: number; warmAt?: number; warmPosted?: number }) => {
    if (m.firstSendAt) firstSendAt = m.firstSendAt;
    if (m.warmAt) {
      warmAt = m.warmAt;
      warmPosted = m.warmPosted ?? 0;
    }
  });
  let done: MatcherDone;
  try {
    done = await new Promise<MatcherDone>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 600_000;
      const timer = setTimeout(() => reject(new Error(`channel engine did not finish within ${timeoutMs} ms`)), timeoutMs);
      for (const w of workers)
        w.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      toMain.port2.once('message', (message: MatcherDone) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  } finally {
    toMain.port2.close();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const endedAt = kafkaOptions ? done.durableAt : done.matchedAt;
  const runStartedAt = performance.timeOrigin + started;
  const firstAt = firstSendAt > 0 ? firstSendAt : runStartedAt;
  const seconds = (endedAt - (kafkaOptions ? runStartedAt : firstAt)) / 1000;
  const orders = kafkaOptions ? done.last : options.orders;
  if (kafkaOptions?.warmOrders && warmAt === 0) throw new Error('channel engine: the warm-up mark never came');
  // With a warm-up: from the moment `warmPosted` orders were posted to the end, those after them.
  const steadySeconds = (endedAt - (warmAt > 0 ? warmAt : firstAt)) / 1000;
  const steadyOrders = orders - warmPosted;
  return {
    orders,
    seconds,
    steadySeconds,
    steadyOrders,
    ordersPerSecond: Math.round(steadyOrders / steadySeconds),
    trades: done.trades,
    latencyP50Us: done.latencyP50Us,
    latencyP99Us: done.latencyP99Us,
    walAvgBatch: done.walFrames > 0 ? Math.round((done.last / done.walFrames) * 10) / 10 : 0,
    tradesFile,
  };
}
