// The public API of @ringmatch/book (the package's only entry point).
export { type FlowMix, DEFAULT_MIX, SUBSET_MIX, type OrderFlowOptions, OrderFlowGenerator } from './generator.js';
export { MatchingEngine } from './matching-engine.js';
export { DepthTracker, type DepthSink, type LevelsTarget } from './depth-tracker.js';
export { decodeDepthState, encodeDepthState, type DepthState } from './depth-state.js';
export { type BookOutput, CollectingSink, CountingSink, NdjsonSink } from './sinks.js';
export { SnapshotError } from './snapshot-bytes.js';
export { COUNTER_KEYS } from './snapshot-codec.js';
export type { BookSink, DepthLevel, EngineCounters, L2Depth, LevelsSource, MatchingEngineOptions, OrderInfo } from './types.js';
