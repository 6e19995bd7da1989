import kafkajs, { type ITopicConfig, type Kafka } from 'kafkajs';
import { KafkaConfigError, withTimeout } from './client.js';

// A CommonJS enum Node's ESM loader does not find as a named export.
const { ConfigResourceTypes } = kafkajs;

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Topic configs, e.g. `{ 'retention.ms': '-1' }`. */
  configs?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet (idempotent; safe to race with another process) and
 * waits until every partition has a leader. An existing topic with fewer partitions than asked is
 * grown; one with more is left alone (partitions can never shrink) and reported in the result.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], options: { timeoutMs?: number } = {}): Promise<Map<string, number>> {
  for (const s of specs) {
    if (!s.topic || !/^[A-Za-z0-9._-]{1,249}$/.test(s.topic)) throw new KafkaConfigError('topic', `invalid topic name ${JSON.stringify(s.topic)}`);
    if (!Number.isInteger(s.partitions) || s.partitions < 1)
      throw new KafkaConfigError('partitions', `${s.topic}: need a positive integer, got ${s.partitions}`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await withTimeout(admin.connect(), timeoutMs, 'kafka admin connect');
  try {
    return await withTimeout(
      (async () => {
        // Retried as a whole: a just-created topic can be unknown to the metadata request that
        // follows (UNKNOWN_TOPIC_OR_PARTITION, retriable; kafkajs' waitForLeaders retries only a
        // missing leader), seen once on a loaded broker. The retry finds the topic and goes on.
        const counts = await retrying(async () => {
          const existing = new Set(await admin.listTopics());
          const missing: ITopicConfig[] = specs
            .filter((s) => !existing.has(s.topic))
            .map((s) => ({
              topic: s.topic,
              numPartitions: s.partitions,
              replicationFactor: 1,
              configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
            }));
          if (missing.length > 0) {
            try {
              await admin.createTopics({ topics: missing, waitForLeaders: true, timeout: timeoutMs });
            } catch (e) {
              // another process created it between listTopics and createTopics: fine
              if (!String((e as Error).message).includes('already exists') && (e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw e;
            }
          }
          const found = new Map<string, number>();
          const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
          for (const t of meta.topics) found.set(t.name, t.partitions.length);
          return found;
        }, timeoutMs);
        const grow = specs.filter((s) => (counts.get(s.topic) ?? 0) < s.partitions);
        if (grow.length > 0) {
          await admin.createPartitions({ topicPartitions: grow.map((s) => ({ topic: s.topic, count: s.partitions })) });
          for (const s of grow) counts.set(s.topic, s.partitions);
          // wait until the new partitions have leaders (createPartitions does not)
          await retrying(async () => {
            const m = await admin.fetchTopicMetadata({ topics: grow.map((s) => s.topic) });
            for (const t of m.topics) {
              const want = counts.get(t.name)!;
              if (t.partitions.length < want || t.partitions.some((p) => p.leader < 0))
                throw Object.assign(new Error(`${t.name}: partitions without leader`), { retriable: true });
            }
            for (const s of grow) await admin.fetchTopicOffsets(s.topic);
          }, timeoutMs);
        }
        return counts;
      })(),
      timeoutMs,
      `ensureTopics(${specs.map((s) => s.topic).join(',')})`,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Deletes topics if they exist (idempotent). */
export async function deleteTopics(kafka: Kafka, topics: string[], options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await withTimeout(admin.connect(), timeoutMs, 'kafka admin connect');
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await withTimeout(admin.deleteTopics({ topics: present, timeout: timeoutMs }), timeoutMs, 'deleteTopics');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Partition count of a topic (throws if it does not exist). */
export async function partitionCount(kafka: Kafka, topic: string, options: { timeoutMs?: number } = {}): Promise<number> {
  const offsets = await topicOffsets(kafka, topic, options);
  return offsets.size;
}

/** Low (log start) and high (next offset to be written) watermark per partition. */
export async function topicOffsets(kafka: Kafka, topic: string, options: { timeoutMs?: number } = {}): Promise<Map<number, { low: number; high: number }>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await withTimeout(admin.connect(), timeoutMs, 'kafka admin connect');
  try {
    const rows = await withTimeout(
      retrying(() => admin.fetchTopicOffsets(topic), timeoutMs),
      timeoutMs,
      `fetchTopicOffsets(${topic})`,
    );
    const out = new Map<number, { low: number; high: number }>();
    for (const r of rows.sort((a, b) => a.partition - b.partition)) out.set(r.partition, { low: Number(r.low), high: Number(r.high) });
    return out;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Each topic's `max.message.bytes`: the largest record batch the broker accepts on it (the topic's
 * own setting, else the broker's `message.max.bytes`, as the broker reports it).
 */
export async function topicRecordLimits(kafka: Kafka, topics: string[], options: { timeoutMs?: number } = {}): Promise<Map<string, number>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await withTimeout(admin.connect(), timeoutMs, 'kafka admin connect');
  try {
    const described = await withTimeout(
      retrying(
        () =>
          admin.describeConfigs({
            includeSynonyms: false,
            resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
          }),
        timeoutMs,
      ),
      timeoutMs,
      `describeConfigs(${topics.join(',')})`,
    );
    const limits = new Map<string, number>();
    for (const resource of described.resources) {
      const value = Number(resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
      if (resource.errorCode !== 0 || !Number.isSafeInteger(value) || value <= 0)
        throw new Error(`${resource.resourceName}: cannot read max.message.bytes (${resource.errorMessage || `value ${value}`})`);
      limits.set(resource.resourceName, value);
    }
    for (const topic of topics) if (!limits.has(topic)) throw new Error(`${topic}: the broker did not describe its max.message.bytes`);
    return limits;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Retries `fn` on retriable Kafka errors (leader elections after create/restart) until `timeoutMs`. */
async function retrying<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const retriable = (e as { retriable?: boolean }).retriable === true;
      if (!retriable || Date.now() + 200 > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
