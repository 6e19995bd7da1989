// Kafka sink: trades, execution reports and the depth stream to `<orders>.trades` /
// `<orders>.reports` / `<orders>.book`, keyed by symbol, packed (one Kafka record per partition
// and up to PACK_OUTPUTS outputs: NDJSON lines or a binary output batch, fewer where the topics'
// max.message.bytes asks; headers: position of the last output, the first, the count). The
// idempotent publisher reads each output partition's tail at connect and the packer drops what is
// already there, so replaying outputs from the WAL after a crash neither skips nor repeats a
// record. Acknowledged outputs are durable: that is what a snapshot waits for.
import { OutputKind, type DepthUpdate, type ExecutionReport, type Trade } from '@ringmatch/protocol';
import { Publisher, createKafka, nativeTransport, topicRecordLimits, type ProducerTransport } from '@ringmatch/kafka';
import { requireNativeKafka } from '../kafka-client.js';
import { kafkaStartError } from '../kafka-start-error.js';
import type { SourceConfig } from '../config.js';
import { KafkaOutputPacker, RecordLimitError } from '../kafka-packer.js';
import { nativeWriterFor } from '../json-writer.js';
import { bookTopic, nowMs, reportsTopic, symbolTableFor, tradesTopic } from '../shared.js';
import type { OutputSink, SinkContext } from './output-sink.js';

/**
 * Outputs per produce request: JSON outputs are up to ~450 bytes, binary ones 96. The output
 * topics' max.message.bytes (1 MB by default; read at connect) bounds each partition's record
 * batch in a request, hence the per-partition byte cap (lower where a topic's limit is).
 */
const MAX_REQUEST_OUTPUTS = { json: 8192, binary: 32768 } as const;
const MAX_PARTITION_BYTES = 900_000;
/**
 * Outputs per Kafka record, and bytes per JSON record: large enough that a partition's share of a
 * request is one record. librdkafka's idempotent producer lets a partition start a request only
 * while fewer than 5 of its *messages* are in flight (rdkafka_broker.c counts messages against a
 * window of 5 requests), and its broker thread polls without waiting while a ready batch is held
 * back so. With 60 KB records (256 outputs), 15 to a partition's request, a partition had one
 * request in flight and that thread spun: 1.3-3.3 s of CPU in a million-order JSON run.
 */
const PACK_OUTPUTS = { json: 2048, binary: 6144 } as const;
const PACK_BYTES = 600_000;
/** A record batch's header: what one partition's records in a produce request carry once. */
const BATCH_HEADER_BYTES = 61;
/**
 * A record's bytes beyond its value and key, rounded up: its length, attributes and deltas
 * (varints) and the position headers, names and values.
 */
const RECORD_FRAMING_BYTES = 512;
/** Longest a partial pack waits for more outputs under load (ms). */
const PACK_LINGER_MS = 10;
/** Longest broker outage the sink waits out before it fails the engine. */
const BROKER_OUTAGE_MS = 110_000;

/** The output topics take records too small for one output: an operator's setting, one line (fault.ts). */
export class OutputTopicLimitError extends Error {
  readonly code = 'KAFKA_RECORD_LIMIT';
}

export class KafkaSink implements OutputSink {
  /** The packer's JS encoder reads the decoded objects. */
  readonly decodesSlots = true;
  private lastSeq = -1;
  private index = 0;
  private written = 0;
  /** Every output of sequences <= marked has been handed to the packer. */
  private marked = -1;
  private idleFlush: Promise<void> | null = null;
  private readonly maxPending: number;

  private constructor(
    private readonly context: SinkContext,
    private readonly publisher: Publisher,
    private readonly packer: KafkaOutputPacker,
    maxRequest: number,
  ) {
    // every request the transport may have on the wire, and the next one filling
    this.maxPending = (publisher.transport.maxInFlight + 1) * maxRequest;
  }

  static async open(context: SinkContext, ringBytes: Uint8Array): Promise<KafkaSink> {
    const source = context.source as Extract<SourceConfig, { kind: 'kafka' }>;
    const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-publisher' });
    const trades = tradesTopic(source.topic);
    const reports = reportsTopic(source.topic);
    const book = context.writeDepth ? bookTopic(source.topic) : null;
    const format = source.outputFormat;
    const topics = book === null ? [trades, reports] : [trades, reports, book];
    const symbols = symbolTableFor(source);
    const limit = await recordLimit(kafka, source.brokers, topics, symbols);
    // timeoutMs bounds connect/flush: a broker outage shorter than this is ridden out (the idempotent
    // producer retries without duplicates), a longer one fails the engine loudly.
    const maxRequest = MAX_REQUEST_OUTPUTS[format];
    const publisher = new Publisher(kafka, {
      topics,
      maxBatchRecords: maxRequest,
      // A partition's records in one request form one record batch, which the topic's limit bounds.
      maxPartitionBytes: Math.min(MAX_PARTITION_BYTES, limit.batchBytes - BATCH_HEADER_BYTES),
      recordFramingBytes: limit.framingBytes,
      timeoutMs: BROKER_OUTAGE_MS,
      transport: source.client === 'native' ? await nativeProducerTransport(source.brokers, limit.batchBytes) : undefined,
    });
    const nativeWriter = format === 'json' ? await nativeWriterFor(context.jsonWriter, symbols) : null;
    let packer: KafkaOutputPacker;
    try {
      await publisher.connect();
      packer = new KafkaOutputPacker(publisher, ringBytes, {
        tradesTopic: trades,
        reportsTopic: reports,
        bookTopic: book,
        format,
        symbols,
        packMax: PACK_OUTPUTS[format],
        packBytes: PACK_BYTES,
        maxRecordBytes: limit.recordBytes,
        nativeWriter,
      });
    } catch (error) {
      await publisher.close().catch(() => undefined);
      if (!(error instanceof RecordLimitError)) throw error;
      throw new OutputTopicLimitError(
        `output topic ${limit.topic} accepts record batches of at most ${limit.batchBytes} bytes (max.message.bytes), too few for one ${format} output of ${error.neededBytes} bytes and a record's framing: raise it (kafka-configs.sh --alter --entity-type topics --entity-name ${limit.topic} --add-config max.message.bytes=1048588) and run again; whatever was matched is in the WAL and is published then`,
      );
    }
    return new KafkaSink(context, publisher, packer, maxRequest);
  }

  output(isTrade: boolean, seq: number, bytes: Uint8Array, offset: number, report: ExecutionReport, trade: Trade): void {
    // One numbering across trades, reports and depth lines of a sequence: the records' position headers.
    this.index = seq === this.lastSeq ? this.index + 1 : 0;
    this.lastSeq = seq;
    if (this.packer.add(isTrade ? OutputKind.Trade : OutputKind.Report, bytes, offset, report, trade, null, seq, this.index)) this.written++;
  }

  depth(seq: number, bytes: Uint8Array, offset: number, update: DepthUpdate): void {
    this.index = seq === this.lastSeq ? this.index + 1 : 0;
    this.lastSeq = seq;
    if (this.packer.add(OutputKind.Depth, bytes, offset, null, null, update, seq, this.index)) this.written++;
  }

  mark(seq: number): void {
    this.marked = seq;
  }

  ready(): void | Promise<void> {
    // Synchronous unless the publisher is over its limit: a promise for every batch made the
    // processor wait a microtask round per batch, and allocate for it.
    if (this.publisher.pending > this.maxPending) return this.relieve();
  }

  endBatch(): void {
    this.packer.writePending(); // before the batch's slots are released
    this.handOverDue();
  }

  /**
   * Bounded: at most one request in flight and the next one filling. Waiting here (not flushing)
   * keeps the pipe full; the output ring behind us is the backpressure. Waiting before a batch,
   * not after it: the outputs already packed free their slots at once, so the matcher keeps
   * matching while the request is on the wire (holding them for the round trip cost a fifth of
   * the JSON throughput).
   */
  private async relieve(): Promise<void> {
    const deadline = nowMs() + BROKER_OUTAGE_MS;
    while (this.publisher.pending > this.maxPending) {
      if (nowMs() > deadline)
        await this.publisher.flush(); // throws the timeout / publish failure
      else await this.publisher.nextSettled(deadline - nowMs());
    }
    this.handOverDue();
  }

  /**
   * Partial packs join the next request when nothing else waits for it (while one request is in
   * flight the packs fill: natural batching), and in any case once the oldest is PACK_LINGER_MS
   * old: under sustained load a quiet partition's pack would otherwise wait for a full pack.
   */
  private handOverDue(): void {
    if (this.publisher.nothingQueued || this.packer.oldestHeldAgeMs(performance.now()) > PACK_LINGER_MS) this.packer.handOverAll();
    this.context.onWritten(this.written);
    this.report();
  }

  idle(): void {
    if (this.idleFlush) return;
    this.packer.handOverAll();
    const target = this.marked;
    this.idleFlush = this.publisher.flush().then(
      () => {
        this.idleFlush = null;
        this.progress(target);
      },
      (error: unknown) => this.context.fail(error),
    );
  }

  async close(): Promise<void> {
    this.packer.handOverAll();
    await this.publisher.close();
    this.progress(this.marked);
  }

  /**
   * Everything of sequences below the oldest output not yet acknowledged is in Kafka: the oldest
   * held in a partial pack, queued or in flight (packs go out of sequence order across partitions,
   * so the last acknowledged position alone would overstate it).
   */
  private report(): void {
    this.progress(Math.min(this.packer.oldestHeldSeq() - 1, this.publisher.oldestPendingSeq() - 1, this.marked));
  }

  private progress(seq: number): void {
    this.context.progress.written(seq);
    this.context.progress.durable(seq);
  }
}

/**
 * The output topics' smallest `max.message.bytes` (the broker's own limit where a topic sets none):
 * a partition's records in one produce request form one record batch, which must stay within it.
 * `framingBytes` bounds a record's bytes beyond its value (the longest key included), and
 * `recordBytes` is what a record's value may take in a batch of its own.
 */
async function recordLimit(kafka: ReturnType<typeof createKafka>, brokers: string[], topics: string[], symbols: ReturnType<typeof symbolTableFor>) {
  let limits: Map<string, number>;
  try {
    limits = await topicRecordLimits(kafka, topics, { timeoutMs: 30_000 });
  } catch (error) {
    throw kafkaStartError(
      `cannot read max.message.bytes of the output topics ${topics.join(', ')}`,
      brokers,
      error,
      'whatever was matched is in the WAL and is published then',
    );
  }
  const [topic, batchBytes] = [...limits].reduce((least, entry) => (entry[1] < least[1] ? entry : least));
  const framingBytes = RECORD_FRAMING_BYTES + Math.max(...symbols.list().map((d) => Buffer.byteLength(d.name)));
  return { topic, batchBytes, framingBytes, recordBytes: batchBytes - BATCH_HEADER_BYTES - framingBytes };
}

/**
 * librdkafka's idempotent producer (acks=all, up to 5 requests in flight, each partition kept in
 * order) through @ringmatch/native-kafka. Its delivery timeout is the broker outage the sink rides
 * out, as kafkajs' retries are. Its batches (one record batch per partition per request) stay
 * within `batchBytes`, the output topics' limit.
 */
async function nativeProducerTransport(brokers: string[], batchBytes: number): Promise<ProducerTransport> {
  const native = await requireNativeKafka();
  const producer = new native.NativeProducer({
    brokers: brokers.join(','),
    clientId: 'ringmatch-publisher',
    deliveryTimeoutMs: BROKER_OUTAGE_MS,
    batchBytes: Math.min(1 << 20, batchBytes),
  });
  return nativeTransport(producer, BROKER_OUTAGE_MS);
}
