// The options of recoverLog and openWal, their defaults and their validation (one place, so the
// two agree on what a valid segment size or first sequence is).
import { WalError } from './errors.js';
import { FRAME_HEADER_SIZE, SEGMENT_HEADER_SIZE } from './format.js';
import type { BackendName } from './native-module.js';
import type { RecoveryResult } from './recover.js';

/** What recovery needs: the subset of WalOptions that `recoverLog` reads. */
export interface RecoverOptions {
  /** Size of each preallocated segment file in bytes (default 64 MiB). A batch must fit in one. */
  segmentSize?: number;
  /**
   * Called by recovery for every valid record of the log, in sequence order, each once, as the
   * scan meets it: the records the newest snapshot covers included, the records of a torn tail
   * (cut, or in `readOnly` mode to be cut) never. A log that ends before its snapshot is dropped
   * after the scan: its records were all covered by the snapshot, so a caller that keeps, per
   * stream, the newest of the snapshot's state and the records (what resuming needs) is not
   * misled. `payload` is a view into the segment read for the scan: copy what you keep. When
   * recovery throws, the calls made so far describe no result.
   */
  onRecord?: (payload: Uint8Array, sequence: number) => void;
  /** Sequence of the first record of a new, empty log (default 1). */
  firstSequence?: number;
  /**
   * Report only (recoverLog): the result is what recovery would give, and nothing on disk changes
   * (a torn tail stays, temp files stay). For offline readers such as a replay.
   */
  readOnly?: boolean;
}

export interface WalOptions extends RecoverOptions {
  /**
   * 'auto' (default): `RINGMATCH_WAL_BACKEND` (fs|native) if set, else native when
   * @ringmatch/native loads, else fs. 'native' throws WAL_BACKEND when the module is missing.
   */
  backend?: 'auto' | BackendName;
  /** Snapshots kept after a new one is written (default 2, at least 1). */
  keepSnapshots?: number;
  /** Called after every successful write + fdatasync. */
  onSync?: (info: { durationNs: number; records: number; bytes: number; durableSequence: number }) => void;
  /** Tests only: the N-th write+sync (1-based) fails with EIO at the fdatasync step. */
  faults?: { failSyncAt?: number };
  /**
   * The result of `recoverLog(dir)` run just before, under the data dir's lock: openWal trusts it
   * and opens for appending without scanning the log again (`onRecord` and `firstSequence` are then
   * not used). Without it openWal recovers the directory itself.
   */
  recovery?: RecoveryResult;
}

const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
const MIN_SEGMENT_SIZE = SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE + 1;

export function segmentSizeOption(options: RecoverOptions): number {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > 2 ** 32) {
    throw new WalError('WAL_INVALID', `segmentSize must be an integer in [${MIN_SEGMENT_SIZE}, 2^32], got ${segmentSize}`);
  }
  return segmentSize;
}

export function firstSequenceOption(options: RecoverOptions): number {
  const firstSequence = options.firstSequence ?? 1;
  if (!Number.isSafeInteger(firstSequence) || firstSequence < 0) throw new WalError('WAL_INVALID', `firstSequence must be a safe integer >= 0`);
  return firstSequence;
}

export function keepSnapshotsOption(options: WalOptions): number {
  const keepSnapshots = options.keepSnapshots ?? 2;
  if (!Number.isInteger(keepSnapshots) || keepSnapshots < 1) throw new WalError('WAL_INVALID', 'keepSnapshots must be an integer >= 1');
  return keepSnapshots;
}
