export {
  CommandKind,
  ExecStatus,
  Field,
  OrderType,
  OutputKind,
  Reason,
  Side,
  StpMode,
  TimeInForce,
  createCommand,
  copyReport,
  createReport,
  createTrade,
  fieldName,
  reasonText,
  type Command,
  type DecodeReason,
  type ExecutionReport,
  type Trade,
} from './types.js';
export {
  COMMAND_SLOT_BYTES,
  CommandSlot,
  MARK_FLAG_SNAPSHOT,
  SNAPSHOT_MARK,
  MAX_SLOT_OFFSET,
  OUTPUT_SLOT_BYTES,
  OutputSlot,
  REPORT_FLAG_SOURCE,
  SLOT_SIZE,
  hasSnapshotMark,
  hasBatchEndMark,
  markBatchEnd,
  markSnapshot,
  readCommand,
  readCommandSeq,
  readCommandSourcePosition,
  readCommandSourceStream,
  readCommandSymbolId,
  readMarkFlags,
  readOutput,
  readOutputKind,
  readOutputSeq,
  readReport,
  readTrade,
  writeCommand,
  writeCommandSeq,
  writeMark,
  writeReport,
  writeTrade,
} from './slot.js';
export { SymbolTable, defaultSymbolTable, syntheticSymbolTable, type SymbolDef } from './symbols.js';
export { DecodeError, invalidCommand, type DecodeOptions } from './decoding.js';
export { commandFromJson } from './json-decode.js';
export { commandToJson } from './json-encode.js';
export { decodeJsonCommandFast, decodeMessage, decodeMessageEach, decodeMessageLenient, encodeMessage, type WireFormat } from './messages.js';
export { encodeReportJson, encodeTradeJson, parseOutputJson, type ParsedOutput } from './output-json.js';
export { OutputJsonEncoder, type OutputJsonText } from './output-json-encoder.js';
export { DepthKind, createDepthUpdate, encodeDepthJson, parseDepthJson, readDepth, writeDepth, type DepthUpdate } from './depth.js';
export { OUTPUT_BATCH_HEADER_BYTES, OutputBatchError, decodeOutputBatch, isOutputBatch, writeOutputBatchHeader } from './output-batch.js';
