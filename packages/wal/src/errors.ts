export type WalErrorCode =
  | 'WAL_FATAL' // a write or fdatasync failed: the writer is stopped for good
  | 'WAL_BUSY' // a third append while one batch syncs and one waits
  | 'WAL_SEQUENCE' // append with a first sequence other than `nextSequence`
  | 'WAL_INVALID' // bad arguments (sizes, lengths, options)
  | 'WAL_CLOSED' // append after close()
  | 'WAL_RECOVERY' // the log cannot be recovered (e.g. records missing between a snapshot and the log)
  | 'WAL_CORRUPT' // the log is damaged before its end (WalCorruptError): refused, nothing changed
  | 'WAL_BACKEND'; // the requested backend is not available

export class WalError extends Error {
  readonly code: WalErrorCode;
  constructor(code: WalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WalError';
    this.code = code;
  }
}

/** The writer hit an I/O error (write or fdatasync). It never retries: nothing more is appended. */
export class WalFatalError extends WalError {
  constructor(message: string, cause: unknown) {
    super('WAL_FATAL', message, { cause });
    this.name = 'WalFatalError';
  }
}

/**
 * The log is damaged somewhere other than a torn tail (a valid frame follows the damage, a segment
 * is missing or broken): cutting there would drop acknowledged records, so nothing is changed.
 * `repairWal(dir, { truncateAt: sequence })` is the explicit way past it.
 */
export class WalCorruptError extends WalError {
  /** Segment file name. */
  readonly segment: string;
  readonly path: string;
  /** Byte offset in the segment where the damage starts. */
  readonly offset: number;
  /** First sequence that cannot be trusted: where a cut would start. */
  readonly sequence: number;
  readonly reason: string;
  constructor(at: { segment: string; path: string; offset: number; sequence: number; reason: string }) {
    super('WAL_CORRUPT', `WAL corrupt: ${at.path} at byte ${at.offset} (sequence ${at.sequence}): ${at.reason}`);
    this.name = 'WalCorruptError';
    this.segment = at.segment;
    this.path = at.path;
    this.offset = at.offset;
    this.sequence = at.sequence;
    this.reason = at.reason;
  }
}
