// Which sink a run uses: Kafka topics when the source is Kafka, NDJSON files otherwise. Adding a
// sink is adding its file and a line here.
import type { OutputSink, SinkContext } from './output-sink.js';
import { FileSink } from './file-sink.js';
import { KafkaSink } from './kafka-sink.js';

export async function openSink(context: SinkContext, ringBytes: Uint8Array): Promise<OutputSink> {
  switch (context.source.kind) {
    case 'kafka':
      return KafkaSink.open(context, ringBytes);
    case 'embedded':
    case 'ndjson':
      return FileSink.open(context);
  }
}
