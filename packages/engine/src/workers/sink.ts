// Sink worker: drains the output ring into NDJSON files (trades always, execution reports with
// --reports). Each line carries its engine sequence and its index among that sequence's outputs,
// so after a restart the lines already written are skipped and nothing is doubled or lost.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { HALTED, RingBuffer } from '@ringmatch/ring';
import { OutputKind, TradeLineEncoder, createReport, createTrade, encodeReportJson, encodeTradeJson, readOutput } from '@ringmatch/protocol';
import type { SourceConfig } from '../config.js';
import { OutputFile, REPORTS_FILE, TRADES_FILE, alreadyWritten, type OutputPosition } from '../output-file.js';
import { Stat } from '../stats.js';
import { SINK, fatal, nowMs, reportsTopic, symbolTableFor, tradesTopic, type SharedState } from '../shared.js';
import { Publisher, createKafka } from '@ringmatch/kafka';
import { PACK_MAX, packOutputs } from '../kafka-format.js';

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
  const tradeLines = new TradeLineEncoder(symbols);
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
    // Every output of sequences <= complete is now in the files: snapshots may cover them.
    if (complete > stats[Stat.flushed]!) stats[Stat.flushed] = complete;
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
          trades.appendTrade(tradeLines, tradeIndex, trade);
          written++;
        }
      } else if (kind === OutputKind.Report) {
        const seq = (lastSeq = report.seq);
        reportIndex = seq === lastReportSeq ? reportIndex + 1 : 0;
        lastReportSeq = seq;
        if (reports && !alreadyWritten(data.reportsPosition, seq, reportIndex)) {
          reports.append(reportIndex, encodeReportJson(report, symbols));
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
 * Outputs per produce request, and per partition in one request: the broker's message.max.bytes
 * (1 MB by default) bounds each partition's record batch in a request; an output line is at most
 * ~450 bytes (a report), so 1536 per partition stay under it.
 */
const MAX_REQUEST_OUTPUTS = 8192;
const MAX_PARTITION_OUTPUTS = 1536;
/** Outputs queued or in flight before the sink waits for acknowledgements. */
const MAX_PENDING_OUTPUTS = 2 * MAX_REQUEST_OUTPUTS;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Longest broker outage the sink waits out before it fails the engine. */
const BROKER_OUTAGE_MS = 110_000;

/**
 * Kafka: trades and execution reports to `<orders>.trades` / `<orders>.reports`, keyed by symbol,
 * packed (NDJSON, up to PACK_MAX outputs of one partition per Kafka record, headers: position of
 * the last output, the first, the count). The idempotent publisher reads each output
 * partition's tail at connect and drops what is already there, so replaying outputs from the WAL
 * after a crash neither skips nor repeats a record. Snapshots wait for acknowledged outputs.
 */
async function runKafka(source: Extract<SourceConfig, { kind: 'kafka' }>): Promise<void> {
  const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-publisher' });
  const trades = tradesTopic(source.topic);
  const reports = reportsTopic(source.topic);
  // Packed: one Kafka record per (partition, up to PACK_MAX outputs), NDJSON value (kafka-format.ts).
  // timeoutMs bounds connect/flush: a broker outage shorter than this is ridden out (the idempotent
  // producer retries without duplicates), a longer one fails the engine loudly.
  const publisher = new Publisher(kafka, { topics: [trades, reports], pack: packOutputs, packMax: PACK_MAX, maxBatchRecords: MAX_REQUEST_OUTPUTS, maxPartitionRecords: MAX_PARTITION_OUTPUTS, timeoutMs: BROKER_OUTAGE_MS });
  await publisher.connect();
  const ring = RingBuffer.attach(data.shared.outputRing);
  const stage = ring.stage(SINK);
  const report = createReport();
  const trade = createTrade();
  const bytes = ring.bytes;
  let lastSeq = -1;
  let index = 0;
  let written = 0;
  let next = stage.nextSequence();
  const symbolName = (id: number): string => symbols.nameOf(id) ?? String(id);
  for (;;) {
    const hi = await stage.barrier.waitForAsync(next, 20);
    if (hi === HALTED) break;
    if (hi < next) {
      const matched = stats[Stat.matched]!;
      if (ring.published() < next) {
        await publisher.flush();
        if (matched > stats[Stat.flushed]!) stats[Stat.flushed] = matched;
      }
      continue;
    }
    for (let s = next; s <= hi; s++) {
      const kind = readOutput(bytes, ring.offsetOf(s), report, trade);
      const seq = kind === OutputKind.Trade ? trade.seq : report.seq;
      index = seq === lastSeq ? index + 1 : 0;
      lastSeq = seq;
      if (kind === OutputKind.Trade) {
        if (publisher.publish({ topic: trades, key: symbolName(trade.symbolId), value: encodeTradeJson(trade, symbols), seq, idx: index })) written++;
      } else if (kind === OutputKind.Report) {
        if (publisher.publish({ topic: reports, key: symbolName(report.symbolId), value: encodeReportJson(report, symbols), seq, idx: index })) written++;
      } else {
        throw new Error(`output slot ${s} has unknown kind ${kind}`);
      }
    }
    stage.cursor.set(hi);
    stats[Stat.outputsWritten] = written;
    stats[Stat.sinkSequence] = lastSeq;
    next = hi + 1;
    // Bounded: at most one request in flight and the next one filling. Waiting here (not
    // flushing) keeps the pipe full, and holding few outputs keeps them in V8's young generation
    // (a 64k backlog got them promoted: 30% of the sink's time was GC). The output ring behind us
    // is the backpressure.
    if (publisher.pending > MAX_PENDING_OUTPUTS) {
      const deadline = nowMs() + BROKER_OUTAGE_MS;
      while (publisher.pending > MAX_PENDING_OUTPUTS) {
        if (nowMs() > deadline) await publisher.flush(); // throws the timeout / publish failure
        else await sleep(1);
      }
    }
    const acked = publisher.ackedPosition;
    if (acked && acked.seq - 1 > stats[Stat.flushed]!) stats[Stat.flushed] = acked.seq - 1;
  }
  await publisher.close();
  parentPort!.postMessage({ type: 'sink-done', written, lastSeq });
}

(data.source.kind === 'kafka' ? runKafka(data.source) : Promise.resolve(run())).catch((error: unknown) =>
  fatal(error, { sinkSequence: stats[Stat.sinkSequence] }),
);
