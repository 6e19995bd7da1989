// The ordered, idempotent output publisher and its restart rule (read each partition's tail at
// connect, drop what Kafka already holds). Over 400 lines because batching, packing and the
// restart rule share one queue and its positions; splitting them would expose that state.
import type { Kafka, Message } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { IDEMPOTENT_RETRY, KafkaConfigError, withTimeout } from './client.js';
import { partitionCount } from './admin.js';
import { IDX_HEADER, SEQ_HEADER, comparePositions, lastPublishedSequence } from './tail.js';
import { kafkajsTransport } from './producer-transport.js';
import type { ProducerTransport } from './producer-transport.js';
import type { PublishedPosition } from './tail.js';

/** One output record: an execution report or a trade. */
export interface OutputRecord {
  topic: string;
  /** Partition key: the symbol. */
  key: string | Buffer;
  value: string | Buffer;
  /** Engine sequence of the command that produced it (safe integer >= 0). */
  seq: number;
  /**
   * Index among the records of `seq` (0, 1, ...). Omitted: assigned in publish order (the count of
   * records already published for this seq, across topics) - deterministic if the engine replays
   * the same outputs in the same order.
   */
  idx?: number;
  headers?: Record<string, string | Buffer>;
}

/**
 * Outputs the caller packed itself into one Kafka record (`publishPacked`): all for one partition
 * of one topic, positions `first` .. `last` in order, `count` of them, `value` already encoded.
 */
export interface PackedOutputs {
  topic: string;
  partition: number;
  key: string | Buffer | null;
  value: Buffer;
  first: PublishedPosition;
  last: PublishedPosition;
  count: number;
  /**
   * Called with `value` once the request that carried it has settled (the transport holds it no
   * more): the caller may reuse the bytes. Not called for a request still on the wire at close.
   */
  recycle?: (value: Buffer) => void;
}

/** A request on the wire; `done` once it settled (acknowledged or failed). */
interface Request {
  chunk: Entry[];
  done: boolean;
}

interface Entry {
  topic: string;
  message: Message;
  /** Position of the (last) output in this entry. */
  pos: PublishedPosition;
  /** Engine sequence of its first output. */
  firstSeq: number;
  /** The record, for `pack`; null for a prepacked entry (its message is final). */
  record: OutputRecord | null;
  /** Outputs in this entry (1, or a packed record's count). */
  count: number;
  /** Value bytes (prepacked entries; 0 when unknown). */
  bytes: number;
  /** PackedOutputs.recycle of a prepacked entry. */
  recycle?: ((value: Buffer) => void) | undefined;
}

/** Per topic, per partition: the last position already in Kafka (null: empty). */
export type ResumePoint = Map<string, Map<number, PublishedPosition | null>>;

/** A record published out of position order for its partition (an engine bug). */
export class OutOfOrderError extends Error {
  override readonly name = 'OutOfOrderError';
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly previous: PublishedPosition,
    readonly got: PublishedPosition,
  ) {
    super(`${topic}[${partition}]: position ${got.seq}.${got.idx} published after ${previous.seq}.${previous.idx}`);
  }
}

/** The producer gave up (after its retries): the publisher is unusable; restart the engine. */
export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
  constructor(override readonly cause: Error) {
    super(`kafka publish failed: ${cause.message}`);
  }
}

const defaultPartitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, Array<{ partitionId: number; leader: number; replicas: number[]; isr: number[]; partitionErrorCode: number }>>();

const keyCache = new Map<number, Map<string, number>>();

/** The partition kafkajs' default partitioner (murmur2, Java-compatible) picks for a key. */
export function partitionForKey(key: string | Buffer, partitions: number): number {
  let cache: Map<string, number> | undefined;
  if (typeof key === 'string') {
    cache = keyCache.get(partitions);
    if (!cache) keyCache.set(partitions, (cache = new Map()));
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
  }
  let meta = metadataCache.get(partitions);
  if (!meta) {
    meta = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    metadataCache.set(partitions, meta);
  }
  const partition = defaultPartitioner({ topic: '', partitionMetadata: meta, message: { key, value: null } });
  if (cache) {
    if (cache.size >= 100_000) cache.clear(); // symbols are few; bound it anyway
    cache.set(key as string, partition);
  }
  return partition;
}

export interface PublisherOptions {
  /** Output topics (they must exist: `ensureTopics`). */
  topics: string[];
  /** Output records per produce request (default 2000; with `pack`, use more, e.g. 16000). */
  maxBatchRecords?: number;
  /**
   * Output records per partition per request (default: no limit). The broker's message.max.bytes
   * (1 MB by default) bounds one partition's record batch in a request, so with large requests
   * (packed) cap this at about 1 MB / largest output.
   */
  maxPartitionRecords?: number;
  /** Bytes of prepacked records per partition per request (default: no limit); see above. */
  maxPartitionBytes?: number;
  /** Bytes counted for each record beyond its value against maxPartitionBytes: its framing (default 0). */
  recordFramingBytes?: number;
  /** How long a partial batch waits for more records (default 1 ms). */
  lingerMs?: number;
  /** Timeout of connect / resume-point reading / close (default 30 s). */
  timeoutMs?: number;
  /** Skip reading the output topics' tails (a fresh deployment with empty topics). */
  skipResumePoint?: boolean;
  /**
   * Packing (optional): several output records of one partition go into ONE Kafka record whose
   * value is `pack(values)` (e.g. a batch codec from @ringmatch/protocol), at most `packMax`
   * (default 256) per Kafka record. Its headers carry the position of its LAST record
   * (`ringmatch-seq`/`ringmatch-idx`), the first (`ringmatch-first`, "seq.idx") and the count
   * (`ringmatch-count`); its key is `packKey(records)` (default: the first record's key). A
   * packed record is written atomically, so the restart rule is unchanged. kafkajs spends most of
   * its produce time per record, so this multiplies the publish rate (see bench/notes/kafka.md).
   */
  pack?: (values: Array<string | Buffer>) => Buffer;
  packMax?: number;
  packKey?: (records: OutputRecord[]) => string | Buffer | null;
  /** How requests are sent (default: an idempotent kafkajs producer, `kafkajsTransport`). */
  transport?: ProducerTransport;
}

/** Header of a packed record: position of its first record ("seq.idx"). */
export const FIRST_HEADER = 'ringmatch-first';
/** Header of a packed record: number of output records in it. */
export const COUNT_HEADER = 'ringmatch-count';

/**
 * Idempotent producer for execution reports and trades, keyed by symbol, each record carrying
 * the engine sequence (`ringmatch-seq`) and its index within it (`ringmatch-idx`) as headers.
 *
 * Exactly-once effect across crashes (restart rule): at `connect()` it reads the last position
 * already written in every partition of every output topic; the engine replays its outputs from
 * the WAL from any sequence at or before the smallest of them, and `publish()` drops every record
 * whose position is not after the last one of the partition it goes to. The idempotent producer
 * (acks=all, one request in flight) keeps each partition in position order without duplicates
 * while the process lives; the tail read covers the crash. No gap: a partition holds a prefix of
 * its records, so the first record after its tail is the first missing one.
 */
export class Publisher {
  readonly transport: ProducerTransport;
  private readonly partitions = new Map<string, number>();
  private resume: ResumePoint = new Map();
  private readonly lastQueued = new Map<string, PublishedPosition>(); // `${topic}/${partition}`
  private buffer: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  /** The requests on the wire, oldest first (at most the transport's maxInFlight). */
  private readonly inFlight: Request[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failed: PublishFailedError | null = null;
  private idxSeq = -1;
  private idxNext = 0;
  private acked: PublishedPosition | null = null;
  private counters = { published: 0, skipped: 0, acked: 0 };
  private readonly maxBatch: number;
  private readonly linger: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: PublisherOptions,
  ) {
    if (!options.topics || options.topics.length === 0) throw new KafkaConfigError('topics', 'at least one output topic');
    this.maxBatch = options.maxBatchRecords ?? 2000;
    this.linger = options.lingerMs ?? 1;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    // A kafkajs producer only when no other transport is given (it would sit unused beside librdkafka).
    this.transport =
      options.transport ??
      kafkajsTransport(
        kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          // idempotence needs unlimited retries (kafkajs warns otherwise); flush() bounds the wait
          retry: IDEMPOTENT_RETRY,
        }),
      );
  }

  /** Connects and reads the resume point (the tail of every output partition). */
  async connect(): Promise<ResumePoint> {
    await withTimeout(this.transport.connect(), this.timeoutMs, 'publisher connect');
    for (const topic of this.options.topics) {
      this.partitions.set(topic, await partitionCount(this.kafka, topic, { timeoutMs: this.timeoutMs }));
      this.resume.set(topic, this.options.skipResumePoint ? new Map() : await lastPublishedSequence(this.kafka, topic, { timeoutMs: this.timeoutMs }));
    }
    return this.resume;
  }

  /** The resume point read at `connect()`. */
  resumePoint(): ResumePoint {
    return this.resume;
  }

  /**
   * The smallest engine sequence the engine must replay from so that nothing is missing: the
   * minimum over partitions of the last published seq (null if any partition is empty and the
   * engine must replay everything it has; the publisher drops what is already there anyway).
   */
  replayFrom(): number | null {
    let min: number | null = null;
    for (const parts of this.resume.values()) {
      for (const p of parts.values()) {
        if (p === null) return null;
        min = min === null ? p.seq : Math.min(min, p.seq);
      }
    }
    return min;
  }

  /**
   * Queues a record (sent in batches). Returns false if it was already in Kafka before the restart
   * (dropped by the restart rule). Throws OutOfOrderError / PublishFailedError.
   */
  publish(record: OutputRecord): boolean {
    if (this.failed) throw this.failed;
    if (!Number.isSafeInteger(record.seq) || record.seq < 0) throw new KafkaConfigError('seq', `${record.seq}`);
    const count = this.partitions.get(record.topic);
    if (count === undefined) throw new KafkaConfigError('topic', `${record.topic} is not an output topic of this publisher (or connect() was not awaited)`);
    let idx = record.idx;
    if (idx === undefined) {
      if (record.seq !== this.idxSeq) {
        this.idxSeq = record.seq;
        this.idxNext = 0;
      }
      idx = this.idxNext++;
    }
    const pos: PublishedPosition = { seq: record.seq, idx };
    const partition = partitionForKey(record.key, count);
    const slot = `${record.topic}/${partition}`;
    const tail = this.resume.get(record.topic)?.get(partition);
    if (tail && comparePositions(pos, tail) <= 0) {
      this.counters.skipped++;
      return false;
    }
    const previous = this.lastQueued.get(slot);
    if (previous && comparePositions(pos, previous) <= 0) throw new OutOfOrderError(record.topic, partition, previous, pos);
    this.lastQueued.set(slot, pos);
    this.buffer.push({
      topic: record.topic,
      pos,
      firstSeq: pos.seq,
      record,
      count: 1,
      bytes: 0,
      message: {
        key: record.key,
        value: record.value,
        partition,
        headers: this.options.pack ? undefined : { ...record.headers, [SEQ_HEADER]: String(pos.seq), [IDX_HEADER]: String(pos.idx) },
      },
    });
    this.queued(1);
    return true;
  }

  /** Partitions of an output topic (after connect()). */
  partitionsOf(topic: string): number {
    const count = this.partitions.get(topic);
    if (count === undefined) throw new KafkaConfigError('topic', `${topic} is not an output topic of this publisher (or connect() was not awaited)`);
    return count;
  }

  /**
   * True if the output at (seq, idx) of `topic`'s `partition` was already in Kafka when this
   * publisher connected (the restart rule: the caller drops it instead of publishing it).
   */
  alreadyPublished(topic: string, partition: number, seq: number, idx: number): boolean {
    const tail = this.resume.get(topic)?.get(partition);
    return !!tail && (seq < tail.seq || (seq === tail.seq && idx <= tail.idx));
  }

  /**
   * Queues outputs the caller packed into one Kafka record (the engine's sink packs straight from
   * the output ring into bytes: no object per output). The headers are those of `pack`: position
   * of the last output, the first, the count. The caller applies the restart rule first
   * (`alreadyPublished`); a record at or before the partition's tail or its previous record
   * throws OutOfOrderError.
   */
  publishPacked(packed: PackedOutputs): void {
    if (this.failed) throw this.failed;
    const count = this.partitionsOf(packed.topic);
    if (!Number.isSafeInteger(packed.partition) || packed.partition < 0 || packed.partition >= count)
      throw new KafkaConfigError('partition', `${packed.partition} (topic ${packed.topic} has ${count})`);
    if (!(packed.count >= 1) || comparePositions(packed.first, packed.last) > 0)
      throw new KafkaConfigError('count', `${packed.count} outputs from ${packed.first.seq}.${packed.first.idx} to ${packed.last.seq}.${packed.last.idx}`);
    const slot = `${packed.topic}/${packed.partition}`;
    const previous = this.lastQueued.get(slot) ?? this.resume.get(packed.topic)?.get(packed.partition) ?? null;
    if (previous && comparePositions(packed.first, previous) <= 0) throw new OutOfOrderError(packed.topic, packed.partition, previous, packed.first);
    this.lastQueued.set(slot, packed.last);
    const { first, last } = packed;
    this.buffer.push({
      topic: packed.topic,
      pos: last,
      firstSeq: first.seq,
      record: null,
      count: packed.count,
      bytes: packed.value.length,
      recycle: packed.recycle,
      message: {
        key: packed.key,
        value: packed.value,
        partition: packed.partition,
        headers: {
          [SEQ_HEADER]: String(last.seq),
          [IDX_HEADER]: String(last.idx),
          [FIRST_HEADER]: `${first.seq}.${first.idx}`,
          [COUNT_HEADER]: String(packed.count),
        },
      },
    });
    this.queued(packed.count);
  }

  private queuedOutputs = 0;

  /** Counts queued outputs and starts a request when a batch is full (or the linger timer). */
  private queued(count: number): void {
    this.counters.published += count;
    this.queuedOutputs += count;
    if (this.queuedOutputs >= this.maxBatch) this.kick();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.kick(), this.linger);
    }
  }

  /**
   * True when nothing waits to be sent (a request may be in flight): what is handed over now
   * goes in the next request. A caller packing its own records hands over partial packs then, so
   * they neither wait behind a busy pipe nor split into tiny requests.
   */
  get nothingQueued(): boolean {
    return this.buffer.length === 0;
  }

  /**
   * Starts the drain loop unless it runs already. The loop takes what is buffered when a request
   * can go (up to `maxBatchRecords`), so while one request is in flight the next one grows
   * (natural batching): a slow round trip means larger requests, not a queue of small ones.
   */
  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0) return;
    if (this.draining) {
      // A free request slot (librdkafka pipelines): the loop sends now instead of at the next settle.
      if (this.inFlight.length < this.transport.maxInFlight) this.wakeDrain();
      return;
    }
    this.draining = true;
    this.chain = this.chain.then(async () => {
      try {
        // Up to maxInFlight requests on the wire (kafkajs: 1; librdkafka keeps each partition in
        // order across requests); the loop ends when nothing is buffered or in flight.
        const maxInFlight = this.transport.maxInFlight;
        while (!this.failed) {
          if (this.buffer.length > 0 && this.inFlight.length < maxInFlight) {
            const take = this.requestSize();
            const chunk = take >= this.buffer.length ? this.buffer : this.buffer.splice(0, take);
            if (chunk === this.buffer) this.buffer = [];
            for (const e of chunk) this.queuedOutputs -= e.count;
            const request: Request = { chunk, done: false };
            this.inFlight.push(request);
            const settledOne = new Promise<void>((resolve) => (this.oneSettled = resolve));
            void this.send(chunk).then(() => {
              request.done = true;
              this.retire();
            });
            if (this.inFlight.length >= maxInFlight || this.buffer.length === 0) await settledOne;
            continue;
          }
          if (this.inFlight.length === 0) break;
          await new Promise<void>((resolve) => (this.oneSettled = resolve));
        }
      } finally {
        this.draining = false;
        this.settled();
      }
    });
  }

  private oneSettled: (() => void) | null = null;

  /** Acknowledges the settled requests at the head, in order (a later one may finish first). */
  private retire(): void {
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) {
      const { chunk } = this.inFlight.shift()!;
      if (!this.failed) {
        this.acked = chunk[chunk.length - 1]!.pos;
        for (const e of chunk) this.counters.acked += e.count;
      }
      for (const e of chunk) if (e.recycle && Buffer.isBuffer(e.message.value)) e.recycle(e.message.value);
    }
    this.wakeDrain();
    this.settled();
  }

  private wakeDrain(): void {
    const wake = this.oneSettled;
    this.oneSettled = null;
    wake?.();
  }

  /**
   * Entries of the next request: a prefix of the buffer within maxBatchRecords outputs and, per
   * partition, maxPartitionRecords outputs and maxPartitionBytes bytes (always at least one entry).
   */
  private requestSize(): number {
    const perPartition = this.options.maxPartitionRecords ?? Infinity;
    const perPartitionBytes = this.options.maxPartitionBytes ?? Infinity;
    const framing = this.options.recordFramingBytes ?? 0;
    const counts = new Map<string, { outputs: number; bytes: number }>();
    let outputs = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const e = this.buffer[i]!;
      outputs += e.count;
      if (i > 0 && outputs > this.maxBatch) return i;
      if (perPartition === Infinity && perPartitionBytes === Infinity) continue;
      const k = `${e.topic}\u0000${e.message.partition}`;
      let c = counts.get(k);
      if (!c) counts.set(k, (c = { outputs: 0, bytes: 0 }));
      c.outputs += e.count;
      c.bytes += e.bytes + framing;
      if (i > 0 && (c.outputs > perPartition || c.bytes > perPartitionBytes)) return i;
    }
    return this.buffer.length;
  }

  private async send(chunk: Entry[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    if (this.options.pack) {
      this.packInto(chunk, byTopic);
    } else {
      for (const r of chunk) {
        let list = byTopic.get(r.topic);
        if (!list) byTopic.set(r.topic, (list = []));
        list.push(r.message);
      }
    }
    try {
      await this.transport.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    } catch (e) {
      this.failed ??= new PublishFailedError(e as Error);
    }
  }

  private packInto(chunk: Entry[], byTopic: Map<string, Message[]>): void {
    const pack = this.options.pack!;
    const packMax = this.options.packMax ?? 256;
    const listOf = (topic: string): Message[] => {
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      return list;
    };
    const groups = new Map<string, Entry[]>(); // topic/partition, in position order
    for (const r of chunk) {
      const k = `${r.topic}\u0000${r.message.partition}`;
      if (r.record === null) {
        // Prepacked: what was grouped before it for its partition goes first (position order).
        const g = groups.get(k);
        if (g) this.packGroup(g, listOf(r.topic), pack, packMax);
        groups.delete(k);
        listOf(r.topic).push(r.message);
        continue;
      }
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(r);
    }
    for (const g of groups.values()) this.packGroup(g, listOf(g[0]!.topic), pack, packMax);
  }

  private packGroup(g: Entry[], list: Message[], pack: (values: Array<string | Buffer>) => Buffer, packMax: number): void {
    for (let i = 0; i < g.length; i += packMax) {
      const part = g.slice(i, i + packMax);
      const first = part[0]!.pos;
      const last = part[part.length - 1]!.pos;
      const records = part.map((r) => r.record!);
      list.push({
        key: this.options.packKey ? this.options.packKey(records) : records[0]!.key,
        value: pack(records.map((r) => r.value)),
        partition: part[0]!.message.partition!,
        headers: {
          [SEQ_HEADER]: String(last.seq),
          [IDX_HEADER]: String(last.idx),
          [FIRST_HEADER]: `${first.seq}.${first.idx}`,
          [COUNT_HEADER]: String(part.length),
        },
      });
    }
  }

  private settleWaiters: Array<() => void> = [];

  private settled(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Resolves when the next request settles (acknowledged or failed), or after `timeoutMs`: a
   * caller over its limit of pending outputs waits here instead of polling `pending`.
   */
  nextSettled(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.settleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends everything queued and waits for the broker's acknowledgement. */
  async flush(timeoutMs = this.timeoutMs): Promise<void> {
    this.kick();
    await withTimeout(this.chain, timeoutMs, 'publisher flush');
    if (this.failed) throw this.failed;
  }

  /** Records queued but not yet acknowledged. */
  get pending(): number {
    return this.counters.published - this.counters.acked;
  }

  /**
   * Smallest engine sequence among outputs queued or in flight (Infinity when none): every output
   * of a smaller sequence handed to this publisher is acknowledged. Unlike `ackedPosition`, this
   * holds when records are handed over out of sequence order across partitions (packs fill at
   * different rates), which is what snapshots must rely on.
   */
  oldestPendingSeq(): number {
    let min = Infinity;
    for (const r of this.inFlight) for (const e of r.chunk) if (e.firstSeq < min) min = e.firstSeq;
    for (const e of this.buffer) if (e.firstSeq < min) min = e.firstSeq;
    return min;
  }

  /** Position of the last acknowledged record (everything published before it is acknowledged). */
  get ackedPosition(): PublishedPosition | null {
    return this.acked;
  }

  get stats(): { published: number; skipped: number; acked: number } {
    return { ...this.counters };
  }

  /** Flushes (bounded) and disconnects. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await withTimeout(this.transport.disconnect(), this.timeoutMs, 'publisher disconnect').catch(() => undefined);
    }
  }
}
