// The source plug-in interface. The poller worker opens the run's source, lets it prepare, and once
// the pipeline is ready hands it the command publisher; the source fills claimed command slots
// until its input ends or a stop is requested.
// Where it resumes comes from the recovery plan (the WAL's last source position per partition).
// A source is one file in this folder, registered in source-registry.ts.
import type { SymbolTable } from '@ringmatch/protocol';
import type { SourceConfig } from '../config.js';
import type { SourceResume } from '../recovery-plan.js';
import type { CommandPublisher } from './command-publisher.js';

export interface CommandSource {
  /**
   * Work that needs no room in the ring, done while the stages behind the poller start (building
   * pregenerated orders): it publishes nothing. The poller then waits for them before `run`.
   */
  prepare?(out: CommandPublisher): void | Promise<void>;
  /** Publishes commands until the input ends or `out.stopRequested()`. */
  run(out: CommandPublisher): void | Promise<void>;
}

export interface SourceContext<Kind extends SourceConfig['kind'] = SourceConfig['kind']> {
  config: Extract<SourceConfig, { kind: Kind }>;
  symbols: SymbolTable;
  resume: SourceResume;
  /** Kafka: stop once every assigned partition is consumed to its end and no input came for this long (0: never). */
  stopWhenIdleMs: number;
}

/** Embedded and file sources are one "partition" 0; the offset is the generator index / line number. */
export const SINGLE_PARTITION = 0;
