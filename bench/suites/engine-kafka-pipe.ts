// engine-kafka:pipe*: the I/O floor of an engine-kafka run. With the same client, a bare consume
// of the same order messages and a produce of the same output records (the engine run's own packed
// records, read back from its output topics: same bytes, headers, keys and partitions) through the
// same Publisher, with no WAL and no matching. Outputs go out as the input comes in (in proportion),
// as in the engine. Timed like the engine: first input taken to last output acknowledged.
import type { Kafka } from 'kafkajs';
import { COUNT_HEADER, FIRST_HEADER, Publisher, ensureTopics, loadNativeKafka, nativeTransport, readPosition, type PublishedPosition } from '@ringmatch/kafka';
import { readTopic, uniqueTopic, type ReadRecord } from '@ringmatch/test-kit';
import { measureRawConsume } from './kafka.js';
import { consumeNative } from './kafka-native.js';

export interface PipeResult {
  ops_per_s: number;
  engine_cpu_us_per_order: number;
  broker_cpu_us_per_order: number | null;
  output_records: number;
}

/** The output records an engine run left in `<topic>.trades` and `<topic>.reports`, in partition order. */
export async function engineOutputs(kafka: Kafka, topic: string): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (const t of [`${topic}.trades`, `${topic}.reports`]) out.push(...(await readTopic(kafka, t, { timeoutMs: 120_000 })));
  return out;
}

function header(record: ReadRecord, name: string): string {
  const v = record.headers[name];
  return Array.isArray(v) ? String(v[0]) : String(v ?? '');
}

function firstPosition(record: ReadRecord): PublishedPosition {
  const [seq, idx] = header(record, FIRST_HEADER).split('.').map(Number);
  return { seq: seq!, idx: idx! };
}

export async function measurePipe(
  kafka: Kafka,
  brokers: string[],
  inputTopic: string,
  n: number,
  warm: number,
  outputs: ReadRecord[],
  client: 'kafkajs' | 'native',
  partitions: number,
  cpuOfBroker: () => number | null,
  topics: string[],
): Promise<PipeResult> {
  const base = uniqueTopic(`${inputTopic}-pipe-${client}`);
  const outTopic = (t: string): string => (t.endsWith('.trades') ? `${base}.trades` : `${base}.reports`);
  topics.push(`${base}.trades`, `${base}.reports`);
  await ensureTopics(
    kafka,
    [`${base}.trades`, `${base}.reports`].map((topic) => ({ topic, partitions })),
  );
  const native = client === 'native' ? await loadNativeKafka() : null;
  if (client === 'native' && !native) throw new Error('engine-kafka:pipe: native-kafka did not load');
  const publisher = new Publisher(kafka, {
    topics: [`${base}.trades`, `${base}.reports`],
    maxBatchRecords: 8192,
    maxPartitionBytes: 900_000,
    skipResumePoint: true,
    transport: native ? nativeTransport(new native.NativeProducer({ brokers: brokers.join(','), clientId: 'bench-pipe' })) : undefined,
  });
  await publisher.connect();
  let published = 0;
  /** Hands over the outputs due once `consumed` of the n inputs are in. */
  const publishUpTo = (consumed: number): void => {
    const due = Math.min(outputs.length, Math.floor((outputs.length * consumed) / n));
    for (; published < due; published++) {
      const r = outputs[published]!;
      const last = readPosition(r.headers);
      if (last === null || last === 'malformed') throw new Error(`engine output ${r.topic}[${r.partition}]@${r.offset} has no position`);
      publisher.publishPacked({
        topic: outTopic(r.topic),
        partition: r.partition,
        key: r.key,
        value: r.value ?? Buffer.alloc(0),
        first: firstPosition(r),
        last,
        count: Number(header(r, COUNT_HEADER)),
      });
    }
  };
  let first = 0;
  let atFirst = 0;
  let cpu0 = process.cpuUsage();
  let broker0: number | null = null;
  // The window starts once `warm` orders are taken (the engine's: its JIT warm-up), and counts the rest.
  const started = (consumed: number): void => {
    if (first !== 0 || consumed < Math.max(1, warm)) return;
    first = performance.now();
    atFirst = warm > 0 ? consumed : 0;
    cpu0 = process.cpuUsage();
    broker0 = cpuOfBroker();
  };
  // The same bare consumers as the raw lines (kafka.ts, kafka-native.ts), at the engine's poll size.
  const onBatch = (consumed: number): void => {
    started(consumed);
    publishUpTo(consumed);
  };
  if (native) await consumeNative(native, brokers.join(','), inputTopic, n, { maxMessages: 8192, onBatch });
  else await measureRawConsume(kafka, inputTopic, n, { onBatch });
  publishUpTo(n);
  await publisher.flush(120_000);
  const seconds = (performance.now() - first) / 1000;
  const used = process.cpuUsage(cpu0);
  const broker1 = cpuOfBroker();
  await publisher.close();
  const measured = n - atFirst;
  return {
    ops_per_s: measured / seconds,
    engine_cpu_us_per_order: Math.round(((used.user + used.system) / measured) * 100) / 100,
    broker_cpu_us_per_order: broker0 !== null && broker1 !== null ? Math.round((((broker1 - broker0) * 1000) / measured) * 100) / 100 : null,
    output_records: outputs.length,
  };
}
