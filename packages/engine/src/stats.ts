// Shared engine metrics: one Float64Array over a SharedArrayBuffer, each field written by one
// worker only with plain stores and read by the main thread for metrics, progress and the summary.
// Nothing reads them to decide anything: what gates behaviour is a ring cursor or an engine
// sequence (shared.ts), read and written with Atomics. Float64 holds integers exactly up to 2^53.

export const Stat = {
  /** Highest engine sequence published into the command ring (poller). */
  published: 0,
  /** Highest engine sequence durable in the WAL (journaler). */
  durable: 1,
  /** Highest engine sequence processed by the books (matcher). */
  matched: 2,
  trades: 3,
  reports: 4,
  rejected: 5,
  walBatches: 6,
  walRecords: 7,
  walBytes: 8,
  snapshots: 9,
  /** Outputs written by the sink (trades + reports + depth lines). */
  outputsWritten: 10,
  /** Input messages/lines read by the source, valid or not. */
  inputMessages: 11,
  /** Input that failed to decode (journaled as REJECTED). */
  malformed: 12,
  /** Times the source found the ring full and had to wait (backpressure). */
  sourceStalls: 13,
  /** First engine sequence of this run (recovery resumes after the WAL's last). */
  firstSequence: 14,
  /** Highest engine sequence whose outputs the sink has written. */
  sinkSequence: 16,
  /** Live batches the matcher found beyond the durable cursor: must stay 0 (the product's invariant). */
  invariantViolations: 17,
  /** Commands replayed from the WAL at start-up. */
  replayed: 18,
  /** Wall-clock ms (timeOrigin-based) when the matcher reached the end of the stream (the run's end for its throughput). */
  endedAt: 19,
  /** Wall-clock ms (timeOrigin-based) of the first publish of this run, 0 before it. */
  firstPublishAt: 20,
  /** Depth stream lines published by the matcher (level updates and snapshot lines). */
  depthUpdates: 21,
  /** Wall-clock ms (timeOrigin-based) when the matcher had rebuilt its books (intake waits for it), 0 before. */
  matcherReadyAt: 22,
  /** Wall-clock ms (timeOrigin-based) when the sink had opened its outputs (intake waits for it), 0 before. */
  sinkReadyAt: 23,
  /** The process's CPU (user + system, us) at the first publish (poller) and when matching ended (matcher): the run's CPU. */
  cpuAtFirstPublishUs: 24,
  cpuAtEndUs: 25,
  /** GC ms per thread while the run's stages ran (each from its live start to its stage's end), written by that thread. */
  gcMsPoller: 26,
  gcMsJournaler: 27,
  gcMsMatcher: 28,
  gcMsSink: 29,
  gcMsMain: 30,
} as const;
export type StatName = keyof typeof Stat;
const STAT_COUNT = 32;

export function createStats(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(STAT_COUNT * Float64Array.BYTES_PER_ELEMENT);
  new Float64Array(buffer).fill(0);
  const view = new Float64Array(buffer);
  view[Stat.published] = view[Stat.durable] = view[Stat.matched] = view[Stat.sinkSequence] = -1;
  return buffer;
}

/** The process's CPU time so far (user + system, us): in any thread, the whole process's. */
export function processCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

export function statsView(buffer: SharedArrayBuffer): Float64Array {
  return new Float64Array(buffer);
}

export function readStats(view: Float64Array): Record<StatName, number> {
  const out = {} as Record<StatName, number>;
  for (const [name, index] of Object.entries(Stat)) out[name as StatName] = view[index]!;
  return out;
}
