export { WalCorruptError, WalError, WalFatalError, type WalErrorCode } from './errors.js';
export { openWal, Wal, type SnapshotWriteResult } from './wal.js';
export { recoverLog, type RecoveryResult, type Truncation } from './recover.js';
export type { RecoverOptions, WalOptions } from './options.js';
export { repairWal, type RepairOptions, type RepairResult } from './repair.js';
export type { LogWarning } from './log-scan.js';
export { isWalFileName, snapshotFiles, type SnapshotFileInfo } from './files.js';
export { availableBackends, loadNative, nativeLoadFailure, type BackendName, type NativeModule } from './native-module.js';
export {
  describeWal,
  dumpRecords,
  listSegments,
  listSnapshots,
  readFrames,
  readLatestSnapshot,
  readRecords,
  readSnapshotFile,
  type LoadedSnapshot,
  type SegmentInfo,
  type WalSummary,
  type WalFrame,
  type WalRecord,
} from './reader.js';
export {
  FRAME_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  SNAPSHOT_HEADER_SIZE,
  segmentName,
  snapshotName,
} from './format.js';
