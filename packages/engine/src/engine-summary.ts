// What a run reports when it ends: the JSON summary line, built from the exact cursors and the
// metrics (the stats buffer and the latency / WAL-sync histograms).
import type { EngineMetrics } from './metrics.js';
import type { StatName } from './stats.js';

export interface RecoveryInfo {
  backend: string;
  lastSequence: number;
  nextSequence: number;
  snapshotSequence: number | null;
  replayed: number;
  truncated: unknown;
  /** Per source stream, the last position in the WAL (where the source resumes). */
  positions: [number, number][];
}

export interface EngineSummary {
  /** Commands processed by the books in this run (not counting WAL replay). */
  orders: number;
  firstSequence: number;
  lastSequence: number;
  durable: number;
  trades: number;
  reports: number;
  rejected: number;
  malformed: number;
  seconds: number;
  ordersPerSecond: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  walBackend: string;
  walBatches: number;
  walAvgBatch: number;
  walSyncP50Us: number | null;
  walSyncP99Us: number | null;
  snapshots: number;
  sourceStalls: number;
  invariantViolations: number;
  recovery: RecoveryInfo;
  tradesFile: string;
  reportsFile: string | null;
  /** The depth stream's file or topic, null with --no-depth. */
  bookFile: string | null;
  depthUpdates: number;
  stoppedBy: string;
  /**
   * Start-up, in ms after the workers were started: when the matcher had rebuilt its books, when
   * the sink had opened its outputs, and when the source published its first command, which intake
   * holds back until both (null: it did not happen).
   */
  startup: { matcherReadyMs: number | null; sinkReadyMs: number | null; firstPublishMs: number | null };
  /**
   * The process's CPU from the first publish to the end of matching (every thread: the workers,
   * V8's compiler and GC helpers, the kernel's work for them), null without a first publish; and
   * the GC pauses of the engine's threads while its stages ran (each from its live start to its
   * stage's end: the journaler's and the sink's include the drain). Node reports no JIT time.
   */
  cpuMs: number | null;
  cpuUsPerOrder: number | null;
  gcMs: number;
}

export interface SummaryInput {
  stats: Record<StatName, number>;
  /** When the run's throughput window ends and, without a first publish, starts (ms, timeOrigin-based). */
  endMs: number;
  startedMs: number;
  matched: number;
  durable: number;
  metrics: EngineMetrics;
  recovery: RecoveryInfo;
  tradesFile: string;
  reportsFile: string | null;
  bookFile: string | null;
  stoppedBy: string;
}

export function buildSummary(input: SummaryInput): EngineSummary {
  const s = input.stats;
  const seconds = (input.endMs - (s.firstPublishAt > 0 ? s.firstPublishAt : input.startedMs)) / 1000;
  const orders = Math.max(0, input.matched - s.firstSequence + 1);
  const latency = input.metrics.latency;
  const sync = input.metrics.walSync;
  const us = (h: typeof latency, p: number): number | null => (h.totalCount ? Math.round(h.getValueAtPercentile(p) / 100) / 10 : null);
  const cpuMs = s.cpuAtFirstPublishUs > 0 && s.cpuAtEndUs > 0 ? (s.cpuAtEndUs - s.cpuAtFirstPublishUs) / 1000 : null;
  const sinceStart = (at: number): number | null => (at > 0 ? Math.round((at - input.startedMs) * 10) / 10 : null);
  return {
    orders,
    firstSequence: s.firstSequence,
    lastSequence: input.matched,
    durable: input.durable,
    trades: s.trades,
    reports: s.reports,
    rejected: s.rejected,
    malformed: s.malformed,
    seconds: Math.round(seconds * 1000) / 1000,
    ordersPerSecond: Math.round(orders / Math.max(seconds, 1e-9)),
    latencyP50Us: us(latency, 50),
    latencyP99Us: us(latency, 99),
    walBackend: input.recovery.backend,
    walBatches: s.walBatches,
    walAvgBatch: s.walBatches ? Math.round((s.walRecords / s.walBatches) * 10) / 10 : 0,
    walSyncP50Us: us(sync, 50),
    walSyncP99Us: us(sync, 99),
    snapshots: s.snapshots,
    sourceStalls: s.sourceStalls,
    invariantViolations: s.invariantViolations,
    recovery: input.recovery,
    tradesFile: input.tradesFile,
    reportsFile: input.reportsFile,
    bookFile: input.bookFile,
    depthUpdates: s.depthUpdates,
    stoppedBy: input.stoppedBy,
    startup: { matcherReadyMs: sinceStart(s.matcherReadyAt), sinkReadyMs: sinceStart(s.sinkReadyAt), firstPublishMs: sinceStart(s.firstPublishAt) },
    cpuMs: cpuMs === null ? null : Math.round(cpuMs * 10) / 10,
    cpuUsPerOrder: cpuMs === null || orders === 0 ? null : Math.round((cpuMs * 1000 * 100) / orders) / 100,
    gcMs: Math.round((s.gcMsPoller + s.gcMsJournaler + s.gcMsMatcher + s.gcMsSink + s.gcMsMain) * 10) / 10,
  };
}
