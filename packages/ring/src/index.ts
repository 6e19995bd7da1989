// The public API of @ringmatch/ring, by name (the package exports only this entry point).
export { RingBuffer, type RingDescriptor, type RingErrorRecord, type CursorSnapshot } from './ring-buffer.js';
export type { RingOptions, StageSpec, ProducerType, ErrorPolicy } from './ring-options.js';
export { Pipeline, type PipelineOptions } from './pipeline.js';
export { Sequence } from './sequence.js';
export { SequenceBarrier } from './sequence-barrier.js';
export { isTrimmable, type Sequencer, type TrimmableSequencer } from './sequencer.js';
export { Stage, runStage } from './stage.js';
export type { RunOptions, RunResult, BatchHandler, AsyncBatchHandler, EventHandler } from './run-options.js';
export { SlotError } from './slot-error.js';
export { SequenceSet, type SequenceSetDescriptor, type SequenceSetOptions } from './sequence-set.js';
export { HALTED, TIMEOUT, INSUFFICIENT_CAPACITY, ENDED } from './status-codes.js';
export { LINE_BYTES, fullSequence } from './layout.js';
export { WaitStrategies, DEFAULT_WAIT, type WaitStrategy } from './wait-strategy.js';
export { RingError, type RingErrorCode } from './ring-error.js';
