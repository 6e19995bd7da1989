// The engine: recovers the WAL, wires poller -> [command ring] -> journaler (durable cursor) ->
// matcher -> [output ring] -> sink, and supervises the workers until the source ends, a signal
// arrives, or a worker fails. Every wait here is bounded.
import fs from 'node:fs';
import path from 'node:path';
import { RingBuffer, SequenceSet } from '@ringmatch/ring';
import { COMMAND_SLOT_BYTES, OUTPUT_SLOT_BYTES } from '@ringmatch/protocol';
import { UsageError, type RunConfig } from './config.js';
import { openDataDir, type OpenedDataDir } from './datadir.js';
import { WAL_DIR } from './datadir-files.js';
import { describeFault, faultFacts } from './fault.js';
import { Refusal } from './refusal.js';
import { EngineMetrics, positionsFromStats, type PipelinePositions, type SampleBatch } from './metrics.js';
import { DepthView } from './depth-view.js';
import { TradeTape } from './trade-tape.js';
import { EngineHttpServer, type EngineStatus } from './http-server.js';
import { RateMeter } from './rate-meter.js';
import { buildSummary, type EngineSummary, type RecoveryInfo } from './engine-summary.js';
import { BOOK_FILE, REPORTS_FILE, TRADES_FILE, recoverOutputFile } from './output-file.js';
import type { OutputFileState } from './output-rebuild.js';
import { planRecovery } from './recovery-plan.js';
import { SNAPSHOT_CHUNK_SLOT_BYTES, SNAPSHOT_RING_SLOTS } from './snapshot-handoff.js';
import { prepareSource } from './sources/source-registry.js';
import { NativeKafkaUnavailable, resolveKafkaClient, type KafkaClientResolution } from './kafka-client.js';
import { NativeScannerUnavailable, resolveJsonScanner } from './json-scanner.js';
import { NativeBookUnavailable, resolveBook } from './native-book.js';
import { NativeWriterUnavailable, resolveJsonWriter } from './json-writer.js';
import { Stat, createStats, readStats } from './stats.js';
import { GcMeter } from './gc-meter.js';
import { walSegmentBytes } from './test-hooks.js';
import {
  Control,
  EngineSequence,
  JOURNALER,
  MATCHER,
  SINK,
  SNAPSHOT_WRITER,
  bookTopic,
  reportsTopic,
  tradesTopic,
  symbolSlots,
  symbolTableFor,
  waitStrategyFor,
  type SharedState,
} from './shared.js';
import { Supervisor, WorkerFailure, type WorkerMessage } from './supervisor.js';
import type { JournalerData } from './workers/journaler.js';
import type { MatcherData } from './workers/matcher.js';
import type { PollerData } from './workers/poller.js';
import type { SinkData } from './workers/sink.js';

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
/** One sequence in this many gets its publish-to-report latency sampled (the poller stamps only those). */
const LATENCY_SAMPLE_EVERY = 64;

function workerUrl(name: string): URL {
  return new URL(`./workers/${name}.js`, import.meta.url);
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class Engine {
  readonly stats = createStats();
  private readonly view = new Float64Array(this.stats);
  readonly metrics = new EngineMetrics(this.view, () => this.positions());
  private http: EngineHttpServer | null = null;
  private depthView: DepthView | null = null;
  private readonly rate = new RateMeter();
  private readonly supervisor: Supervisor;
  private readonly log: (line: string) => void;
  private rings: RingBuffer[] = [];
  private sequences: SequenceSet | null = null;
  private commandRing: RingBuffer | null = null;
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

  constructor(
    readonly config: RunConfig,
    private readonly hooks: EngineHooks = {},
  ) {
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
    this.sequences?.halt();
    const failure = error instanceof WorkerFailure ? error : new WorkerFailure('engine', (error as Error)?.stack ?? String(error), error, faultFacts(error));
    const sequences = `[ringmatch] last sequences: ${this.describeSequences()}`;
    // An operator's or the disk's fault is one line with the way out; anything else is a bug and keeps its stack.
    const faultLine = failure.facts ? describeFault(failure.facts, this.config.dataDir) : null;
    const refusal =
      error instanceof Refusal ? error : error instanceof UsageError ? new Refusal(error.message, 2) : faultLine !== null ? new Refusal(faultLine, 1) : null;
    if (refusal) {
      this.log(`ringmatch: ${refusal.message}`);
      if (this.config.debug) this.log(`${failure.message}\n${sequences}`);
    } else {
      this.log(`[ringmatch] FATAL ${failure.message}\n${sequences}`);
    }
    await this.supervisor.terminateAll();
    await this.http?.close();
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
    const none = { seq: -1, index: -1, truncatedBytes: 0, damagedLine: false };
    const reportsPosition = config.writeReports ? recoverOutputFile(reportsFile) : none;
    // The depth stream goes to book.ndjson when the outputs go to files (to <topic>.book on Kafka).
    const bookFile = path.join(config.outputDir, BOOK_FILE);
    const writeBookFile = config.depth !== null && config.source.kind !== 'kafka';
    const bookPosition = writeBookFile ? recoverOutputFile(bookFile) : none;
    for (const [file, position] of [
      [tradesFile, tradesPosition],
      [reportsFile, reportsPosition],
      [bookFile, bookPosition],
    ] as const) {
      if (position.truncatedBytes > 0)
        this.log(`[ringmatch] cut a ${position.damagedLine ? 'damaged' : 'torn'} last line (${position.truncatedBytes} bytes) from ${file}`);
    }
    const outputFiles: OutputFileState[] =
      config.source.kind === 'kafka'
        ? []
        : [
            { kind: 'trades', file: tradesFile, position: tradesPosition },
            ...(config.writeReports ? [{ kind: 'reports' as const, file: reportsFile, position: reportsPosition }] : []),
            ...(writeBookFile ? [{ kind: 'book' as const, file: bookFile, position: bookPosition }] : []),
          ];

    if (config.source.kind === 'kafka') {
      let resolved: KafkaClientResolution;
      try {
        resolved = await resolveKafkaClient(config.source.client);
      } catch (error) {
        throw error instanceof NativeKafkaUnavailable ? new Refusal(error.message, 2) : error;
      }
      this.log(`[ringmatch] ${resolved.line}`);
      config.source.client = resolved.client; // the workers get the resolved client
      if (config.source.client !== 'native' || config.source.format !== 'json') {
        if (config.source.jsonScanner === 'native')
          throw new Refusal('--json-scanner native: the Kafka source scans with it only on the native client (--kafka-client native) and --format json', 2);
        config.source.jsonScanner = 'js';
      }
      try {
        await prepareSource(config.source);
      } catch (error) {
        // A known fault (brokers unreachable, no orders topic) keeps its facts: one line, not a stack.
        throw new WorkerFailure('engine', (error as Error).message, error, faultFacts(error));
      }
    }

    const source = config.source;
    if (source.kind === 'ndjson' || (source.kind === 'kafka' && source.client === 'native' && source.format === 'json')) {
      try {
        const resolved = await resolveJsonScanner(source.jsonScanner);
        this.log(`[ringmatch] ${resolved.line}`);
        source.jsonScanner = resolved.scanner; // the poller gets the resolved scanner
      } catch (error) {
        throw error instanceof NativeScannerUnavailable ? new Refusal(error.message, 2) : error;
      }
    }

    try {
      const resolved = await resolveJsonWriter(config.jsonWriter);
      this.log(`[ringmatch] ${resolved.line}`);
      config.jsonWriter = resolved.writer; // the sink gets the resolved writer
    } catch (error) {
      throw error instanceof NativeWriterUnavailable ? new Refusal(error.message, 2) : error;
    }

    try {
      const resolved = await resolveBook(config.book);
      this.log(`[ringmatch] ${resolved.line}`);
      config.book = resolved.book; // the matcher gets the resolved book
    } catch (error) {
      throw error instanceof NativeBookUnavailable ? new Refusal(error.message, 2) : error;
    }

    // 1. Recovery, planned once (recovery-plan.ts): the WAL's state, the base the matcher restores,
    // the records it replays, where the source resumes. Each worker gets its part.
    const plan = planRecovery(walDir, outputFiles, { segmentSize: walSegmentBytes() });
    const log = plan.log;
    if (plan.rebuilding) this.log(`[ringmatch] ${plan.rebuilding}`);
    const replayed = Math.max(0, plan.replayTo - plan.replayFrom + 1);
    if (log.lastSequence >= 1) {
      this.log(`[ringmatch] recovered WAL: last durable sequence ${log.lastSequence}, snapshot ${plan.base?.sequence ?? 'none'}, replaying ${replayed}`);
    }
    if (log.truncated) this.log(`[ringmatch] WAL tail cut during recovery: ${JSON.stringify(log.truncated)}`);
    for (const warning of log.warnings) this.log(`[ringmatch] WAL warning: ${warning.segment} at byte ${warning.offset}: ${warning.reason}`);
    for (const skipped of log.skippedSnapshots)
      this.log(`[ringmatch] snapshot ${skipped.file} is invalid (${skipped.reason}): fell back to an older one and the WAL`);

    // 2. Rings, starting where the WAL ends, and the engine's own sequences.
    const wait = waitStrategyFor(config.waitStrategy);
    const commandRing = RingBuffer.create({
      slotSize: COMMAND_SLOT_BYTES,
      slotCount: config.ringSize,
      producer: 'single',
      wait,
      stages: [
        { name: JOURNALER, after: [] },
        { name: MATCHER, after: [JOURNALER] },
      ],
      initialSequence: log.nextSequence,
    });
    const outputRing = RingBuffer.create({
      slotSize: OUTPUT_SLOT_BYTES,
      slotCount: OUTPUT_RING_SLOTS,
      producer: 'single',
      wait,
      stages: [{ name: SINK, after: [] }],
    });
    const snapshotRing = RingBuffer.create({
      slotSize: SNAPSHOT_CHUNK_SLOT_BYTES,
      slotCount: SNAPSHOT_RING_SLOTS,
      producer: 'single',
      wait,
      stages: [{ name: SNAPSHOT_WRITER, after: [] }],
    });
    this.rings = [commandRing, outputRing, snapshotRing];
    // The outputs of everything the base covers were durable before that snapshot was written.
    this.sequences = SequenceSet.create(Object.values(EngineSequence), { initial: plan.replayFrom - 1, wait });
    this.commandRing = commandRing;
    const symbols = symbolTableFor(config.source);
    const shared: SharedState = {
      commandRing: commandRing.descriptor,
      outputRing: outputRing.descriptor,
      snapshotRing: snapshotRing.descriptor,
      sequences: this.sequences.descriptor,
      stats: this.stats,
      control: new SharedArrayBuffer(32 * 4),
      stamps: new SharedArrayBuffer(nextPowerOfTwo(config.ringSize * 2) * 8),
      depthView: config.depth ? DepthView.create(symbolSlots(symbols), config.depth.levels) : null,
      tradeTape: TradeTape.create(symbolSlots(symbols)),
    };
    const tape = new TradeTape(shared.tradeTape);
    if (shared.depthView && config.depth) this.depthView = new DepthView(shared.depthView, config.depth.levels);
    const v = this.view;
    v[Stat.firstSequence] = log.nextSequence;
    v[Stat.published] = v[Stat.durable] = log.lastSequence;
    v[Stat.matched] = plan.replayFrom - 1;

    // 3. Workers: journaler (opens the WAL), matcher (replays, then follows the durable cursor), sink, source.
    const journalerData: JournalerData = { shared, walDir, backend: config.wal, maxBatch: config.maxBatch, recovery: log };
    const journaler = this.supervisor.spawn(JOURNALER, workerUrl('journaler'), journalerData, [], 'closed');
    const opened = await journaler.waitFor('opened', RECOVERY_TIMEOUT_MS);
    this.recovery = {
      backend: String(opened.backend),
      lastSequence: log.lastSequence,
      nextSequence: log.nextSequence,
      snapshotSequence: plan.base?.sequence ?? null,
      replayed,
      truncated: log.truncated,
      positions: plan.resume.positions,
    };
    const matcherData: MatcherData = {
      shared,
      source: config.source,
      walDir,
      base: plan.base,
      replayFrom: plan.replayFrom,
      replayTo: plan.replayTo,
      latencySampleEvery: LATENCY_SAMPLE_EVERY,
      emitReports: config.writeReports || config.source.kind === 'kafka',
      book: config.book === 'native' ? 'native' : 'js',
      recordOutputs: { trades: outputFiles.length > 0, reports: config.writeReports && outputFiles.length > 0, book: writeBookFile },
      depth: config.depth,
    };
    const matcher = this.supervisor.spawn(MATCHER, workerUrl('matcher'), matcherData, [], 'matcher-done');
    const sinkData: SinkData = {
      shared,
      source: config.source,
      outputDir: config.outputDir,
      writeReports: config.writeReports,
      jsonWriter: config.jsonWriter === 'native' ? 'native' : 'js',
      tradesPosition,
      reportsPosition,
      writeDepth: config.depth !== null,
      bookPosition,
      syncInSteps: config.snapshotEvery > 0 && outputFiles.length > 0,
    };
    const sink = this.supervisor.spawn(SINK, workerUrl('sink'), sinkData, [], 'sink-done');
    const pollerData: PollerData = {
      shared,
      source: config.source,
      rate: config.rate,
      stopWhenIdleMs: config.stopWhenIdleMs,
      resume: plan.resume,
      snapshotEvery: config.snapshotEvery,
      latencySampleEvery: LATENCY_SAMPLE_EVERY,
      readyTimeoutMs: RECOVERY_TIMEOUT_MS,
    };
    const poller = this.supervisor.spawn('poller', workerUrl('poller'), pollerData, [], 'source-done');
    this.startedAt = performance.now();
    const gc = new GcMeter();
    gc.start();

    if (config.metricsPort > 0) {
      this.http = new EngineHttpServer({
        metrics: this.metrics,
        symbols,
        depth: this.depthView,
        tape,
        status: () => this.status(),
      });
      const port = await this.http.serve(config.metricsPort);
      this.hooks.onMetricsPort?.(port);
      this.log(`[ringmatch] metrics on http://127.0.0.1:${port}/metrics; live page on /, JSON on /book/SYMBOL, /trades/SYMBOL, /symbols, /status`);
    }
    const progress = config.progressMs > 0 ? this.startProgress(config.progressMs) : null;
    const durationTimer =
      config.durationSeconds > 0 ? setTimeout(() => this.stop(`duration ${config.durationSeconds}s reached`), config.durationSeconds * 1000) : null;

    try {
      // 4. Run until the source ends or a stop is asked for.
      const sourceDone = poller.waitFor('source-done', 2 ** 31 - 1);
      const first = await Promise.race([sourceDone.then(() => 'source'), this.stopSignal.then(() => 'stop')]);
      if (first === 'stop') {
        const control = new Int32Array(shared.control);
        Atomics.store(control, Control.stopSource, 1);
        Atomics.notify(control, Control.stopSource);
        await poller.waitFor('source-done', STOP_SOURCE_TIMEOUT_MS);
      }
      const stoppedBy = this.stopReason ?? 'source ended';

      // 5. Drain: the poller ended the command ring; each stage finishes what is before the end
      // and ends the rings it produces (the matcher after the final snapshot), and each worker
      // reports when it is done. The journaler closes last: the final snapshot is written.
      await Promise.all([
        matcher.waitFor('matcher-done', DRAIN_TIMEOUT_MS),
        sink.waitFor('sink-done', DRAIN_TIMEOUT_MS),
        journaler.waitFor('closed', DRAIN_TIMEOUT_MS),
      ]);
      this.drainedAt = v[Stat.endedAt]!;
      v[Stat.gcMsMain] = gc.stop();
      await this.supervisor.stopAll(EXIT_GRACE_MS);
      if (config.source.kind === 'kafka')
        return this.summary(
          stoppedBy,
          `kafka:${tradesTopic(config.source.topic)}`,
          `kafka:${reportsTopic(config.source.topic)}`,
          config.depth ? `kafka:${bookTopic(config.source.topic)}` : null,
        );
      return this.summary(stoppedBy, tradesFile, config.writeReports ? reportsFile : null, writeBookFile ? bookFile : null);
    } finally {
      gc.stop(); // a failed run's meter too (a no-op after the drain read it)
      if (progress) clearInterval(progress);
      if (durationTimer) clearTimeout(durationTimer);
      await this.http?.close();
      if (!this.failed) this.dataDir?.lock.release();
    }
  }

  /**
   * Where each stage stands, read downstream first (see positionsFromStats): the sink's and the
   * matcher's figures, then the command ring's cursors (exact) once the ring exists.
   */
  private positions(): PipelinePositions {
    const ring = this.commandRing;
    if (!ring) return positionsFromStats(this.view);
    const outputs = this.view[Stat.sinkSequence]!;
    const matched = this.view[Stat.matched]!;
    const cursors = ring.cursors();
    return { published: cursors.published, durable: cursors.stages[JOURNALER]!, matched, outputs };
  }

  /** GET /status: sequences, lags and rates, read while running. */
  private status(): EngineStatus {
    const p = this.positions();
    const s = readStats(this.view);
    const matched = Math.max(0, p.matched - s.firstSequence + 1);
    const now = performance.now();
    const seconds = (now - this.startedAt) / 1000;
    return {
      sequences: p,
      lags: { durable: p.published - p.durable, match: p.durable - p.matched, outputs: Math.max(0, p.matched - p.outputs) },
      rates: { ordersPerSecond: Math.round(this.rate.perSecond(now, matched)), ordersPerSecondSinceStart: seconds > 0 ? Math.round(matched / seconds) : 0 },
      trades: s.trades,
      rejected: s.rejected,
      depthLevels: this.config.depth?.levels ?? null,
      uptimeSeconds: Math.round(seconds * 10) / 10,
    };
  }

  /** Exact progress from the ring cursors and the engine sequences (null before the rings exist). */
  progress(): { published: number; durable: number; matched: number; outputsWritten: number; outputsDurable: number } | null {
    const ring = this.commandRing;
    if (!ring || !this.sequences) return null;
    const c = ring.cursors();
    const outputs = this.sequences.snapshot();
    return {
      published: c.published,
      durable: c.stages[JOURNALER]!,
      matched: c.stages[MATCHER]!,
      outputsWritten: outputs[EngineSequence.outputsWritten]!,
      outputsDurable: outputs[EngineSequence.outputsDurable]!,
    };
  }

  /** Ring cursors and engine sequences, for a failure's last line. */
  private describeSequences(): string {
    const ring = this.commandRing;
    if (!ring) return 'none yet';
    const c = ring.cursors();
    const outputs = this.sequences?.snapshot() ?? {};
    return `published=${c.published} durable=${c.stages[JOURNALER]} matched=${c.stages[MATCHER]} outputs-written=${outputs[EngineSequence.outputsWritten]} outputs-durable=${outputs[EngineSequence.outputsDurable]}`;
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

  private summary(stoppedBy: string, tradesFile: string, reportsFile: string | null, bookFile: string | null): EngineSummary {
    if (process.stderr.isTTY && this.config.progressMs > 0) process.stderr.write('\n');
    return buildSummary({
      stats: readStats(this.view),
      // From the first publish (start-up, recovery and --pregenerate are not the engine's throughput).
      endMs: this.drainedAt || performance.timeOrigin + performance.now(),
      startedMs: performance.timeOrigin + this.startedAt,
      // Exact, from the cursors (the stats are metrics).
      matched: this.commandRing!.stageSequence(MATCHER).get(),
      durable: this.commandRing!.stageSequence(JOURNALER).get(),
      metrics: this.metrics,
      recovery: this.recovery!,
      tradesFile,
      reportsFile,
      bookFile,
      stoppedBy,
    });
  }
}
