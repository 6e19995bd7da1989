// First: kafkajs speed-ups (native CRC32C, encoder growth without zero-fill) before kafkajs loads.
export { encoderGrowths, nativeCrcCalls } from './kafkajs-speedups.js';
export { logLevel, AssignerProtocol } from 'kafkajs';
export { createKafka, parseBrokers, withTimeout, KafkaConfigError, IDEMPOTENT_RETRY } from './client.js';
export { ensureTopics, deleteTopics, partitionCount, topicOffsets, topicRecordLimits } from './admin.js';
export { OrderSource } from './source.js';
export { assignRoundRobin, subscribedRoundRobin, ROUND_ROBIN_PROTOCOL } from './round-robin-assigner.js';
export type { SourceBatch, StartOffsets } from './source.js';
export { Publisher, partitionForKey, OutOfOrderError, FIRST_HEADER, COUNT_HEADER } from './publisher.js';
export { lastPublishedSequence, readPosition, SEQ_HEADER, IDX_HEADER } from './tail.js';
export type { PublishedPosition } from './tail.js';
export { DeadLetterPublisher, parseDeadLetter } from './dlq.js';
export type { DeadLetter } from './dlq.js';
export { loadNativeKafka, nativeKafkaLoadFailure } from './native-module.js';
export type {
  NativeKafkaModule,
  NativeProducer,
  NativeConsumer,
  NativeConsumerEvent,
  NativeProduceBatch,
  NativeProducerOptions,
  NativeConsumerOptions,
} from './native-module.js';
export { flatBatch, NativeRecordReader, NATIVE_RECORD_HEADER } from './native-records.js';
export type { FlatMessage } from './native-records.js';
export { kafkajsTransport, nativeTransport } from './producer-transport.js';
export type { ProducerTransport, TopicMessages } from './producer-transport.js';
