export {
  RingBuffer,
  Sequence,
  SequenceBarrier,
  SingleProducerSequencer,
  MultiProducerSequencer,
  Stage,
  SlotError,
  HALTED,
  TIMEOUT,
  INSUFFICIENT_CAPACITY,
  ENDED,
  LINE_BYTES,
  fullSequence,
  runStage,
} from './ring.js';
export type {
  Sequencer,
  RingOptions,
  RingDescriptor,
  StageSpec,
  ProducerType,
  ErrorPolicy,
  RingErrorRecord,
  CursorSnapshot,
  RunOptions,
  RunResult,
  BatchHandler,
  AsyncBatchHandler,
  EventHandler,
} from './ring.js';
export { Pipeline, type PipelineOptions } from './pipeline.js';
export { WaitStrategies, DEFAULT_WAIT, RingError, type WaitStrategy, type RingErrorCode } from './wait.js';
export { SequenceSet, type SequenceSetDescriptor, type SequenceSetOptions } from './sequence-set.js';
