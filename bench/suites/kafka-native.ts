// kafkajs vs @ringmatch/native-kafka (librdkafka), raw, same run, same broker. CPU is the whole
// process (process.cpuUsage: JS thread, libuv pool and librdkafka's threads). Lines:
// `kafka-native-produce` (+ `:kafkajs`): 64 KiB records with the publisher's 4 headers, one
// request / batch in flight, CPU ns per value byte; `kafka-native-consume` (+ `:kafkajs`): 100 B
// messages, CPU us per message. Ratios are native / kafkajs. Every line by the method of every line
// (bench/method.ts: a warm-up round, then the median of interleaved rounds; the ratios are of the
// median runs); per run 10k records produced (50k, one run, before) and 500k consumed (1M).
import { randomBytes } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import {
  IDEMPOTENT_RETRY,
  deleteTopics,
  ensureTopics,
  flatBatch,
  loadNativeKafka,
  nativeKafkaLoadFailure,
  NativeRecordReader,
  withTimeout,
} from '@ringmatch/kafka';
import type { FlatMessage, NativeKafkaModule } from '@ringmatch/kafka';
import { uniqueTopic } from '@ringmatch/test-kit';
import type { BenchGroup, BenchLine } from '../types.js';
import { measureGroup, median, methodFields, type Measured } from '../method.js';
import { measureRawConsume, withBenchBroker } from './kafka.js';

const PARTITIONS = 4;

interface Cost {
  seconds: number;
  cpuSeconds: number;
}

async function measured(fn: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  const used = process.cpuUsage(cpu);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
}

function records(n: number, size: number, batch: number): FlatMessage[][] {
  const pool = randomBytes(size * 8); // incompressible-ish values, shared (the copy is what we measure)
  const out: FlatMessage[][] = [];
  for (let i = 0; i < n; i += batch) {
    const b: FlatMessage[] = [];
    for (let j = i; j < Math.min(n, i + batch); j++) {
      const headers = { 'ringmatch-seq': String(j * 256 + 255), 'ringmatch-idx': '0', 'ringmatch-first': `${j * 256}.0`, 'ringmatch-count': '256' };
      b.push({ partition: j % PARTITIONS, key: 'BTC-USD', value: pool.subarray((j % 8) * size, ((j % 8) + 1) * size), headers });
    }
    out.push(b);
  }
  return out;
}

async function produceKafkajs(kafka: Kafka, topic: string, batches: FlatMessage[][]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: IDEMPOTENT_RETRY });
  await withTimeout(producer.connect(), 30_000, 'kafkajs producer connect');
  try {
    for (const b of batches) {
      const messages: Message[] = b.map((m) => ({
        partition: m.partition,
        key: m.key as string,
        value: m.value as Buffer,
        headers: m.headers as Record<string, string>,
      }));
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

async function produceNative(native: NativeKafkaModule, brokers: string, topic: string, batches: FlatMessage[][]): Promise<void> {
  const producer = new native.NativeProducer({ brokers, clientId: 'ringmatch-bench' });
  try {
    for (const b of batches) await producer.sendBatch(topic, flatBatch(b));
  } finally {
    await producer.close(30_000);
  }
}

/**
 * A bare NativeConsumer (own group, from the beginning) reading the first `n` messages of `topic`
 * in place; `onBatch` hears the running count after each poll.
 */
export async function consumeNative(
  native: NativeKafkaModule,
  brokers: string,
  topic: string,
  n: number,
  options: { maxMessages?: number; onBatch?: (consumed: number) => void } = {},
): Promise<void> {
  const consumer = new native.NativeConsumer({ brokers, groupId: uniqueTopic('bench-native'), topic, clientId: 'ringmatch-bench' });
  const maxMessages = options.maxMessages ?? 20_000;
  const buffer = new Uint8Array(4 << 20);
  const reader = new NativeRecordReader(buffer);
  const deadline = Date.now() + 300_000;
  let count = 0;
  let checksum = 0;
  try {
    while (count < n) {
      if (Date.now() > deadline) throw new Error(`native consume: ${count} of ${n} within 300 s`);
      const got = await consumer.poll(buffer, maxMessages, 100);
      reader.reset(got);
      while (reader.next()) {
        checksum += reader.valueLength;
        count++;
      }
      if (got > 0) options.onBatch?.(Math.min(n, count));
      if (consumer.hasEvents) {
        for (const e of consumer.takeEvents()) {
          if (e.kind === 'assign')
            consumer.assign(
              e.partitions,
              e.partitions.map(() => null),
            );
          else if (e.kind === 'error') throw new Error(e.message);
        }
      }
    }
  } finally {
    await consumer.close(15_000);
  }
  if (checksum <= 0) throw new Error('native consume read no bytes');
}

function unavailable(bench: string, reason: string): BenchLine {
  return { bench, ops_per_s: null, p50_us: null, p99_us: null, skipped: reason };
}

export const groups: BenchGroup[] = [
  {
    group: 'kafka-native-produce',
    async *run(ctx) {
      const native = await loadNativeKafka();
      const n = ctx.quick ? 2000 : 10_000;
      const size = 64 << 10;
      const perBatch = 16; // 4 per partition: 256 KiB per partition per request
      if (!native) {
        const reason = `@ringmatch/native-kafka not built: ${String(nativeKafkaLoadFailure())}`;
        yield unavailable('kafka-native-produce', reason);
        yield unavailable('kafka-native-produce:kafkajs', reason);
        return;
      }
      const result = await withBenchBroker(ctx, async (kafka) => {
        const topics: string[] = [];
        const batches = records(n, size, perBatch);
        const brokers = (process.env.RINGMATCH_KAFKA_BROKERS ?? '').trim() || '127.0.0.1:19092';
        try {
          // each run into a fresh topic (deleted as soon as it is measured: 640 MB a run)
          const { load, results } = await measureGroup(
            ctx,
            ['native', 'kafkajs'] as const,
            async (client) => {
              const topic = uniqueTopic(`bench-np-${client}`);
              topics.push(topic);
              await ensureTopics(kafka, [{ topic, partitions: PARTITIONS }]);
              const cost = await measured(() => (client === 'native' ? produceNative(native, brokers, topic, batches) : produceKafkajs(kafka, topic, batches)));
              ctx.log(`kafka-native-produce: ${client} ${cost.seconds.toFixed(1)} s, ${cost.cpuSeconds.toFixed(1)} CPU s`);
              await deleteTopics(kafka, [topic]).catch(() => undefined);
              return cost;
            },
            (c) => n / c.seconds,
          );
          return { load, nat: results[0]!, js: results[1]! };
        } finally {
          await deleteTopics(kafka, topics).catch(() => undefined);
        }
      });
      if ('skipped' in result) {
        yield unavailable('kafka-native-produce', result.skipped);
        yield unavailable('kafka-native-produce:kafkajs', result.skipped);
        return;
      }
      const bytes = n * size;
      const line = (bench: string, m: Measured<Cost>): BenchLine => ({
        bench,
        ops_per_s: m.value,
        p50_us: null,
        p99_us: null,
        records: n,
        record_bytes: size,
        batch: perBatch,
        mb_per_s: (m.value * size) / 1e6,
        cpu_ns_per_byte: (median(m.all.map((c) => c.cpuSeconds)) * 1e9) / bytes,
        ...methodFields(m.values, result.load),
      });
      const cpu = (m: Measured<Cost>): number => median(m.all.map((c) => c.cpuSeconds));
      yield {
        ...line('kafka-native-produce', result.nat),
        cpu_ratio_to_kafkajs: cpu(result.nat) / cpu(result.js),
        speed_ratio_to_kafkajs: result.nat.value / result.js.value,
      };
      yield line('kafka-native-produce:kafkajs', result.js);
    },
  },
  {
    group: 'kafka-native-consume',
    async *run(ctx) {
      const native = await loadNativeKafka();
      const n = ctx.quick ? 200_000 : 500_000;
      if (!native) {
        const reason = `@ringmatch/native-kafka not built: ${String(nativeKafkaLoadFailure())}`;
        yield unavailable('kafka-native-consume', reason);
        yield unavailable('kafka-native-consume:kafkajs', reason);
        return;
      }
      const result = await withBenchBroker(ctx, async (kafka) => {
        const topic = uniqueTopic('bench-nc');
        await ensureTopics(kafka, [{ topic, partitions: PARTITIONS }]);
        const brokers = (process.env.RINGMATCH_KAFKA_BROKERS ?? '').trim() || '127.0.0.1:19092';
        try {
          const value = Buffer.alloc(100, 'x');
          const batches: FlatMessage[][] = [];
          for (let i = 0; i < n; i += 10_000)
            batches.push(Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ partition: (i + j) % PARTITIONS, key: null, value })));
          await produceNative(native, brokers, topic, batches);
          ctx.log(`kafka-native-consume: produced ${n} x 100 B`);
          const { load, results } = await measureGroup(
            ctx,
            ['native', 'kafkajs'] as const,
            async (client) => {
              const cost = await measured(async () => {
                if (client === 'native') await consumeNative(native, brokers, topic, n);
                else await measureRawConsume(kafka, topic, n);
              });
              ctx.log(`kafka-native-consume: ${client} ${cost.seconds.toFixed(1)} s, ${cost.cpuSeconds.toFixed(1)} CPU s`);
              return cost;
            },
            (c) => n / c.seconds,
          );
          return { load, nat: results[0]!, js: results[1]! };
        } finally {
          await deleteTopics(kafka, [topic]).catch(() => undefined);
        }
      });
      if ('skipped' in result) {
        yield unavailable('kafka-native-consume', result.skipped);
        yield unavailable('kafka-native-consume:kafkajs', result.skipped);
        return;
      }
      const cpu = (m: Measured<Cost>): number => median(m.all.map((c) => c.cpuSeconds));
      const line = (bench: string, m: Measured<Cost>): BenchLine => ({
        bench,
        ops_per_s: m.value,
        p50_us: null,
        p99_us: null,
        messages: n,
        value_bytes: 100,
        partitions: PARTITIONS,
        cpu_us_per_msg: (cpu(m) * 1e6) / n,
        total_s: m.median.seconds,
        ...methodFields(m.values, result.load),
      });
      yield { ...line('kafka-native-consume', result.nat), cpu_ratio_to_kafkajs: cpu(result.nat) / cpu(result.js) };
      yield line('kafka-native-consume:kafkajs', result.js);
    },
  },
];
