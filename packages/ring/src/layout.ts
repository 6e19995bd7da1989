// Memory layout of a ring (one SharedArrayBuffer):
//
//   line 0        control: magic, version, state word (halted / ended bits), error record, meta
//                 (JSON) offset/length, end sequence (Float64, byte 56)
//   line 1        claim cursor            (highest sequence handed to a producer)
//   line 2        publish cursor (single producer) / "published" wake line (multi producer)
//   line 3 + i    gate cursor of stage i  (its progress: highest sequence it has finished)
//   meta          the topology as UTF-8 JSON (stage names, dependencies, strategy, options)
//   error text    last handler error message (UTF-8, ERROR_TEXT_BYTES)
//   flags, lens   multi producer only: per slot, the "round" of the sequence published there (times
//                 2, +1 on a batch's first slot) and, on a batch's first slot, the batch length
//   slots         slotCount * slotSize bytes, slot of sequence s at slotsOffset + (s & mask) * slotSize
//
// Every cursor lives on its own 64-byte line: [0] value (wrapping Int32), [1] waiters count,
// [2] wake word (futex), byte 16: Float64 "hint" = the full sequence, written before the value.
// Cursors are wrapping Int32 (measured faster than BigInt64, see bench/notes/ring.md); a reader
// rebuilds the exact sequence from any reference within 2^31 of it: ref + ((raw - (ref | 0)) | 0).
// Consumers use their own position as reference, producers their claim, metrics readers the hint.
// A SequenceSet uses the same line layout and the same state word index in its own buffer.
//
// Hot-path modules copy the constants they use into consts of their own (`const W_WAKE =
// layout.W_WAKE`): V8 folds a module's own consts into optimized code, but reads an imported
// binding from its module cell, with a TDZ check, on every use (seen in --print-opt-code).

export const LINE_BYTES = 64;
export const LINE_I32 = LINE_BYTES / 4;
export const MAGIC = 0x52494e47; // 'RING'
export const VERSION = 1;
// Word 0 of a cursor's line holds its value (read through Sequence's own views); word 1 counts parked waiters.
export const W_WAITERS = 1;
export const W_WAKE = 2;
export const HINT_F64 = 2; // byte 16 of the line

// control line words
export const C_MAGIC = 0;
export const C_VERSION = 1;
/** State word: S_HALTED | S_ENDED bits, so a producer's `next` tests both with one load. */
export const C_STATE = 2;
export const S_HALTED = 1;
export const S_ENDED = 2;
export const C_ERRORS = 3;
export const C_ERR_STAGE = 4;
export const C_ERR_TEXT_LEN = 5;
export const C_META_OFF = 6;
export const C_META_LEN = 7;
export const C_SKIPPED = 8;
export const C_ERR_SEQ_F64 = 6; // byte 48
export const C_END_SEQ_F64 = 7; // byte 56: written before S_ENDED is set
export const ERROR_TEXT_BYTES = 512;

export const CLAIM_LINE = 1;
export const PUBLISH_LINE = 2;
export const FIRST_STAGE_LINE = 3;

/** Largest sequence: sequences on the API are plain numbers, exact to 2^53. */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** Rebuild a full sequence from a wrapping Int32 `raw` and a reference within 2^31 of it. */
export function fullSequence(ref: number, raw: number): number {
  return ref + ((raw - (ref | 0)) | 0);
}
