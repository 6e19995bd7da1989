export { Engine } from './engine.js';
export type { EngineSummary } from './engine-summary.js';
export { parseCommandLine, UsageError, type RunConfig } from './config.js';
export { Stat } from './stats.js';
export { replayDataDir } from './replay.js';
// For the channel baseline engine in bench/channel, which hands its outputs to the ring engine's own sinks, so both write the same bytes the same way.
export { FileSink } from './sinks/file-sink.js';
export { KafkaSink } from './sinks/kafka-sink.js';
export type { OutputSink, SinkContext } from './sinks/output-sink.js';
export type { SourceConfig } from './config.js';
// ... and polls Kafka as the native source does.
export { NATIVE_POLL } from './sources/kafka-native-source.js';
export { NATIVE_PARTITIONS } from './sources/kafka-intake.js';
export { nowMs, reportsTopic, tradesTopic } from './shared.js';
export { packOutputs, unpackOutputs } from './kafka-format.js';
export { NdjsonCommandReader } from './sources/ndjson-reader.js';
export { CommandStaging } from './sources/command-staging.js';
export { createNativeScanner, resolveJsonScanner, type NativeCommandScanner } from './json-scanner.js';
export { loadFileWindows, openFileWindows, type FileWindowsClass } from './file-windows.js';
export { resolveJsonWriter } from './json-writer.js';
export { createNativeBook, NATIVE_COUNTER_KEYS, resolveBook, type NativeBookHandle } from './native-book.js';
