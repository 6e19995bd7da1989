// Which source a run uses, by `--source`. Adding a source is adding its file and a case here.
import type { SourceConfig } from '../config.js';
import type { CommandSource, SourceContext } from './command-source.js';
import { EmbeddedSource } from './embedded-source.js';
import { KafkaSource } from './kafka-source.js';
import { NdjsonSource } from './ndjson-source.js';

export function openSource(context: SourceContext): CommandSource {
  const config = context.config;
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedSource({ ...context, config });
    case 'ndjson':
      return new NdjsonSource({ ...context, config });
    case 'kafka':
      return new KafkaSource({ ...context, config });
  }
}

/** Main-thread set-up a source needs before the workers start (Kafka: its topics). */
export async function prepareSource(config: SourceConfig): Promise<void> {
  if (config.kind === 'kafka') await KafkaSource.prepare(config);
}
