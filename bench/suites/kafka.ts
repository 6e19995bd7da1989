// Kafka benches on the real broker. `kafka-raw`: a bare kafkajs consumer-group `eachBatch` consume
// of N pre-produced order messages, no processing - the ceiling the engine is measured against
// (`engine-kafka:kafkajs-raw`). The helpers are exported so the engine suite produces the same
// messages and measures the raw consume in the same run.
import type { Kafka } from 'kafkajs';
import { IDEMPOTENT_RETRY, Publisher, createKafka, ensureTopics, deleteTopics, withTimeout } from '@ringmatch/kafka';
import { ensureBroker, kafkaAvailability, uniqueTopic } from '@ringmatch/test-kit';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { runsText } from '../stats.js';
import { measureGroup, methodFields, type Measured } from '../method.js';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD', 'ADA-USD', 'DOGE-USD', 'DOT-USD', 'LTC-USD'];

/** A deterministic JSON limit order (about 150 bytes), the shape the engine's input takes. */
export function benchOrder(i: number): Buffer {
  const side = i % 2 === 0 ? 'buy' : 'sell';
  const price = 10_000 + ((i * 7919) % 200) - 100;
  return Buffer.from(
    `{"type":"new","orderId":${i + 1},"account":${(i % 97) + 1},"symbol":"${SYMBOLS[i % SYMBOLS.length]}","side":"${side}","orderType":"limit","tif":"gtc","price":${price},"qty":${(i % 10) + 1},"ts":${1_700_000_000_000 + i}}`,
  );
}

export interface ProduceBenchOptions {
  /** Number of messages. */
  n: number;
  /** Partitions of the topic (created if missing; default 1). */
  partitions?: number;
  /** Message bytes for index i (default `benchOrder`). */
  encode?: (i: number) => Buffer;
  /** Message key for index i (default the symbol). */
  key?: (i: number) => string;
  /** Partition for index i (default `i % partitions`). */
  partition?: (i: number) => number;
  timeoutMs?: number;
}

/** Creates `topic` and produces the N bench messages (acks=all). Returns the produce rate. */
export async function produceBenchOrders(kafka: Kafka, topic: string, options: ProduceBenchOptions): Promise<{ n: number; seconds: number; bytes: number }> {
  const partitions = options.partitions ?? 1;
  const encode = options.encode ?? benchOrder;
  const key = options.key ?? ((i: number) => SYMBOLS[i % SYMBOLS.length]!);
  const timeoutMs = options.timeoutMs ?? 300_000;
  await ensureTopics(kafka, [{ topic, partitions }]);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await withTimeout(producer.connect(), 30_000, 'bench producer connect');
  const start = process.hrtime.bigint();
  let bytes = 0;
  try {
    const chunk = 4000;
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < options.n; i += chunk) {
      const messages = [];
      for (let j = i; j < Math.min(options.n, i + chunk); j++) {
        const value = encode(j);
        bytes += value.length;
        messages.push({ key: key(j), value, partition: options.partition ? options.partition(j) : j % partitions });
      }
      inFlight.push(producer.send({ topic, acks: -1, messages }));
      if (inFlight.length >= 4) await withTimeout(inFlight.shift()!, timeoutMs, 'bench produce');
    }
    await withTimeout(Promise.all(inFlight), timeoutMs, 'bench produce');
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return { n: options.n, seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

export interface RawConsumeResult {
  n: number;
  /** Messages per second from the first batch to the last message (steady state). */
  ops_per_s: number;
  /** Seconds from `run()` (group join included) to the last message. */
  total_s: number;
  batches: number;
  mean_batch: number;
}

/**
 * A bare kafkajs consumer (own group, from the beginning, `eachBatch`, no processing) reading the
 * first `n` messages of `topic`; `onBatch` hears the running count. Bounded by `timeoutMs`.
 */
export async function measureRawConsume(
  kafka: Kafka,
  topic: string,
  n: number,
  options: { timeoutMs?: number; maxBytesPerPartition?: number; onBatch?: (consumed: number) => void } = {},
): Promise<RawConsumeResult> {
  const consumer = kafka.consumer({
    groupId: uniqueTopic('bench-raw'),
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1 << 20,
    allowAutoTopicCreation: false,
  });
  await withTimeout(consumer.connect(), 30_000, 'raw consumer connect');
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let batches = 0;
  let first = 0n;
  let last = 0n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const start = process.hrtime.bigint();
  try {
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (count >= n) return;
        if (batches++ === 0) first = process.hrtime.bigint();
        count += batch.messages.length;
        options.onBatch?.(Math.min(n, count));
        if (count >= n) {
          last = process.hrtime.bigint();
          done();
        }
      },
    });
    await withTimeout(finished, options.timeoutMs ?? 300_000, `raw consume of ${n} messages`);
  } finally {
    await withTimeout(consumer.disconnect(), 15_000, 'raw consumer disconnect').catch(() => undefined);
  }
  const steady = Number(last - first) / 1e9;
  return { n, ops_per_s: n / Math.max(steady, 1e-6), total_s: Number(last - start) / 1e9, batches, mean_batch: n / batches };
}

/**
 * Runs `fn` with a broker: `RINGMATCH_KAFKA_BROKERS`, else one started from scripts/kafka (and
 * stopped after). Returns `{ skipped: reason }` when none is possible, so the caller prints a null
 * line with the reason.
 */
export async function withBenchBroker<T>(ctx: BenchContext, fn: (kafka: Kafka) => Promise<T>): Promise<T | { skipped: string }> {
  let avail: ReturnType<typeof kafkaAvailability>;
  try {
    avail = kafkaAvailability();
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  if (!avail.ok) return { skipped: avail.reason };
  ctx.log(avail.external ? `kafka: using ${avail.brokers.join(',')}` : `kafka: starting a broker on ${avail.brokers.join(',')}`);
  const broker = await ensureBroker();
  try {
    return await fn(createKafka({ brokers: broker.brokers, clientId: 'ringmatch-bench' }));
  } finally {
    await broker.release();
  }
}

/** A minimal length-prefixed batch codec for the packed publisher bench (the engine uses the protocol's). */
function packValues(values: Array<string | Buffer>): Buffer {
  const bufs = values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
  const out = Buffer.allocUnsafe(bufs.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of bufs) {
    out.writeUInt32LE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}

async function publishWithPublisher(kafka: Kafka, topic: string, n: number, batch: number, packed = false): Promise<number> {
  if (packed) batch *= 8; // a request carries batch*8 outputs in batch*8/256 Kafka records
  const publisher = new Publisher(kafka, {
    topics: [topic],
    maxBatchRecords: batch,
    skipResumePoint: true,
    ...(packed ? { pack: packValues, packMax: 256 } : {}),
  });
  await publisher.connect();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    publisher.publish({ topic, key: SYMBOLS[i % SYMBOLS.length]!, value: benchOrder(i), seq: i });
    if (publisher.pending >= batch * 4) await publisher.flush(); // bounded queue
  }
  await publisher.close();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function publishRaw(kafka: Kafka, topic: string, n: number, batch: number): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: IDEMPOTENT_RETRY });
  await producer.connect();
  const start = process.hrtime.bigint();
  try {
    for (let i = 0; i < n; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(n, i + batch); j++)
        messages.push({ key: SYMBOLS[j % SYMBOLS.length]!, value: benchOrder(j), headers: { 'ringmatch-seq': String(j), 'ringmatch-idx': '0' } });
      await withTimeout(producer.send({ topic, acks: -1, messages }), 60_000, 'raw publish');
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Publisher throughput (records/s, acknowledged), plain and packed, against a bare idempotent
 * kafkajs producer sending the same records with the same headers in the same batch size; by the
 * method of every line (bench/method.ts), each run on a fresh topic.
 */
async function measurePublish(ctx: BenchContext, kafka: Kafka, n: number, batch: number) {
  const topics: string[] = [];
  const fresh = async (): Promise<string> => {
    const topic = uniqueTopic('bench-trades');
    topics.push(topic);
    await ensureTopics(kafka, [{ topic, partitions: 4 }]);
    return topic;
  };
  try {
    const { load, results } = await measureGroup(
      ctx,
      ['raw', 'publisher', 'packed'] as const,
      async (which) => {
        const topic = await fresh();
        if (which === 'raw') return publishRaw(kafka, topic, n, batch);
        return publishWithPublisher(kafka, topic, n, batch, which === 'packed');
      },
      (rate) => rate,
    );
    const [raw, publisher, packed] = results as [Measured<number>, Measured<number>, Measured<number>];
    return { load, raw, publisher, packed };
  } finally {
    await deleteTopics(kafka, topics).catch(() => undefined);
  }
}

export const groups: BenchGroup[] = [
  {
    group: 'kafka-raw',
    async *run(ctx) {
      const n = ctx.quick ? 50_000 : 300_000;
      const partitions = 4;
      const result = await withBenchBroker(ctx, async (kafka): Promise<BenchLine> => {
        const topic = uniqueTopic('bench-orders');
        try {
          const produced = await produceBenchOrders(kafka, topic, { n, partitions });
          ctx.log(`kafka-raw: produced ${n} messages in ${produced.seconds.toFixed(2)} s`);
          const { load, results } = await measureGroup(
            ctx,
            [topic],
            (t) => measureRawConsume(kafka, t, n),
            (r) => r.ops_per_s,
          );
          const m = results[0]!;
          return {
            bench: 'kafka-raw',
            ops_per_s: m.value,
            p50_us: null,
            p99_us: null,
            messages: n,
            partitions,
            payload_bytes: Math.round(produced.bytes / n),
            total_s: m.median.total_s,
            mean_batch: Math.round(m.median.mean_batch),
            produce_per_s: n / produced.seconds,
            ...methodFields(m.values, load),
          };
        } finally {
          await deleteTopics(kafka, [topic]).catch(() => undefined);
        }
      });
      if ('skipped' in result) {
        yield { bench: 'kafka-raw', ops_per_s: null, p50_us: null, p99_us: null, skipped: result.skipped };
      } else {
        yield result;
      }
    },
  },
  {
    group: 'kafka-publish',
    async *run(ctx) {
      const n = ctx.quick ? 30_000 : 100_000;
      const batch = 2000;
      const result = await withBenchBroker(ctx, (kafka) => measurePublish(ctx, kafka, n, batch));
      if ('skipped' in result) {
        yield { bench: 'kafka-publish', ops_per_s: null, p50_us: null, p99_us: null, skipped: result.skipped };
        yield { bench: 'kafka-publish:kafkajs-raw', ops_per_s: null, p50_us: null, p99_us: null, skipped: result.skipped };
        return;
      }
      yield {
        bench: 'kafka-publish',
        ops_per_s: result.publisher.value,
        p50_us: null,
        p99_us: null,
        records: n,
        batch,
        partitions: 4,
        ratio_to_raw: result.publisher.value / result.raw.value,
        packed_per_s: result.packed.value,
        packed_runs: runsText(result.packed.values),
        pack_max: 256,
        ...methodFields(result.publisher.values, result.load),
      };
      yield {
        bench: 'kafka-publish:kafkajs-raw',
        ops_per_s: result.raw.value,
        p50_us: null,
        p99_us: null,
        records: n,
        batch,
        partitions: 4,
        ...methodFields(result.raw.values, result.load),
      };
    },
  },
];
