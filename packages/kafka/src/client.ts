import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { KafkaConfig, logLevel } from 'kafkajs';

/** Parses `"host:port,host:port"` (e.g. `RINGMATCH_KAFKA_BROKERS`) into a broker list. */
export function parseBrokers(value: string | string[]): string[] {
  const list = (Array.isArray(value) ? value : value.split(',')).map((b) => b.trim()).filter((b) => b.length > 0);
  if (list.length === 0) throw new KafkaConfigError('brokers', 'no broker address given');
  for (const b of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b)) throw new KafkaConfigError('brokers', `not host:port: ${JSON.stringify(b)}`);
  }
  return list;
}

/** A configuration value the Kafka helpers cannot use. */
export class KafkaConfigError extends Error {
  override readonly name = 'KafkaConfigError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`kafka config ${field}: ${reason}`);
  }
}

export interface CreateKafkaOptions {
  brokers: string | string[];
  clientId?: string;
  /** kafkajs log level; default WARN (ERROR noise from retriable coordinator errors is filtered). */
  logLevel?: logLevel;
  /** Per request timeout (default 30 s) and connection timeout (default 3 s). */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Retry budget for retriable errors (default 10 retries, 300 ms initial, 5 s max backoff). */
  retries?: number;
}

// Errors kafkajs logs at ERROR level although they are retried and expected (broker startup,
// coordinator loading, rebalances). They make test and CI logs unreadable; everything else is kept.
const EXPECTED_TRANSIENT = [
  'The coordinator is loading',
  'The group coordinator is not available',
  'This is not the correct coordinator',
  'The group is rebalancing',
  'There is no leader for this topic-partition',
  'This server does not host this topic-partition',
  'Not coordinator',
];

/** A kafkajs client with bounded timeouts and quiet logs for retriable errors. */
export function createKafka(options: CreateKafkaOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const level = options.logLevel ?? KafkaLogLevel.WARN;
  const config: KafkaConfig = {
    clientId: options.clientId ?? 'ringmatch',
    brokers: parseBrokers(options.brokers),
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: options.retries ?? 10 },
    logLevel: level,
    logCreator:
      () =>
      ({ namespace, level: entryLevel, log }) => {
        if (entryLevel > level) return;
        const message = String(log.message ?? '');
        const error = String((log as { error?: unknown }).error ?? '');
        if (EXPECTED_TRANSIENT.some((t) => error.includes(t) || message.includes(t))) return;
        const { message: _m, timestamp: _t, logger: _l, ...rest } = log as Record<string, unknown>;
        process.stderr.write(`[kafkajs ${KafkaLogLevel[entryLevel] ?? entryLevel}] ${namespace}: ${message} ${JSON.stringify(rest)}\n`);
      },
  };
  return new Kafka(config);
}

/** Rejects with a clear error when `promise` does not settle within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new KafkaTimeoutError(what, ms)), ms);
        timer.unref?.();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export class KafkaTimeoutError extends Error {
  override readonly name = 'KafkaTimeoutError';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
  }
}

/** Retry policy for idempotent producers: unlimited retries (required for idempotence), short backoff. */
export const IDEMPOTENT_RETRY = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5000 };
