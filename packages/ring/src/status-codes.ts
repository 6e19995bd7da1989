// Negative results of waits and claims: never a valid sequence (sequences are >= -1).

/** Returned by waits and claims when the ring (or sequence set) is halted. */
export const HALTED = -2;
/** Returned by waits that reached their timeout. */
export const TIMEOUT = -3;
/** Returned by `tryNext` when the ring has no room for the batch. */
export const INSUFFICIENT_CAPACITY = -4;
/** Returned by a barrier's waits when the ring has ended (`end()`) before the sequence waited for. */
export const ENDED = -5;
