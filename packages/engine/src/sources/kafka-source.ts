// Kafka source: a consumer-group member whose offsets live in the WAL. Two drivers share what is
// done with each message (kafka-intake.ts): kafkajs (here: each fetched batch is published as far
// as the ring has room; the rest is re-fetched after the source pauses) and librdkafka
// (kafka-native-source.ts), chosen by --kafka-client.
import { parentPort } from 'node:worker_threads';
import { DeadLetterPublisher, OrderSource, createKafka, ensureTopics, partitionCount, type SourceBatch } from '@ringmatch/kafka';
import type { SourceConfig } from '../config.js';
import { Stat } from '../stats.js';
import { bookTopic, dlqTopic, nowMs, reportsTopic, tradesTopic } from '../shared.js';
import type { CommandPublisher } from './command-publisher.js';
import type { CommandSource, SourceContext } from './command-source.js';
import { KafkaIntake } from './kafka-intake.js';
import { runNativeKafkaSource } from './kafka-native-source.js';
import { consumedToEnd, takenElsewhere } from './kafka-partition-checks.js';
import { KafkaStartError, kafkaStartError } from '../kafka-start-error.js';

export class KafkaSource implements CommandSource {
  constructor(private readonly context: SourceContext<'kafka'>) {}

  /** On the main thread, before the workers: the orders topic must exist; output (trades, reports, book) and dead-letter topics are created like it. */
  static async prepare(source: Extract<SourceConfig, { kind: 'kafka' }>): Promise<void> {
    const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-admin' });
    let partitions: number;
    try {
      partitions = await partitionCount(kafka, source.topic, { timeoutMs: 30_000 });
    } catch (error) {
      throw kafkaStartError(`cannot read orders topic ${source.topic}`, source.brokers, error, 'nothing was read yet');
    }
    if (partitions === 0) {
      throw new KafkaStartError(
        `orders topic ${source.topic} does not exist on ${source.brokers.join(',')}: create it (kafka-topics.sh --create --topic ${source.topic}) or name another with --topic; nothing was read`,
      );
    }
    await ensureTopics(
      kafka,
      [tradesTopic(source.topic), reportsTopic(source.topic), bookTopic(source.topic), dlqTopic(source.topic)].map((topic) => ({ topic, partitions })),
      { timeoutMs: 30_000 },
    );
  }

  async run(out: CommandPublisher): Promise<void> {
    const source = this.context.config;
    const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-poller' });
    const dlq = new DeadLetterPublisher(kafka, { topic: dlqTopic(source.topic) });
    await dlq.connect();
    const intake = new KafkaIntake(out, this.context, dlq);
    try {
      if (source.client === 'native') await runNativeKafkaSource(kafka, out, intake, this.context);
      else await runKafkajsSource(kafka, out, intake, this.context);
    } finally {
      await dlq.close();
    }
  }
}

/** kafkajs drives: OrderSource delivers fetched batches to `onBatch`; this loop parks on the stop word. */
async function runKafkajsSource(
  kafka: ReturnType<typeof createKafka>,
  out: CommandPublisher,
  intake: KafkaIntake,
  context: SourceContext<'kafka'>,
): Promise<void> {
  const source = context.config;
  const lowWater = Math.max(1, out.slotCount >> 2);
  let fatalError: Error | null = null;
  let lastErrorLog = 0;
  const consumer = new OrderSource(
    kafka,
    { topic: source.topic, groupId: source.groupId },
    {
      async onAssigned(partitions) {
        const start = new Map<number, number | null>();
        for (const p of partitions) start.set(p, intake.resumeAt.get(p)?.offset ?? null);
        const taken = await takenElsewhere(kafka, source.topic, partitions, intake.resumeAt);
        if (taken) {
          fatalError = taken;
          out.wake();
        }
        return start;
      },
      async onBatch(batch) {
        if (fatalError) return 0;
        try {
          return await takeBatch(batch);
        } catch (error) {
          fatalError = error as Error; // an engine bug, not a broker problem: fail loudly
          out.wake();
          return 0;
        }
      },
      async waitForSpace() {
        await out.waitForSpace(lowWater, 1000);
      },
      onError(error) {
        // Connection loss, coordinator moves, consumer crashes: OrderSource reconnects (and rebuilds
        // a crashed consumer, then re-assigns and seeks from resumeAt). Log it; not fatal.
        const now = nowMs();
        if (now - lastErrorLog > 1000) {
          lastErrorLog = now;
          process.stderr.write(`[ringmatch] kafka source: ${error.message} (reconnecting)\n`);
        }
      },
    },
  );
  async function takeBatch(batch: SourceBatch): Promise<number> {
    intake.begin();
    for (const record of batch.records) {
      if (!intake.take(batch.topic, batch.partition, record.offset, record.key, record.value, record.timestamp)) break;
    }
    const taken = intake.count;
    if (taken < batch.records.length && !intake.full) out.count(Stat.sourceStalls);
    await intake.end();
    return taken;
  }
  await consumer.start();
  parentPort!.postMessage({ type: 'source-started', partitions: consumer.assignment() });
  const idleMs = context.stopWhenIdleMs;
  // Parked on the stop word: a stop request or a failure (wake) ends the wait at once; the timeout
  // is for the idle check only.
  for (;;) {
    const stop = await out.whenStopRequested(idleMs > 0 ? Math.min(idleMs, 1000) : 60_000);
    if (fatalError) throw fatalError;
    if (stop) break;
    if (idleMs > 0 && nowMs() - intake.lastInput > idleMs && (await consumedToEnd(kafka, source.topic, consumer.assignment(), intake.resumeAt))) break;
  }
  await consumer.stop();
}
