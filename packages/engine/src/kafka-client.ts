// Which Kafka client a run uses (--kafka-client): librdkafka through the optional
// @ringmatch/native-kafka module, or kafkajs. Resolved once on the main thread before the workers
// start, so the source and the sink use the same client and the run says which.
import { loadNativeKafka, nativeKafkaLoadFailure, type NativeKafkaModule } from '@ringmatch/kafka';
import type { KafkaClientChoice } from './config.js';

export interface KafkaClientResolution {
  client: 'kafkajs' | 'native';
  /** One line for the log: the client and, for a fallback, why. */
  line: string;
}

/** Thrown when --kafka-client native was asked for and the module does not load. */
export class NativeKafkaUnavailable extends Error {
  override readonly name = 'NativeKafkaUnavailable';
}

function reason(): string {
  const failure = nativeKafkaLoadFailure();
  const message = failure instanceof Error ? failure.message : String(failure ?? 'not built');
  return message.split('\n')[0]!;
}

export async function resolveKafkaClient(asked: KafkaClientChoice): Promise<KafkaClientResolution> {
  if (asked === 'kafkajs') return { client: 'kafkajs', line: 'kafka client: kafkajs (--kafka-client kafkajs)' };
  const native = await loadNativeKafka();
  if (native) return { client: 'native', line: `kafka client: native (${native.nativeKafkaInfo()})` };
  if (asked === 'native') {
    throw new NativeKafkaUnavailable(
      `--kafka-client native: @ringmatch/native-kafka does not load (${reason()}); build it with \`npm run build:native -w @ringmatch/native-kafka\` (needs cargo and librdkafka-dev), or run with --kafka-client kafkajs`,
    );
  }
  return { client: 'kafkajs', line: `kafka client: kafkajs (native-kafka not loaded: ${reason()})` };
}

/** The native module in a worker of a run resolved to the native client (it loaded on the main thread). */
export async function requireNativeKafka(): Promise<NativeKafkaModule> {
  const native = await loadNativeKafka();
  if (!native) throw new NativeKafkaUnavailable(`--kafka-client native: @ringmatch/native-kafka did not load in this worker: ${reason()}`);
  return native;
}
