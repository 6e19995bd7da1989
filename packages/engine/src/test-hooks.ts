// Knobs for the fault tests, read from the environment so that the tests drive the real CLI:
//   RINGMATCH_WAL_SEGMENT_BYTES=N  WAL segment size (default 64 MiB): small segments let a short
//                                  run delete covered segments, as a long one does;
//   RINGMATCH_TEST_CRASH_AT=W:K    SIGKILL the whole process at the K-th W, where W is
//                                  `snapshot-write` (while the snapshot file is being written) or
//                                  `output-sync` (output lines written, not yet fdatasync'ed);
//   RINGMATCH_TEST_FAIL_IN=WORKER  that worker throws as it starts (an engine bug, as far as the
//                                  supervisor can tell);
//   RINGMATCH_TEST_FAIL_AT=W:SEQ   the handler of stage W (journaler, matcher, sink) throws in the
//                                  batch that holds engine sequence SEQ (a handler failure).
export function walSegmentBytes(): number | undefined {
  const raw = process.env.RINGMATCH_WAL_SEGMENT_BYTES;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 4096) throw new Error(`RINGMATCH_WAL_SEGMENT_BYTES must be an integer >= 4096, got ${raw}`);
  return value;
}

/** A function to call at each occurrence of `where`; it kills the process at the configured one. */
export function crashPoint(where: 'snapshot-write' | 'output-sync'): () => void {
  const [what, nth] = (process.env.RINGMATCH_TEST_CRASH_AT ?? '').split(':');
  if (what !== where) return () => undefined;
  let count = 0;
  const at = Number(nth);
  return () => {
    if (++count === at) process.kill(process.pid, 'SIGKILL');
  };
}

/** Throws in the named worker when RINGMATCH_TEST_FAIL_IN names it. */
export function failurePoint(worker: string): void {
  if (process.env.RINGMATCH_TEST_FAIL_IN === worker) throw new Error(`injected failure in the ${worker}`);
}

/** The engine sequence at which `stage`'s handler is to fail (RINGMATCH_TEST_FAIL_AT), or -1. */
export function failureSequence(stage: string): number {
  const [what, seq] = (process.env.RINGMATCH_TEST_FAIL_AT ?? '').split(':');
  return what === stage ? Number(seq) : -1;
}
