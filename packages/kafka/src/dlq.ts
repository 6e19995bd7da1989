import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { IDEMPOTENT_RETRY, KafkaConfigError, withTimeout } from './client.js';

export const DLQ_HEADERS = {
  reason: 'ringmatch-dlq-reason',
  sourceTopic: 'ringmatch-dlq-source-topic',
  partition: 'ringmatch-dlq-source-partition',
  offset: 'ringmatch-dlq-source-offset',
  timestamp: 'ringmatch-dlq-source-timestamp',
} as const;

/** A malformed input record: its original bytes, where it came from, and why it was refused. */
export interface DeadLetter {
  sourceTopic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  /** Source record timestamp (ms); optional. */
  timestamp?: number;
}

/**
 * Writes dead letters to the DLQ topic: value = the original bytes untouched, key = the original
 * key, headers = reason, source topic, partition, offset, timestamp. Idempotent producer; the
 * identity of a dead letter is (source topic, partition, offset), so a consumer of the DLQ can
 * drop the rare repeat after an engine crash (at-least-once). May share the publisher's producer.
 */
export class DeadLetterPublisher {
  readonly producer: Producer;
  private readonly own: boolean;

  constructor(
    kafka: Kafka,
    private readonly options: { topic: string; producer?: Producer; timeoutMs?: number },
  ) {
    if (!options.topic) throw new KafkaConfigError('topic', 'DLQ topic required');
    this.own = !options.producer;
    this.producer = options.producer ?? kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: IDEMPOTENT_RETRY });
  }

  async connect(): Promise<void> {
    if (this.own) await withTimeout(this.producer.connect(), this.options.timeoutMs ?? 30_000, 'dlq connect');
  }

  /** Writes the letters and waits for the acknowledgement (acks=all). */
  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await withTimeout(
      this.producer.send({
        topic: this.options.topic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            [DLQ_HEADERS.reason]: l.reason,
            [DLQ_HEADERS.sourceTopic]: l.sourceTopic,
            [DLQ_HEADERS.partition]: String(l.partition),
            [DLQ_HEADERS.offset]: String(l.offset),
            ...(l.timestamp !== undefined ? { [DLQ_HEADERS.timestamp]: String(l.timestamp) } : {}),
          },
        })),
      }),
      this.options.timeoutMs ?? 30_000,
      'dlq send',
    );
  }

  async close(): Promise<void> {
    if (this.own) await withTimeout(this.producer.disconnect(), this.options.timeoutMs ?? 30_000, 'dlq disconnect').catch(() => undefined);
  }
}

/** Reads a DLQ record back (for tools and tests). Throws if it is not a dead letter. */
export function parseDeadLetter(message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }): DeadLetter {
  const h = (name: string): string => {
    const v = message.headers?.[name];
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one === undefined) throw new KafkaConfigError(name, 'missing dead-letter header');
    return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
  };
  let timestamp: number | undefined;
  try {
    timestamp = Number(h(DLQ_HEADERS.timestamp));
  } catch {
    timestamp = undefined;
  }
  return {
    sourceTopic: h(DLQ_HEADERS.sourceTopic),
    partition: Number(h(DLQ_HEADERS.partition)),
    offset: Number(h(DLQ_HEADERS.offset)),
    key: message.key,
    value: message.value,
    reason: h(DLQ_HEADERS.reason),
    ...(timestamp !== undefined ? { timestamp } : {}),
  };
}
