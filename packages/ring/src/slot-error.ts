import type { RingErrorRecord } from './ring-buffer.js';

/** Thrown by a batch handler to name the sequence that failed. */
export class SlotError extends Error {
  readonly sequence: number;
  override readonly cause: unknown;
  constructor(sequence: number, cause: unknown) {
    super(`slot ${sequence}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SlotError';
    this.sequence = sequence;
    this.cause = cause;
  }
}

/** The error record of a handler failure in first..last: SlotError's sequence when inside the batch, else `first`. */
export function errorRecord(stage: string, error: unknown, first: number, last: number): { rec: RingErrorRecord; cause: unknown } {
  const seq = error instanceof SlotError && error.sequence >= first && error.sequence <= last ? error.sequence : first;
  const cause = error instanceof SlotError ? error.cause : error;
  return { rec: { stage, sequence: seq, message: String((cause as Error)?.stack ?? cause) }, cause };
}
