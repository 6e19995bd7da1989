// Topics for Kafka tests and benches: unique names, and reading or writing a topic whole.
import kafkajs, { type IHeaders, type Kafka } from 'kafkajs';
import { IDEMPOTENT_RETRY, topicOffsets, withTimeout } from '@ringmatch/kafka';

let topicCounter = 0;
/** A topic name unique to this process and call. */
export function uniqueTopic(prefix = 't'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++topicCounter}`;
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: number;
}

/**
 * Everything in `topic` right now (up to each partition's high watermark at the call), in offset
 * order per partition; a throw-away consumer group. Bounded by `timeoutMs`.
 */
export async function readTopic(kafka: Kafka, topic: string, options: { timeoutMs?: number } = {}): Promise<ReadRecord[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const marks = await topicOffsets(kafka, topic, { timeoutMs });
  const remaining = new Map([...marks].filter(([, m]) => m.high > m.low).map(([p, m]) => [p, m.high]));
  const out: ReadRecord[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueTopic('read'), maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  try {
    await withTimeout(consumer.connect(), timeoutMs, 'readTopic connect');
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const high = remaining.get(batch.partition);
        if (high === undefined) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset >= high) break;
          out.push({ topic, partition: batch.partition, offset, key: m.key, value: m.value, headers: m.headers ?? {}, timestamp: Number(m.timestamp) });
        }
        if (Number(batch.lastOffset()) >= high - 1) remaining.delete(batch.partition);
        if (remaining.size === 0) done();
      },
    });
    await withTimeout(finished, timeoutMs, `readTopic(${topic})`);
  } finally {
    await withTimeout(consumer.disconnect(), 10_000, 'readTopic disconnect').catch(() => undefined);
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Produces `values` to one partition of `topic` (acks=all) in chunks; returns nothing. */
export async function produceTo(
  kafka: Kafka,
  topic: string,
  partition: number,
  values: Array<string | Buffer>,
  options: { timeoutMs?: number; chunk?: number } = {},
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: IDEMPOTENT_RETRY });
  const timeoutMs = options.timeoutMs ?? 30_000;
  await withTimeout(producer.connect(), timeoutMs, 'produceTo connect');
  try {
    const chunk = options.chunk ?? 1000;
    for (let i = 0; i < values.length; i += chunk) {
      await withTimeout(
        producer.send({ topic, acks: -1, messages: values.slice(i, i + chunk).map((value) => ({ value, partition })) }),
        timeoutMs,
        'produceTo send',
      );
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Sets one config of each topic (e.g. `max.message.bytes`), as an operator would; bounded by `timeoutMs`. */
export async function setTopicConfig(kafka: Kafka, topics: string[], name: string, value: string, options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await withTimeout(admin.connect(), timeoutMs, 'setTopicConfig connect');
  try {
    await withTimeout(
      admin.alterConfigs({
        validateOnly: false,
        resources: topics.map((topic) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name, value }] })),
      }),
      timeoutMs,
      `alterConfigs(${topics.join(',')})`,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
