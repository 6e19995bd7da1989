// How `Publisher` sends a request: through kafkajs (default) or @ringmatch/native-kafka.
import type { Message, Producer } from 'kafkajs';
import type { NativeProducer } from './native-module.js';
import { flatBatch } from './native-records.js';
import type { FlatMessage } from './native-records.js';

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** A produce request, acks=all, idempotent; `send` resolves when all of it is acknowledged. */
export interface ProducerTransport {
  readonly name: 'kafkajs' | 'native';
  /** Requests the publisher may have on the wire at once, each partition staying in order. */
  readonly maxInFlight: number;
  connect(): Promise<void>;
  send(request: TopicMessages[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function kafkajsTransport(producer: Producer): ProducerTransport {
  return {
    name: 'kafkajs',
    // kafkajs' idempotent producer keeps order only with one request in flight
    maxInFlight: 1,
    connect: () => producer.connect(),
    send: async (topicMessages) => {
      await producer.sendBatch({ acks: -1, topicMessages });
    },
    disconnect: () => producer.disconnect(),
  };
}

function flat(m: Message): FlatMessage {
  if (m.partition === undefined) throw new Error('native transport: every message needs an explicit partition');
  const headers: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) throw new Error(`native transport: header ${k} has several values`);
    headers[k] = v;
  }
  const value = m.value ?? Buffer.alloc(0);
  return { partition: m.partition, key: m.key ?? null, value: typeof value === 'string' ? Buffer.from(value) : value, headers };
}

/** Sends through a NativeProducer (librdkafka); `close` on disconnect, bounded by `timeoutMs`. */
export function nativeTransport(producer: NativeProducer, timeoutMs = 30_000): ProducerTransport {
  return {
    name: 'native',
    // librdkafka's idempotent producer keeps each partition in order with up to 5 in flight; the
    // messages of one send are enqueued in call order, before the next send starts
    maxInFlight: 4,
    connect: async () => undefined,
    send: async (request) => {
      await Promise.all(request.map((t) => producer.sendBatch(t.topic, flatBatch(t.messages.map(flat)))));
    },
    disconnect: () => producer.close(timeoutMs),
  };
}
