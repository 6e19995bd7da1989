export type WalErrorCode =
  | 'WAL_FATAL' // a write or fdatasync failed: the writer is stopped for good
  | 'WAL_BUSY' // a third append while one batch syncs and one waits
  | 'WAL_SEQUENCE' // append with a first sequence other than `nextSequence`
  | 'WAL_INVALID' // bad arguments (sizes, lengths, options)
  | 'WAL_CLOSED' // append after close()
  | 'WAL_RECOVERY' // the log cannot be recovered (e.g. records missing between a snapshot and the log)
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
