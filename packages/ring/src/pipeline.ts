import { RingBuffer } from './ring-buffer.js';
import type { ErrorPolicy, ProducerType, StageSpec } from './ring-options.js';
import { RingError } from './ring-error.js';
import type { WaitStrategy } from './wait-strategy.js';

export interface PipelineOptions {
  slotSize: number;
  slotCount: number;
  producer?: ProducerType;
  wait?: WaitStrategy;
  onError?: ErrorPolicy;
  initialSequence?: number;
}

/**
 * Topology builder. `then(x)` adds a stage (or several parallel stages, a fan-out) reading behind
 * the previous group (or the producer); a stage after a parallel group is a fan-in.
 *
 *   new Pipeline({ slotSize: 64, slotCount: 1 << 14 }).then('journaler').then('matcher').build()
 *   new Pipeline(o).then('a').then(['b', 'c']).then('d').build()          // diamond
 *   new Pipeline(o).stage('x', []).stage('y', ['x']).stage('z', ['x']).build()  // explicit deps
 */
export class Pipeline {
  private readonly options: PipelineOptions;
  private readonly stages: StageSpec[] = [];
  private previous: string[] = [];

  constructor(options: PipelineOptions) {
    this.options = options;
  }

  /** Stage(s) reading behind the previous group (fan-out when an array is given). */
  // biome-ignore lint/suspicious/noThenProperty: the builder's fluent name; a Pipeline is never awaited
  then(names: string | string[]): this {
    const group = Array.isArray(names) ? names : [names];
    if (group.length === 0) throw new RingError('BAD_CONFIG', 'then() needs at least one stage name');
    for (const name of group) this.stages.push({ name, after: [...this.previous] });
    this.previous = group;
    return this;
  }

  /** A stage with explicit dependencies ([] = behind the producer). */
  stage(name: string, after: string[] = []): this {
    this.stages.push({ name, after: [...after] });
    this.previous = [name];
    return this;
  }

  /** Allocate the SharedArrayBuffer with this topology (validated: unknown deps, duplicates...). */
  build(): RingBuffer {
    return RingBuffer.create({ ...this.options, stages: this.stages });
  }
}
