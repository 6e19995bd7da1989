// Which source a run uses, by `--source`. Adding a source is adding its file and a case here.
// Each source's module loads when a run picks it: the Kafka source brings kafkajs (some two
// hundred CommonJS files), which a file or embedded run's poller would load and compile for nothing.
import type { SourceConfig } from '../config.js';
import type { CommandSource, SourceContext } from './command-source.js';

export async function openSource(context: SourceContext): Promise<CommandSource> {
  const config = context.config;
  switch (config.kind) {
    case 'embedded': {
      const { EmbeddedSource } = await import('./embedded-source.js');
      return new EmbeddedSource({ ...context, config });
    }
    case 'ndjson': {
      const { NdjsonSource } = await import('./ndjson-source.js');
      return new NdjsonSource({ ...context, config });
    }
    case 'kafka': {
      const { KafkaSource } = await import('./kafka-source.js');
      return new KafkaSource({ ...context, config });
    }
  }
}

/** Main-thread set-up a source needs before the workers start (Kafka: its topics). */
export async function prepareSource(config: SourceConfig): Promise<void> {
  if (config.kind === 'kafka') await (await import('./kafka-source.js')).KafkaSource.prepare(config);
}
