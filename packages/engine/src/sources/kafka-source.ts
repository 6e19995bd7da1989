// Kafka source: a consumer-group member whose offsets live in the WAL. Each fetched batch is
// decoded (bad messages become Invalid commands and dead letters) and published as far as the ring
// has room; the rest is re-fetched after the source pauses (backpressure, no unbounded queue).
import { parentPort } from 'node:worker_threads';
import {
  CommandKind,
  DecodeError,
  Field,
  Reason,
  createCommand,
  decodeMessageEach,
  invalidCommand,
  reasonText,
  type Command,
  type DecodeOptions,
} from '@ringmatch/protocol';
import { DeadLetterPublisher, OrderSource, createKafka, ensureTopics, partitionCount, topicOffsets, type DeadLetter, type SourceBatch } from '@ringmatch/kafka';
import type { SourceConfig } from '../config.js';
import { Stat } from '../stats.js';
import { dlqTopic, nowMs, reportsTopic, tradesTopic } from '../shared.js';
import type { CommandPublisher } from './command-publisher.js';
import { CommandStaging } from './command-staging.js';
import type { CommandSource, SourceContext } from './command-source.js';

const EMPTY = new Uint8Array(0);

export class KafkaSource implements CommandSource {
  constructor(private readonly context: SourceContext<'kafka'>) {}

  /** On the main thread, before the workers: the orders topic must exist; output and dead-letter topics are created like it. */
  static async prepare(source: Extract<SourceConfig, { kind: 'kafka' }>): Promise<void> {
    const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-admin' });
    let partitions: number;
    try {
      partitions = await partitionCount(kafka, source.topic, { timeoutMs: 30_000 });
    } catch (error) {
      throw new Error(`cannot read orders topic ${source.topic} on ${source.brokers.join(',')}: ${(error as Error).message}`);
    }
    if (partitions === 0) throw new Error(`orders topic ${source.topic} does not exist`);
    await ensureTopics(
      kafka,
      [tradesTopic(source.topic), reportsTopic(source.topic), dlqTopic(source.topic)].map((topic) => ({ topic, partitions })),
      { timeoutMs: 30_000 },
    );
  }

  async run(out: CommandPublisher): Promise<void> {
    const source = this.context.config;
    const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-poller' });
    const dlq = new DeadLetterPublisher(kafka, { topic: dlqTopic(source.topic) });
    await dlq.connect();
    // Next offset to read per partition, and how many commands of that message the WAL already has.
    const resumeAt = new Map<number, { offset: number; skip: number }>();
    const counts = new Map(this.context.resume.commandsAtLastPosition);
    for (const [partition, offset] of this.context.resume.positions)
      resumeAt.set(partition, { offset, skip: counts.get(partition) ?? Number.MAX_SAFE_INTEGER });
    const lowWater = Math.max(1, out.slotCount >> 2);
    let lastInput = nowMs();
    let fatalError: Error | null = null;
    let lastErrorLog = 0;
    let paceStart = 0;
    let paced = 0;
    const consumer = new OrderSource(
      kafka,
      { topic: source.topic, groupId: source.groupId },
      {
        async onAssigned(partitions) {
          const start = new Map<number, number | null>();
          for (const p of partitions) start.set(p, resumeAt.get(p)?.offset ?? null);
          const unknown = partitions.filter((p) => !resumeAt.has(p));
          if (unknown.length > 0) {
            const taken = await processedElsewhere(kafka, source.topic, unknown).catch(
              (e: Error) => `cannot check whether partition(s) ${unknown.join(',')} were processed elsewhere: ${e.message}`,
            );
            if (taken) {
              fatalError = new Error(taken);
              out.wake();
            }
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
    // The hot path allocates nothing per command: one options object re-stamped per message, one
    // scratch command the decoder fills, written straight into a staging slot; the batch is then
    // claimed and copied into the ring in one go (profiled: per-message Command objects, arrays
    // and option objects made GC the poller's largest cost, and the poller is the pipeline's
    // critical path on Kafka).
    const decodeOptions: DecodeOptions = { symbols: this.context.symbols, sourceStream: -1, sourcePosition: -1 };
    const scratch = createCommand();
    const staging = new CommandStaging(8192);
    let invalidInMessage = 0;
    let firstInvalid: Command | null = null;
    const stage = (c: Command): void => {
      if (staging.add(c) && c.kind === CommandKind.Invalid) {
        invalidInMessage++;
        firstInvalid ??= c;
      }
    };
    async function takeBatch(batch: SourceBatch): Promise<number> {
      lastInput = nowMs();
      const capacity = out.remainingCapacity();
      const letters: DeadLetter[] = [];
      let taken = 0;
      // --rate: at most 1/20 s worth of messages per call (the source re-fetches the rest).
      const limit = out.rate > 0 ? Math.max(1, Math.ceil(out.rate / 20)) : Number.MAX_SAFE_INTEGER;
      const resume = resumeAt.get(batch.partition);
      let nextOffset = -1;
      staging.count = 0;
      decodeOptions.sourceStream = batch.partition;
      for (const record of batch.records) {
        if (taken >= limit) break;
        const before = staging.count;
        decodeOptions.sourcePosition = record.offset;
        staging.skip = resume && resume.offset === record.offset ? resume.skip : 0;
        invalidInMessage = 0;
        firstInvalid = null;
        decodeMessageEach(record.value ?? EMPTY, source.format, decodeOptions, scratch, stage);
        if (staging.count - before > out.slotCount) {
          // Could never fit in the ring: reject the message as a whole rather than stall.
          const count = staging.count - before;
          staging.count = before;
          invalidInMessage = 0;
          firstInvalid = null;
          stage(
            invalidCommand(new DecodeError(Reason.TooLarge, Field.Batch, 0, `${count} commands > ring size ${out.slotCount}`), batch.partition, record.offset),
          );
        }
        if (staging.count > capacity) {
          staging.count = before; // no room for this message: it is fetched again after the pause
          break;
        }
        const invalid = firstInvalid as Command | null; // set by stage() during the decode
        if (invalid !== null) {
          out.count(Stat.malformed, invalidInMessage);
          letters.push({
            sourceTopic: batch.topic,
            partition: batch.partition,
            offset: record.offset,
            key: record.key,
            value: record.value,
            reason: reasonText(invalid.reason),
            timestamp: record.timestamp,
          });
        }
        nextOffset = record.offset + 1;
        taken++;
      }
      if (nextOffset >= 0) resumeAt.set(batch.partition, { offset: nextOffset, skip: 0 });
      out.count(Stat.inputMessages, taken);
      // Fits: checked against the capacity above, and the claim cannot wait.
      if (staging.count > 0 && !out.publishStaged(staging.bytes, staging.count)) return taken;
      if (taken < batch.records.length && taken < limit) out.count(Stat.sourceStalls);
      if (letters.length > 0) await dlq.send(letters);
      if (out.rate > 0) {
        // paced from the first batch (the group join does not count)
        if (paceStart === 0) paceStart = nowMs() - (taken * 1000) / out.rate;
        paced += taken;
        const aheadMs = (paced * 1000) / out.rate - (nowMs() - paceStart);
        if (aheadMs > 1) await out.whenStopRequested(Math.min(aheadMs, 1000)); // pacing; a stop ends it
      }
      return taken;
    }
    await consumer.start();
    parentPort!.postMessage({ type: 'source-started', partitions: consumer.assignment() });
    const idleMs = this.context.stopWhenIdleMs;
    // Parked on the stop word: a stop request or a failure (wake) ends the wait at once; the timeout
    // is for the idle check only.
    for (;;) {
      const stop = await out.whenStopRequested(idleMs > 0 ? Math.min(idleMs, 1000) : 60_000);
      if (fatalError) throw fatalError;
      if (stop) break;
      if (idleMs > 0 && nowMs() - lastInput > idleMs && (await consumedToEnd(kafka, source.topic, consumer.assignment(), resumeAt))) break;
    }
    await consumer.stop();
    await dlq.close();
  }
}

/**
 * Guard against processing a partition twice: this engine's WAL has no offset for `partitions`,
 * but if their output partitions already hold records, another engine (with its own WAL and
 * books) processed them, e.g. a rebalance moved the partition here. Re-reading it from the start
 * would publish its trades again, so refuse loudly (the other engine resumes it from its WAL).
 * Orders keyed by symbol with the default partitioner and output topics with the same partition
 * count (as prepareTopics creates them) put the outputs of input partition p in output partition p.
 */
async function processedElsewhere(kafka: ReturnType<typeof createKafka>, topic: string, partitions: number[]): Promise<string | null> {
  const inputs = await topicOffsets(kafka, topic);
  for (const out of [tradesTopic(topic), reportsTopic(topic)]) {
    const marks = await topicOffsets(kafka, out);
    if (marks.size !== inputs.size) continue; // not our topology: no mapping to check
    const busy = partitions.filter((p) => {
      const m = marks.get(p);
      return m !== undefined && m.high > m.low;
    });
    if (busy.length > 0) {
      return `partition(s) ${busy.join(',')} of ${topic} were assigned to this engine, whose WAL has no offset for them, but ${out} partition(s) ${busy.join(',')} already hold output: another engine processed them (a rebalance moved them here?). Re-reading them from the start would publish their trades twice; refusing. Run a fixed set of engines that all join before orders flow, or restart the engine that owns this partition's WAL.`;
    }
  }
  return null;
}

async function consumedToEnd(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  assigned: number[],
  resumeAt: Map<number, { offset: number }>,
): Promise<boolean> {
  if (assigned.length === 0) return false;
  let ends: Awaited<ReturnType<typeof topicOffsets>>;
  try {
    ends = await topicOffsets(kafka, topic);
  } catch {
    return false; // broker unreachable (e.g. restarting): not idle, the consumer reconnects
  }
  return assigned.every((p) => (resumeAt.get(p)?.offset ?? 0) >= (ends.get(p)?.high ?? 0));
}
