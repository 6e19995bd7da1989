// Sink worker: drains the output ring into NDJSON files (trades always, execution reports with
// --reports). Each line carries its engine sequence and its index among that sequence's outputs,
// so after a restart the lines already written are skipped and nothing is doubled or lost.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { HALTED, RingBuffer } from '@ringmatch/ring';
import { OutputJsonEncoder, OutputKind, createReport, createTrade, readOutput } from '@ringmatch/protocol';
import type { SourceConfig } from '../config.js';
import { OutputFile, REPORTS_FILE, TRADES_FILE, alreadyWritten, type OutputPosition } from '../output-file.js';
import { Stat } from '../stats.js';
import { SINK, fatal, nowMs, reportsTopic, symbolTableFor, tradesTopic, type SharedState } from '../shared.js';
import { Publisher, createKafka } from '@ringmatch/kafka';
import { PACK_MAX } from '../kafka-format.js';
import { KafkaOutputPacker } from '../kafka-packer.js';

export interface SinkData {
  shared: SharedState;
  source: SourceConfig;
  outputDir: string;
  writeReports: boolean;
  /** Where each file ended before this run (from recoverOutputFile). */
  tradesPosition: OutputPosition;
  reportsPosition: OutputPosition;
}

const data = workerData as SinkData;
const stats = new Float64Array(data.shared.stats);
const symbols = symbolTableFor(data.source);

function run(): void {
  const ring = RingBuffer.attach(data.shared.outputRing);
  const stage = ring.stage(SINK);
  const trades = new OutputFile(path.join(data.outputDir, TRADES_FILE));
  const reports = data.writeReports ? new OutputFile(path.join(data.outputDir, REPORTS_FILE)) : null;
  const report = createReport();
  const trade = createTrade();
  const lines = new OutputJsonEncoder(symbols);
  const bytes = ring.bytes;
  let written = 0;
  let lastSeq = -1;
  // Each file numbers its own lines within a sequence ("n"), so the trade file's positions do not
  // depend on whether execution reports are written too.
  let lastTradeSeq = -1;
  let tradeIndex = 0;
  let lastReportSeq = -1;
  let reportIndex = 0;
  let next = stage.nextSequence();
  let lastFlushMs = 0;
  const flush = (complete: number): void => {
    trades.flush();
    reports?.flush();
    lastFlushMs = performance.now();
    // Every output of sequences <= complete is now in the files; the journaler makes them durable
    // (fdatasync) before a snapshot covers them.
    if (complete > stats[Stat.flushed]!) stats[Stat.flushed] = complete;
    stats[Stat.outputBytes] = trades.bytesWritten + (reports?.bytesWritten ?? 0);
  };
  for (;;) {
    const hi = stage.barrier.waitFor(next, 20);
    if (hi === HALTED) break;
    if (hi < next) {
      // Idle. Read matched before checking the ring: the matcher publishes a sequence's outputs
      // before it advances matched, so if we have consumed everything published, all outputs
      // of sequences <= matched are ours.
      const matched = stats[Stat.matched]!;
      if (ring.published() < next) flush(matched);
      continue;
    }
    for (let s = next; s <= hi; s++) {
      const kind = readOutput(bytes, ring.offsetOf(s), report, trade);
      if (kind === OutputKind.Trade) {
        const seq = (lastSeq = trade.seq);
        tradeIndex = seq === lastTradeSeq ? tradeIndex + 1 : 0;
        lastTradeSeq = seq;
        if (!alreadyWritten(data.tradesPosition, seq, tradeIndex)) {
          trades.appendTrade(lines, tradeIndex, trade);
          written++;
        }
      } else if (kind === OutputKind.Report) {
        const seq = (lastSeq = report.seq);
        reportIndex = seq === lastReportSeq ? reportIndex + 1 : 0;
        lastReportSeq = seq;
        if (reports && !alreadyWritten(data.reportsPosition, seq, reportIndex)) {
          reports.appendReport(lines, reportIndex, report);
          written++;
        }
      } else {
        throw new Error(`output slot ${s} has unknown kind ${kind}`);
      }
    }
    stage.cursor.set(hi);
    stats[Stat.outputsWritten] = written;
    stats[Stat.sinkSequence] = lastSeq;
    next = hi + 1;
    // The last sequence's outputs may continue in the next batch: only lastSeq - 1 is complete.
    if (performance.now() - lastFlushMs > 5) flush(lastSeq - 1);
  }
  trades.close();
  reports?.close();
  parentPort!.postMessage({ type: 'sink-done', written, lastSeq });
}

/**
 * Outputs per produce request: JSON outputs are up to ~450 bytes, binary ones 96. The broker's
 * message.max.bytes (1 MB by default) bounds each partition's record batch in a request, hence
 * the per-partition byte cap.
 */
const MAX_REQUEST_OUTPUTS = { json: 8192, binary: 32768 } as const;
const MAX_PARTITION_BYTES = 900_000;
/** Outputs per Kafka record, and bytes per JSON record. */
const PACK_OUTPUTS = { json: PACK_MAX, binary: 2048 } as const;
const PACK_BYTES = 128 * 1024;
/** Longest a partial pack waits for more outputs under load (ms). */
const PACK_LINGER_MS = 10;
/** Output slots the Kafka sink takes from the ring per turn. */
const SINK_CHUNK = 4096;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Longest broker outage the sink waits out before it fails the engine. */
const BROKER_OUTAGE_MS = 110_000;

/**
 * Kafka: trades and execution reports to `<orders>.trades` / `<orders>.reports`, keyed by symbol,
 * packed (one Kafka record per partition and up to PACK_OUTPUTS outputs: NDJSON lines or a binary
 * output batch; headers: position of the last output, the first, the count). The idempotent
 * publisher reads each output partition's tail at connect and the packer drops what is already
 * there, so replaying outputs from the WAL after a crash neither skips nor repeats a record.
 * Snapshots wait for acknowledged outputs.
 */
async function runKafka(source: Extract<SourceConfig, { kind: 'kafka' }>): Promise<void> {
  const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-publisher' });
  const trades = tradesTopic(source.topic);
  const reports = reportsTopic(source.topic);
  const format = source.outputFormat;
  // timeoutMs bounds connect/flush: a broker outage shorter than this is ridden out (the idempotent
  // producer retries without duplicates), a longer one fails the engine loudly.
  const maxRequest = MAX_REQUEST_OUTPUTS[format];
  const publisher = new Publisher(kafka, { topics: [trades, reports], maxBatchRecords: maxRequest, maxPartitionBytes: MAX_PARTITION_BYTES, timeoutMs: BROKER_OUTAGE_MS });
  await publisher.connect();
  const ring = RingBuffer.attach(data.shared.outputRing);
  const stage = ring.stage(SINK);
  const report = createReport();
  const trade = createTrade();
  const bytes = ring.bytes;
  const packer = new KafkaOutputPacker(publisher, bytes, { tradesTopic: trades, reportsTopic: reports, format, symbols, packMax: PACK_OUTPUTS[format], packBytes: PACK_BYTES });
  const maxPending = 2 * maxRequest;
  let lastSeq = -1;
  let index = 0;
  let written = 0;
  let next = stage.nextSequence();
  /**
   * Everything of sequences below the oldest output not yet acknowledged is in Kafka: the oldest
   * held in a partial pack, queued or in flight (packs go out of sequence order across partitions,
   * so the last acknowledged position alone would overstate it), and the last sequence read (its
   * outputs may continue in the next chunk).
   */
  const advanceFlushed = (): void => {
    const complete = Math.min(packer.oldestHeldSeq(), publisher.oldestPendingSeq(), lastSeq) - 1;
    if (complete > stats[Stat.flushed]!) stats[Stat.flushed] = complete;
  };
  for (;;) {
    const available = await stage.barrier.waitForAsync(next, 20);
    if (available === HALTED) break;
    // At most SINK_CHUNK slots per turn: the ring cursor advances (freeing room for the matcher)
    // and the backpressure check below runs between chunks, not after a whole ring of outputs.
    const hi = Math.min(available, next + SINK_CHUNK - 1);
    if (hi < next) {
      const matched = stats[Stat.matched]!;
      if (ring.published() < next) {
        packer.handOverAll();
        await publisher.flush();
        if (matched > stats[Stat.flushed]!) stats[Stat.flushed] = matched;
      }
      continue;
    }
    for (let s = next; s <= hi; s++) {
      const offset = ring.offsetOf(s);
      const kind = readOutput(bytes, offset, report, trade);
      if (kind !== OutputKind.Trade && kind !== OutputKind.Report) throw new Error(`output slot ${s} has unknown kind ${kind}`);
      const seq = kind === OutputKind.Trade ? trade.seq : report.seq;
      index = seq === lastSeq ? index + 1 : 0;
      lastSeq = seq;
      if (packer.add(kind, bytes, offset, report, trade, seq, index)) written++;
    }
    stage.cursor.set(hi);
    stats[Stat.outputsWritten] = written;
    stats[Stat.sinkSequence] = lastSeq;
    next = hi + 1;
    // Bounded: at most one request in flight and the next one filling. Waiting here (not
    // flushing) keeps the pipe full; the output ring behind us is the backpressure.
    if (publisher.pending > maxPending) {
      const deadline = nowMs() + BROKER_OUTAGE_MS;
      while (publisher.pending > maxPending) {
        if (nowMs() > deadline) await publisher.flush(); // throws the timeout / publish failure
        else await sleep(1);
      }
    }
    // Partial packs join the next request when nothing else waits for it (while one request is
    // in flight the packs fill: natural batching), and in any case once the oldest is PACK_LINGER_MS
    // old: under sustained load a quiet partition's pack would otherwise wait for a full pack.
    if (publisher.nothingQueued || packer.oldestHeldAgeMs(performance.now()) > PACK_LINGER_MS) packer.handOverAll();
    advanceFlushed();
  }
  packer.handOverAll();
  await publisher.close();
  parentPort!.postMessage({ type: 'sink-done', written, lastSeq });
}

(data.source.kind === 'kafka' ? runKafka(data.source) : Promise.resolve(run())).catch((error: unknown) =>
  fatal(error, { sinkSequence: stats[Stat.sinkSequence] }),
);
