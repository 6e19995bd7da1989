// First: kafkajs speed-ups (native CRC32C, encoder growth without zero-fill) before kafkajs loads.
export { encoderGrowths, nativeCrcCalls } from './kafkajs-speedups.js';
export { logLevel } from 'kafkajs';
export { createKafka, parseBrokers, withTimeout, KafkaConfigError, KafkaTimeoutError, IDEMPOTENT_RETRY } from './client.js';
export type { CreateKafkaOptions } from './client.js';
export { ensureTopics, deleteTopics, partitionCount, topicOffsets } from './admin.js';
export type { TopicSpec } from './admin.js';
export { OrderSource } from './source.js';
export type { SourceRecord, SourceBatch, StartOffsets, OrderSourceHandlers, OrderSourceOptions } from './source.js';
export { Publisher, partitionForKey, OutOfOrderError, PublishFailedError, FIRST_HEADER, COUNT_HEADER } from './publisher.js';
export type { OutputRecord, ResumePoint, PublisherOptions } from './publisher.js';
export { lastPublishedSequence, readPosition, comparePositions, MissingSequenceError, SEQ_HEADER, IDX_HEADER } from './tail.js';
export type { PublishedPosition } from './tail.js';
export { DeadLetterPublisher, parseDeadLetter, DLQ_HEADERS } from './dlq.js';
export type { DeadLetter } from './dlq.js';
