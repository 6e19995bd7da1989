export type RingErrorCode = 'BAD_CONFIG' | 'BAD_DESCRIPTOR' | 'UNKNOWN_STAGE' | 'BAD_ARGUMENT' | 'HANDLER_FAILED' | 'ENDED';

/** Typed error for every misuse of the ring API (bad config, unknown stage, bad batch size...). */
export class RingError extends Error {
  readonly code: RingErrorCode;
  constructor(code: RingErrorCode, message: string) {
    super(message);
    this.name = 'RingError';
    this.code = code;
  }
}
