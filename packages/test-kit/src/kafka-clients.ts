// The Kafka clients the engine's Kafka tests run on: kafkajs always, librdkafka
// (@ringmatch/native-kafka) when it loads. CI builds it and sets RINGMATCH_EXPECT_NATIVE_KAFKA=1,
// so there a module that fails to load fails the tests instead of quietly testing kafkajs alone.
import { loadNativeKafka, nativeKafkaLoadFailure } from '@ringmatch/kafka';

export type KafkaClientName = 'kafkajs' | 'native';

export async function kafkaClientsUnderTest(): Promise<KafkaClientName[]> {
  const native = await loadNativeKafka();
  if (native) return ['kafkajs', 'native'];
  const why = String(nativeKafkaLoadFailure() ?? 'not built').split('\n')[0];
  if (process.env.RINGMATCH_EXPECT_NATIVE_KAFKA === '1') throw new Error(`RINGMATCH_EXPECT_NATIVE_KAFKA=1 but @ringmatch/native-kafka does not load: ${why}`);
  process.stderr.write(`\n!!! Kafka engine tests on kafkajs only: @ringmatch/native-kafka does not load (${why}) !!!\n\n`);
  return ['kafkajs'];
}
