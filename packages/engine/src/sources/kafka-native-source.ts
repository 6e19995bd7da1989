// The librdkafka driver of the Kafka source (--kafka-client native): @ringmatch/native-kafka's
// consumer copies a batch of fetched messages into one buffer, and the intake reads them in place,
// with no JS object per message (kafkajs builds several). The buffer is ours, so "ring full" needs
// no pause and re-fetch: the loop waits for room and goes on with the same buffer. Rebalances
// come back from poll() as events; the start offsets of newly assigned partitions come from the WAL.
// With the native JSON scanner (json-scanner.ts), runs of plainly valid JSON messages go from the
// poll buffer into command slots in one call; any other message goes through the intake's take().
import { parentPort } from 'node:worker_threads';
import { NativeRecordReader, type NativeConsumer, type createKafka } from '@ringmatch/kafka';
import { requireNativeKafka } from '../kafka-client.js';
import { createNativeScanner } from '../json-scanner.js';
import { Stat } from '../stats.js';
import { nowMs } from '../shared.js';
import type { CommandPublisher } from './command-publisher.js';
import type { SourceContext } from './command-source.js';
import type { KafkaIntake } from './kafka-intake.js';
import { consumedToEnd, takenElsewhere } from './kafka-partition-checks.js';

/** How the native source polls (the channel baseline in bench/ polls the same way). */
export const NATIVE_POLL = {
  /** Bytes of fetched messages per poll. */
  bytes: 4 << 20,
  /**
   * Messages per poll. librdkafka serves a rebalance only inside a poll, so what one poll fetched
   * must be taken quickly: a batch the ring takes in a few ms (and, under --rate, one paced step).
   * A whole buffer drained at a paced rate held a joining engine's rebalance for seconds.
   */
  maxMessages: 8192,
  /** A poll returns after this long with nothing fetched (the stop and idle checks run between polls). */
  waitMs: 100,
  closeTimeoutMs: 15_000,
  /**
   * librdkafka's prefetch. By default a partition stops fetching once 100,000 messages wait locally
   * and looks again only after fetch.error.backoff.ms (500 ms): the engine drains that in a tenth of
   * the time, then idled (measured: half a 400k-order binary run spent in empty polls, 113k orders/s;
   * with these, polls never ran dry and the run took 1.6x less). The bytes bound stays 64 MiB.
   */
  prefetch: {
    'queued.min.messages': '10000000',
    'queued.max.messages.kbytes': '65536',
    'fetch.error.backoff.ms': '10',
  } as Record<string, string>,
} as const;

export async function runNativeKafkaSource(
  kafka: ReturnType<typeof createKafka>,
  out: CommandPublisher,
  intake: KafkaIntake,
  context: SourceContext<'kafka'>,
): Promise<void> {
  const source = context.config;
  const native = await requireNativeKafka();
  const scanner = source.jsonScanner === 'native' ? await createNativeScanner(context.symbols) : null;
  const consumer = new native.NativeConsumer({
    brokers: source.brokers.join(','),
    groupId: source.groupId,
    topic: source.topic,
    clientId: 'ringmatch-poller',
    config: NATIVE_POLL.prefetch,
  });
  const buffer = new Uint8Array(NATIVE_POLL.bytes);
  const records = new NativeRecordReader(buffer);
  const lowWater = Math.max(1, out.slotCount >> 2);
  const assigned = new Set<number>();
  const idleMs = context.stopWhenIdleMs;
  const maxMessages = Math.min(NATIVE_POLL.maxMessages, intake.perBatch);
  let started = false;
  let lastErrorLog = 0;
  try {
    while (!out.stopRequested()) {
      const count = await consumer.poll(buffer, maxMessages, NATIVE_POLL.waitMs);
      if (consumer.hasEvents) {
        await rebalance(consumer, kafka, intake, assigned, source.topic, (message) => {
          const now = nowMs();
          if (now - lastErrorLog > 1000) {
            lastErrorLog = now;
            process.stderr.write(`[ringmatch] kafka source: ${message}\n`);
          }
        });
        if (!started && assigned.size > 0) {
          started = true;
          parentPort!.postMessage({ type: 'source-started', partitions: [...assigned].sort((a, b) => a - b) });
        }
      }
      if (count > 0) {
        if (!(await takeAll(count))) break;
      } else if (idleMs > 0 && nowMs() - intake.lastInput > idleMs && (await consumedToEnd(kafka, source.topic, [...assigned], intake.resumeAt))) break;
    }
  } finally {
    await consumer.close(NATIVE_POLL.closeTimeoutMs).catch((error: Error) => process.stderr.write(`[ringmatch] kafka source close: ${error.message}\n`));
  }

  /** Hands the `count` polled messages to the intake, waiting for ring room as often as needed. False on a stop. */
  async function takeAll(count: number): Promise<boolean> {
    records.reset(count);
    let pending = nextAssigned();
    while (pending) {
      intake.begin();
      while (pending) {
        if (scanner !== null && intake.takeRun(records, scanner) > 0) {
          pending = nextAssigned();
          continue; // the run stopped before this record (or the batch is full): take() decides
        }
        if (!intake.take(source.topic, records.partition, records.offset, records.key(), records.value(), records.timestamp)) break;
        pending = nextAssigned();
      }
      const full = intake.full;
      const none = intake.count === 0;
      if (!(await intake.end())) return false;
      if (pending && !full) {
        out.count(Stat.sourceStalls);
        // A message that did not fit even alone needs more than the low-water mark: wait for an empty ring.
        await out.waitForSpace(none ? out.slotCount : lowWater, 1000);
      }
      if (out.stopRequested()) return false;
    }
    return true;
  }

  /** The next polled record of a partition still assigned: a poll can end on a revoke, and what it fetched of a revoked partition is not ours to take. */
  function nextAssigned(): boolean {
    while (records.next()) if (assigned.has(records.partition)) return true;
    return false;
  }
}

/** Applies the rebalance events of the last poll: assignments start where the WAL says. */
async function rebalance(
  consumer: NativeConsumer,
  kafka: ReturnType<typeof createKafka>,
  intake: KafkaIntake,
  assigned: Set<number>,
  topic: string,
  log: (message: string) => void,
): Promise<void> {
  for (const event of consumer.takeEvents()) {
    if (event.kind === 'revoke') {
      for (const p of event.partitions) assigned.delete(p);
      intake.revoke(event.partitions);
    } else if (event.kind === 'assign') {
      const partitions = event.partitions;
      const taken = await takenElsewhere(kafka, topic, partitions, intake.resumeAt);
      if (taken) throw taken;
      consumer.assign(
        partitions,
        partitions.map((p) => intake.resumeAt.get(p)?.offset ?? null),
      );
      for (const p of partitions) assigned.add(p);
      intake.assign(partitions);
    } else log(event.message ?? `${event.kind} event`);
  }
}
