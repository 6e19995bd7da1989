// Which sink a run uses: Kafka topics when the source is Kafka, NDJSON files otherwise. Adding a
// sink is adding its file and a line here. Each sink's module loads when a run picks it (the Kafka
// sink brings kafkajs, which a file run's sink thread would load and compile for nothing).
import type { OutputSink, SinkContext } from './output-sink.js';

export async function openSink(context: SinkContext, ringBytes: Uint8Array): Promise<OutputSink> {
  switch (context.source.kind) {
    case 'kafka':
      return (await import('./kafka-sink.js')).KafkaSink.open(context, ringBytes);
    case 'embedded':
    case 'ndjson':
      return (await import('./file-sink.js')).FileSink.open(context);
  }
}
