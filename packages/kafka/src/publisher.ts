import type { Kafka, Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { IDEMPOTENT_RETRY, KafkaConfigError, withTimeout } from './client.js';
import { partitionCount } from './admin.js';
import { IDX_HEADER, SEQ_HEADER, comparePositions, lastPublishedSequence } from './tail.js';
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

/** Per topic, per partition: the last position already in Kafka (null: empty). */
export type ResumePoint = Map<string, Map<number, PublishedPosition | null>>;

/** A record published out of position order for its partition (an engine bug). */
export class OutOfOrderError extends Error {
  override readonly name = 'OutOfOrderError';
  constructor(readonly topic: string, readonly partition: number, readonly previous: PublishedPosition, readonly got: PublishedPosition) {
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
  readonly producer: Producer;
  private readonly partitions = new Map<string, number>();
  private resume: ResumePoint = new Map();
  private readonly lastQueued = new Map<string, PublishedPosition>(); // `${topic}/${partition}`
  private buffer: Array<{ topic: string; message: Message; pos: PublishedPosition; record: OutputRecord }> = [];
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private chain: Promise<void> = Promise.resolve();
  private failed: PublishFailedError | null = null;
  private idxSeq = -1;
  private idxNext = 0;
  private acked: PublishedPosition | null = null;
  private counters = { published: 0, skipped: 0, acked: 0 };
  private readonly maxBatch: number;
  private readonly linger: number;
  private readonly timeoutMs: number;

  constructor(private readonly kafka: Kafka, private readonly options: PublisherOptions) {
    if (!options.topics || options.topics.length === 0) throw new KafkaConfigError('topics', 'at least one output topic');
    this.maxBatch = options.maxBatchRecords ?? 2000;
    this.linger = options.lingerMs ?? 1;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // idempotence needs unlimited retries (kafkajs warns otherwise); flush() bounds the wait
      retry: IDEMPOTENT_RETRY,
    });
  }

  /** Connects and reads the resume point (the tail of every output partition). */
  async connect(): Promise<ResumePoint> {
    await withTimeout(this.producer.connect(), this.timeoutMs, 'publisher connect');
    for (const topic of this.options.topics) {
      this.partitions.set(topic, await partitionCount(this.kafka, topic, { timeoutMs: this.timeoutMs }));
      this.resume.set(
        topic,
        this.options.skipResumePoint ? new Map() : await lastPublishedSequence(this.kafka, topic, { timeoutMs: this.timeoutMs }),
      );
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
      record,
      message: {
        key: record.key,
        value: record.value,
        partition,
        headers: this.options.pack ? undefined : { ...record.headers, [SEQ_HEADER]: String(pos.seq), [IDX_HEADER]: String(pos.idx) },
      },
    });
    this.counters.published++;
    if (this.buffer.length >= this.maxBatch) this.kick();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.kick(), this.linger);
    }
    return true;
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
    if (this.buffer.length === 0 || this.draining) return;
    this.draining = true;
    this.chain = this.chain.then(async () => {
      try {
        while (this.buffer.length > 0 && !this.failed) {
          const take = this.requestSize();
          const chunk = take >= this.buffer.length ? this.buffer : this.buffer.splice(0, take);
          if (chunk === this.buffer) this.buffer = [];
          await this.send(chunk);
        }
      } finally {
        this.draining = false;
      }
    });
  }

  /** Records of the next request: a prefix of the buffer within maxBatchRecords and maxPartitionRecords. */
  private requestSize(): number {
    const limit = Math.min(this.buffer.length, this.maxBatch);
    const perPartition = this.options.maxPartitionRecords;
    if (perPartition === undefined) return limit;
    const counts = new Map<string, number>();
    for (let i = 0; i < limit; i++) {
      const r = this.buffer[i]!;
      const k = `${r.topic}\u0000${r.message.partition}`;
      const c = (counts.get(k) ?? 0) + 1;
      if (c > perPartition) return i;
      counts.set(k, c);
    }
    return limit;
  }

  private async send(chunk: Array<{ topic: string; message: Message; pos: PublishedPosition; record: OutputRecord }>): Promise<void> {
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
      await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      this.acked = chunk[chunk.length - 1]!.pos;
      this.counters.acked += chunk.length;
    } catch (e) {
      this.failed = new PublishFailedError(e as Error);
    }
  }

  private packInto(chunk: Array<{ topic: string; message: Message; pos: PublishedPosition; record: OutputRecord }>, byTopic: Map<string, Message[]>): void {
    const pack = this.options.pack!;
    const packMax = this.options.packMax ?? 256;
    const groups = new Map<string, typeof chunk>(); // topic/partition, in position order
    for (const r of chunk) {
      const k = `${r.topic}\u0000${r.message.partition}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(r);
    }
    for (const g of groups.values()) {
      const topic = g[0]!.topic;
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      for (let i = 0; i < g.length; i += packMax) {
        const part = g.slice(i, i + packMax);
        const first = part[0]!.pos;
        const last = part[part.length - 1]!.pos;
        const records = part.map((r) => r.record);
        list.push({
          key: this.options.packKey ? this.options.packKey(records) : records[0]!.key,
          value: pack(records.map((r) => r.value)),
          partition: part[0]!.message.partition!,
          headers: { [SEQ_HEADER]: String(last.seq), [IDX_HEADER]: String(last.idx), [FIRST_HEADER]: `${first.seq}.${first.idx}`, [COUNT_HEADER]: String(part.length) },
        });
      }
    }
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
      await withTimeout(this.producer.disconnect(), this.timeoutMs, 'publisher disconnect').catch(() => undefined);
    }
  }
}
