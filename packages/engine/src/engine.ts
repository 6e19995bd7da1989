// The engine: recovers the WAL, wires poller -> [command ring] -> journaler (durable cursor) ->
// matcher -> [output ring] -> sink, and supervises the workers until the source ends, a signal
// arrives, or a worker fails. Every wait here is bounded.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { RingBuffer } from '@ringmatch/ring';
import { COMMAND_SLOT_BYTES, OUTPUT_SLOT_BYTES } from '@ringmatch/protocol';
import { readRecords } from '@ringmatch/wal';
import { UsageError, type RunConfig } from './config.js';
import { openDataDir, type OpenedDataDir } from './datadir.js';
import { WAL_DIR } from './datadir-files.js';
import { describeFault, faultFacts } from './fault.js';
import { Refusal } from './refusal.js';
import { EngineMetrics, type SampleBatch } from './metrics.js';
import { REPORTS_FILE, TRADES_FILE, recoverOutputFile } from './output-file.js';
import { planReplay, type OutputFileState } from './output-rebuild.js';
import { Stat, createStats, readStats } from './stats.js';
import { createKafka, ensureTopics, partitionCount } from '@ringmatch/kafka';
import { Control, JOURNALER, MATCHER, SINK, dlqTopic, reportsTopic, slotSourcePosition, tradesTopic, waitStrategyFor, type SharedState } from './shared.js';
import { Supervisor, WorkerFailure, type WorkerMessage } from './supervisor.js';
import type { JournalerData } from './workers/journaler.js';
import type { MatcherData } from './workers/matcher.js';
import type { PollerData } from './workers/poller.js';
import type { SinkData } from './workers/sink.js';

export interface RecoveryInfo {
  backend: string;
  lastSequence: number;
  nextSequence: number;
  snapshotSequence: number | null;
  replayed: number;
  truncated: unknown;
  offsets: [number, number][];
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
  stoppedBy: string;
}

export interface EngineHooks {
  log?(line: string): void;
  /** Called once the metrics endpoint listens. */
  onMetricsPort?(port: number): void;
}

const RECOVERY_TIMEOUT_MS = 300_000;
const DRAIN_TIMEOUT_MS = 120_000;
const STOP_SOURCE_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 10_000;
const OUTPUT_RING_SLOTS = 1 << 16;

function workerUrl(name: string): URL {
  return new URL(`./workers/${name}.js`, import.meta.url);
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How many WAL records at the end of the log carry each partition's last offset (a message may hold a batch). */
function commandsAtLastOffsets(walDir: string, from: number, to: number, offsets: Map<number, number>): Map<number, number> {
  const counts = new Map<number, number>();
  if (to < from) return counts;
  for (const record of readRecords(walDir, Math.max(from, to - 65_535), to)) {
    const position = slotSourcePosition(record.payload);
    if (position && offsets.get(position.partition) === position.offset) {
      counts.set(position.partition, (counts.get(position.partition) ?? 0) + 1);
    }
  }
  return counts;
}

export class Engine {
  readonly stats = createStats();
  private readonly view = new Float64Array(this.stats);
  readonly metrics = new EngineMetrics(this.view);
  private readonly supervisor: Supervisor;
  private readonly log: (line: string) => void;
  private rings: RingBuffer[] = [];
  private stopReason: string | null = null;
  private stopRequested!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stopRequested = resolve));
  private startedAt = 0;
  /** When everything published was durable, matched and written (ms, timeOrigin-based). */
  private drainedAt = 0;
  recovery: RecoveryInfo | null = null;
  /** Resolves with the summary when the run ends; rejects with the WorkerFailure that ended it. */
  readonly done: Promise<EngineSummary>;
  private resolveDone!: (summary: EngineSummary) => void;
  private rejectDone!: (error: unknown) => void;

  constructor(readonly config: RunConfig, private readonly hooks: EngineHooks = {}) {
    this.log = hooks.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.supervisor = new Supervisor({ cpuProfileDir: config.cpuProfileDir, onMessage: (name, message) => this.onMessage(name, message) });
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined); // observed by the caller; avoid an unhandled rejection here
  }

  /** Asks the engine to stop: the source stops, the pipeline drains, a final snapshot is taken. */
  stop(reason = 'stop requested'): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stopRequested();
  }

  private onMessage(_name: string, message: WorkerMessage): void {
    if (message.type === 'samples') this.metrics.observe(message as unknown as SampleBatch);
  }

  /** Runs the engine to the end; the returned promise is `done`. */
  async run(): Promise<EngineSummary> {
    this.supervisor.onFailure((failure) => void this.fail(failure));
    this.execute().then(this.resolveDone, (error: unknown) => void this.fail(error));
    return this.done;
  }

  private failed = false;
  /** The data dir, locked for the life of the run. */
  private dataDir: OpenedDataDir | null = null;

  private async fail(error: unknown): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    for (const ring of this.rings) ring.halt();
    const s = readStats(this.view);
    const failure = error instanceof WorkerFailure ? error : new WorkerFailure('engine', (error as Error)?.stack ?? String(error), error, faultFacts(error));
    const sequences = `[ringmatch] last sequences: published=${s.published} durable=${s.durable} matched=${s.matched} sink=${s.sinkSequence}`;
    // An operator's or the disk's fault is one line with the way out; anything else is a bug and keeps its stack.
    const faultLine = failure.facts ? describeFault(failure.facts, this.config.dataDir) : null;
    const refusal =
      error instanceof Refusal ? error
      : error instanceof UsageError ? new Refusal(error.message, 2)
      : faultLine !== null ? new Refusal(faultLine, 1)
      : null;
    if (refusal) {
      this.log(`ringmatch: ${refusal.message}`);
      if (this.config.debug) this.log(`${failure.message}\n${sequences}`);
    } else {
      this.log(`[ringmatch] FATAL ${failure.message}\n${sequences}`);
    }
    await this.supervisor.terminateAll();
    await this.metrics.close();
    this.dataDir?.lock.release();
    this.rejectDone(refusal ?? failure);
  }

  private async execute(): Promise<EngineSummary> {
    const { config } = this;
    this.dataDir = openDataDir(config.dataDir, config.source, config.fresh);
    if (this.dataDir.tookOver) this.log(`[ringmatch] took over the lock of ${config.dataDir} from pid ${this.dataDir.tookOver.pid}, which is gone`);
    if (this.dataDir.wiped.length > 0) this.log(`[ringmatch] --fresh: deleted ${this.dataDir.wiped.length} file(s) of the previous run`);
    const walDir = path.join(config.dataDir, WAL_DIR);
    fs.mkdirSync(walDir, { recursive: true });
    const tradesFile = path.join(config.outputDir, TRADES_FILE);
    const reportsFile = path.join(config.outputDir, REPORTS_FILE);
    const tradesPosition = recoverOutputFile(tradesFile);
    const reportsPosition = config.writeReports ? recoverOutputFile(reportsFile) : { seq: -1, index: -1, truncatedBytes: 0, damagedLine: false };
    for (const [file, position] of [[tradesFile, tradesPosition], [reportsFile, reportsPosition]] as const) {
      if (position.truncatedBytes > 0) this.log(`[ringmatch] cut a ${position.damagedLine ? 'damaged' : 'torn'} last line (${position.truncatedBytes} bytes) from ${file}`);
    }
    const outputFiles: OutputFileState[] =
      config.source.kind === 'kafka'
        ? []
        : [{ kind: 'trades', file: tradesFile, position: tradesPosition }, ...(config.writeReports ? [{ kind: 'reports' as const, file: reportsFile, position: reportsPosition }] : [])];

    if (config.source.kind === 'kafka') await this.prepareTopics(config.source);

    // 1. Journaler: recover the WAL.
    const snapshotChannel = new MessageChannel();
    const journalerData: JournalerData = {
      walDir, backend: config.wal, maxBatch: config.maxBatch, snapshotPort: snapshotChannel.port1,
      outputFiles: outputFiles.map((f) => f.file),
      syncOutputsInSteps: config.snapshotEvery > 0 && outputFiles.length > 0,
    };
    const journaler = this.supervisor.spawn(JOURNALER, workerUrl('journaler'), journalerData, [snapshotChannel.port1], 'closed');
    const recovered = (await journaler.waitFor('recovered', RECOVERY_TIMEOUT_MS)) as unknown as {
      backend: string; lastSequence: number; nextSequence: number; firstLogSequence: number | null; offsets: [number, number][];
      truncated: unknown; snapshot: { sequence: number; data: Uint8Array; offsets: [number, number][] } | null;
      skippedSnapshots: { file: string; reason: string }[];
      warnings: { segment: string; offset: number; reason: string }[];
    };
    const plan = planReplay(walDir, recovered.snapshot, recovered.firstLogSequence, outputFiles);
    if (plan.rebuilding) this.log(`[ringmatch] ${plan.rebuilding}`);
    const snapshot = plan.base;
    const replayFrom = snapshot ? snapshot.sequence + 1 : (recovered.firstLogSequence ?? recovered.nextSequence);
    const replayTo = recovered.lastSequence;
    const offsets = new Map(recovered.offsets);
    const lastCounts = commandsAtLastOffsets(walDir, replayFrom, replayTo, offsets);
    this.recovery = {
      backend: recovered.backend,
      lastSequence: recovered.lastSequence,
      nextSequence: recovered.nextSequence,
      snapshotSequence: snapshot?.sequence ?? null,
      replayed: Math.max(0, replayTo - replayFrom + 1),
      truncated: recovered.truncated,
      offsets: recovered.offsets,
    };
    if (recovered.lastSequence >= recovered.nextSequence - 1 && recovered.lastSequence >= 1) {
      this.log(`[ringmatch] recovered WAL (${recovered.backend}): last durable sequence ${recovered.lastSequence}, snapshot ${snapshot?.sequence ?? 'none'}, replaying ${this.recovery.replayed}`);
    }
    if (recovered.truncated) this.log(`[ringmatch] WAL tail cut during recovery: ${JSON.stringify(recovered.truncated)}`);
    for (const warning of recovered.warnings) this.log(`[ringmatch] WAL warning: ${warning.segment} at byte ${warning.offset}: ${warning.reason}`);
    for (const skipped of recovered.skippedSnapshots) this.log(`[ringmatch] snapshot ${skipped.file} is invalid (${skipped.reason}): fell back to an older one and the WAL`);

    // 2. Rings, starting where the WAL ends.
    const wait = waitStrategyFor(config.waitStrategy);
    const commandRing = RingBuffer.create({
      slotSize: COMMAND_SLOT_BYTES, slotCount: config.ringSize, producer: 'single', wait,
      stages: [{ name: JOURNALER, after: [] }, { name: MATCHER, after: [JOURNALER] }],
      initialSequence: recovered.nextSequence,
    });
    const outputRing = RingBuffer.create({ slotSize: OUTPUT_SLOT_BYTES, slotCount: OUTPUT_RING_SLOTS, producer: 'single', wait, stages: [{ name: SINK, after: [] }] });
    this.rings = [commandRing, outputRing];
    const shared: SharedState = {
      commandRing: commandRing.descriptor,
      outputRing: outputRing.descriptor,
      stats: this.stats,
      control: new SharedArrayBuffer(32 * 4),
      stamps: new SharedArrayBuffer(nextPowerOfTwo(config.ringSize * 2) * 8),
    };
    const v = this.view;
    v[Stat.firstSequence] = recovered.nextSequence;
    v[Stat.published] = v[Stat.durable] = recovered.lastSequence;
    // Not lastSequence: the books reflect only the snapshot until the matcher has replayed the WAL,
    // and the sink, the drain and the final snapshot all trust this value (a restart whose WAL
    // already held every order used to drain at once and snapshot outputs it never wrote).
    v[Stat.matched] = replayFrom - 1;

    // 3. Workers: journaler goes live, matcher replays then follows the durable cursor, sink, source.
    journaler.worker.postMessage({ shared });
    const matcherData: MatcherData = {
      shared, source: config.source, walDir, snapshot, replayFrom, replayTo, snapshotEvery: config.snapshotEvery,
      snapshotPort: snapshotChannel.port2, latencySampleEvery: 64,
      emitReports: config.writeReports || config.source.kind === 'kafka',
      recordOutputs: { trades: outputFiles.length > 0, reports: outputFiles.length > 1 },
    };
    const matcher = this.supervisor.spawn(MATCHER, workerUrl('matcher'), matcherData, [snapshotChannel.port2], 'matcher-done');
    const sinkData: SinkData = { shared, source: config.source, outputDir: config.outputDir, writeReports: config.writeReports, tradesPosition, reportsPosition };
    this.supervisor.spawn(SINK, workerUrl('sink'), sinkData, [], 'sink-done');
    const pollerData: PollerData = {
      shared, source: config.source, rate: config.rate, stopWhenIdleMs: config.stopWhenIdleMs,
      resume: { offsets: [...offsets], commandsAtLastOffset: [...lastCounts] },
    };
    const poller = this.supervisor.spawn('poller', workerUrl('poller'), pollerData, [], 'source-done');
    this.startedAt = performance.now();

    if (config.metricsPort > 0) {
      const port = await this.metrics.serve(config.metricsPort);
      this.hooks.onMetricsPort?.(port);
      this.log(`[ringmatch] metrics on http://127.0.0.1:${port}/metrics`);
    }
    const progress = config.progressMs > 0 ? this.startProgress(config.progressMs) : null;
    const durationTimer = config.durationSeconds > 0 ? setTimeout(() => this.stop(`duration ${config.durationSeconds}s reached`), config.durationSeconds * 1000) : null;

    try {
      // 4. Run until the source ends or a stop is asked for.
      const sourceDone = poller.waitFor('source-done', 2 ** 31 - 1);
      const first = await Promise.race([sourceDone.then(() => 'source'), this.stopSignal.then(() => 'stop')]);
      if (first === 'stop') {
        Atomics.store(new Int32Array(shared.control), Control.stopSource, 1);
        await poller.waitFor('source-done', STOP_SOURCE_TIMEOUT_MS);
      }
      const stoppedBy = this.stopReason ?? 'source ended';

      // 5. Drain: everything published becomes durable, matched and written.
      const published = v[Stat.published]!;
      const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
      while (!(v[Stat.durable]! >= published && v[Stat.matched]! >= published && v[Stat.flushed]! >= published)) {
        if (this.supervisor.failure) throw this.supervisor.failure;
        if (performance.now() > drainDeadline) throw new WorkerFailure('engine', `drain timed out: ${JSON.stringify(readStats(v))}`);
        await sleep(5);
      }
      this.drainedAt = performance.timeOrigin + performance.now();
      // 6. Final snapshot, then halt the rings and let the workers finish.
      if (published >= recovered.nextSequence || snapshot === null) {
        matcher.worker.postMessage({ type: 'final-snapshot' });
        await journaler.waitFor('snapshot-written', 60_000, (message) => message.final === true);
      }
      // A worker's exit can reach us before its last message: exits are expected from here on.
      this.supervisor.expectExits();
      for (const ring of this.rings) ring.halt();
      await journaler.waitFor('closed', EXIT_GRACE_MS);
      await this.supervisor.stopAll(EXIT_GRACE_MS);
      if (config.source.kind === 'kafka') return this.summary(stoppedBy, `kafka:${tradesTopic(config.source.topic)}`, `kafka:${reportsTopic(config.source.topic)}`);
      return this.summary(stoppedBy, tradesFile, config.writeReports ? reportsFile : null);
    } finally {
      if (progress) clearInterval(progress);
      if (durationTimer) clearTimeout(durationTimer);
      await this.metrics.close();
      if (!this.failed) this.dataDir?.lock.release();
    }
  }

  /** Kafka: the orders topic must exist; output and dead-letter topics are created like it. */
  private async prepareTopics(source: Extract<RunConfig['source'], { kind: 'kafka' }>): Promise<void> {
    const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-admin' });
    let partitions: number;
    try {
      partitions = await partitionCount(kafka, source.topic, { timeoutMs: 30_000 });
    } catch (error) {
      throw new WorkerFailure('engine', `cannot read orders topic ${source.topic} on ${source.brokers.join(',')}: ${(error as Error).message}`);
    }
    if (partitions === 0) throw new WorkerFailure('engine', `orders topic ${source.topic} does not exist`);
    await ensureTopics(kafka, [tradesTopic(source.topic), reportsTopic(source.topic), dlqTopic(source.topic)].map((topic) => ({ topic, partitions })), { timeoutMs: 30_000 });
  }

  private startProgress(intervalMs: number): NodeJS.Timeout {
    const tty = process.stderr.isTTY === true;
    let lastMatched = this.view[Stat.matched]!;
    let lastAt = performance.now();
    const timer = setInterval(() => {
      const s = readStats(this.view);
      const t = performance.now();
      const rate = ((s.matched - lastMatched) * 1000) / Math.max(1, t - lastAt);
      lastMatched = s.matched;
      lastAt = t;
      const p99 = this.metrics.takeIntervalP99Us();
      const line = `[ringmatch] ${((t - this.startedAt) / 1000).toFixed(1)}s orders/s=${Math.round(rate)} matched=${Math.max(0, s.matched - s.firstSequence + 1)} trades=${s.trades} durable_lag=${Math.max(0, s.published - s.durable)} match_lag=${Math.max(0, s.durable - s.matched)} p99_us=${p99 === null ? '-' : Math.round(p99)}`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else this.log(line);
    }, intervalMs);
    timer.unref();
    return timer;
  }

  private summary(stoppedBy: string, tradesFile: string, reportsFile: string | null): EngineSummary {
    if (process.stderr.isTTY && this.config.progressMs > 0) process.stderr.write('\n');
    const s = readStats(this.view);
    // From the first publish (start-up, recovery and --pregenerate are not the engine's throughput).
    const end = this.drainedAt || performance.timeOrigin + performance.now();
    const seconds = s.firstPublishAt > 0 ? (end - s.firstPublishAt) / 1000 : (end - performance.timeOrigin - this.startedAt) / 1000;
    const orders = Math.max(0, s.matched - s.firstSequence + 1);
    const latency = this.metrics.latency;
    const sync = this.metrics.walSync;
    const us = (h: typeof latency, p: number): number | null => (h.totalCount ? Math.round(h.getValueAtPercentile(p) / 100) / 10 : null);
    return {
      orders,
      firstSequence: s.firstSequence,
      lastSequence: s.matched,
      durable: s.durable,
      trades: s.trades,
      reports: s.reports,
      rejected: s.rejected,
      malformed: s.malformed,
      seconds: Math.round(seconds * 1000) / 1000,
      ordersPerSecond: Math.round(orders / Math.max(seconds, 1e-9)),
      latencyP50Us: us(latency, 50),
      latencyP99Us: us(latency, 99),
      walBackend: this.recovery!.backend,
      walBatches: s.walBatches,
      walAvgBatch: s.walBatches ? Math.round((s.walRecords / s.walBatches) * 10) / 10 : 0,
      walSyncP50Us: us(sync, 50),
      walSyncP99Us: us(sync, 99),
      snapshots: s.snapshots,
      sourceStalls: s.sourceStalls,
      invariantViolations: s.invariantViolations,
      recovery: this.recovery!,
      tradesFile,
      reportsFile,
      stoppedBy,
    };
  }
}

/** Runs the engine with the given configuration until it ends. */
export async function runEngine(config: RunConfig, hooks: EngineHooks = {}): Promise<EngineSummary> {
  const engine = new Engine(config, hooks);
  return engine.run();
}
