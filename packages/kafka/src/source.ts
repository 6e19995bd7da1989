import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { KafkaConfigError, withTimeout } from './client.js';
import { subscribedRoundRobin } from './round-robin-assigner.js';

/** One fetched input record, raw bytes (the engine decodes them with @ringmatch/protocol). */
export interface SourceRecord {
  partition: number;
  /** Kafka offset (exact: offsets stay far below 2^53). */
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker/producer timestamp, ms since the epoch. */
  timestamp: number;
  headers: IHeaders;
}

/** A fetched batch of one partition, in offset order, never empty. */
export interface SourceBatch {
  topic: string;
  partition: number;
  records: SourceRecord[];
  /** Partition high watermark when fetched (lag = highWatermark - last offset - 1). */
  highWatermark: number;
}

/** Next offset to read per partition; `null` = nothing recorded, start from the earliest. */
export type StartOffsets = Map<number, number | null> | Record<number, number | null>;

export interface OrderSourceHandlers {
  /**
   * Every fetched batch, one at a time (never concurrently: the caller may be a single ring
   * producer). Returns how many records from the front it took. Fewer than `records.length`
   * means "ring full": the source pauses the consumer, re-fetches the rest later, and resumes
   * when `waitForSpace()` resolves (or when the engine calls `resume()`).
   */
  onBatch(batch: SourceBatch): Promise<number> | number;
  /**
   * Partitions newly assigned to this member (start and every rebalance). Return the next offset
   * to read for each: the offset after the last one recorded in the WAL. Offsets live in the WAL,
   * not in Kafka commits.
   */
  onAssigned(partitions: number[]): Promise<StartOffsets> | StartOffsets;
  /**
   * Partitions taken away (rebalance) or released (stop). No batch of them is delivered after this
   * call starts; the engine drains what it already took (journal it) before resolving.
   */
  onRevoked?(partitions: number[]): Promise<void> | void;
  /** Ring full: resolve when there is room again; the source then resumes by itself. */
  waitForSpace?(): Promise<void>;
  /** Errors the source cannot hand back otherwise (e.g. a failing handler); default: stderr. */
  onError?(error: Error): void;
}

export interface OrderSourceOptions {
  topic: string;
  groupId: string;
  /** Max bytes fetched per partition per request (default 1 MiB): bounds a batch. */
  maxBytesPerPartition?: number;
  /** Broker long-poll wait when there is no data (default 100 ms). */
  maxWaitTimeMs?: number;
  /** Group session timeout (default 10 s) and heartbeat interval (default 1 s). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Rebalance timeout (default 15 s). */
  rebalanceTimeoutMs?: number;
}

/**
 * The poller's order source: a kafkajs consumer-group member on the orders topic, `eachBatch`,
 * offsets owned by the caller (WAL): on assignment it asks `onAssigned` where to start and seeks
 * there; records below the next expected offset of a partition are never delivered twice (kafkajs
 * may fetch before a seek lands). Backpressure with `pause()`/`resume()`.
 */
export class OrderSource {
  private consumer: Consumer;
  /** The member lost its membership (crash): the next join revokes and re-assigns everything. */
  private lost = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private generation = 0;
  private readonly next = new Map<number, number>();
  private assigned = new Set<number>();
  /** Resolves when the current assignment is initialised (revoke/assign handlers done, seeks set). */
  private ready: Promise<void> = Promise.resolve();
  private rebalancing = false;
  private fullPaused = false;
  private manualPaused = false;
  private running = false;
  private stopping = false;
  private readonly unsubscribe: Array<() => void> = [];
  private delivered = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: OrderSourceOptions,
    private readonly handlers: OrderSourceHandlers,
  ) {
    if (!options.topic) throw new KafkaConfigError('topic', 'required');
    if (!options.groupId) throw new KafkaConfigError('groupId', 'required');
    this.consumer = this.makeConsumer();
  }

  private makeConsumer(): Consumer {
    const { options } = this;
    return this.kafka.consumer({
      groupId: options.groupId,
      // kafkajs' default assigner hands out other topics' partitions (round-robin-assigner.ts)
      partitionAssigners: [subscribedRoundRobin],
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 15_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 100,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1 << 20,
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 30 },
      allowAutoTopicCreation: false,
    });
  }

  /** Connects, joins the group and starts delivering batches (returns once running). */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.launch(options.timeoutMs ?? 30_000);
    } catch (e) {
      this.running = false;
      throw e;
    }
  }

  private async launch(timeoutMs: number): Promise<void> {
    const { consumer } = this;
    this.unsubscribe.push(
      consumer.on(consumer.events.REBALANCING, () => {
        // kafkajs finished the in-flight batch and is re-joining: deliver nothing until the new
        // assignment is initialised.
        this.rebalancing = true;
      }),
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const mine = event.payload.memberAssignment[this.options.topic] ?? [];
        this.onJoin(mine);
      }),
      consumer.on(consumer.events.CRASH, (event) => {
        const error = event.payload.error;
        this.report(new Error(`kafka consumer crashed (kafkajs restarts it: ${event.payload.restart}): ${error.message}`));
        // our membership may have lapsed and the partitions been owned by someone else meanwhile
        this.lost = true;
        this.rebalancing = true;
        if (!event.payload.restart) this.scheduleRestart();
      }),
    );
    await withTimeout(consumer.connect(), timeoutMs, 'order source connect');
    await withTimeout(consumer.subscribe({ topics: [this.options.topic], fromBeginning: true }), timeoutMs, 'order source subscribe');
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    if (this.paused) consumer.pause([{ topic: this.options.topic }]);
  }

  /** kafkajs gave up on the consumer (non-retriable crash): build a new one, with backoff. */
  private scheduleRestart(): void {
    if (this.stopping || this.restartTimer) return;
    const delay = Math.min(5000, 500 * 2 ** Math.min(this.restarts++, 4));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      for (const off of this.unsubscribe.splice(0)) off();
      const old = this.consumer;
      this.consumer = this.makeConsumer();
      void old
        .disconnect()
        .catch(() => undefined)
        .then(() => this.launch(30_000))
        .then(
          () => {
            this.restarts = 0;
          },
          (e: Error) => {
            this.report(new Error(`order source restart failed: ${e.message}`));
            this.scheduleRestart();
          },
        );
    }, delay);
    this.restartTimer.unref?.();
  }

  private onJoin(partitions: number[]): void {
    const now = new Set(partitions);
    const lost = this.lost;
    this.lost = false;
    // after a crash we cannot know who owned our partitions meanwhile: revoke all, re-assign all
    const revoked = [...this.assigned].filter((p) => lost || !now.has(p)).sort((a, b) => a - b);
    const added = partitions.filter((p) => lost || !this.assigned.has(p)).sort((a, b) => a - b);
    const previous = this.ready;
    const generation = ++this.generation;
    this.rebalancing = true;
    this.ready = (async () => {
      await previous.catch(() => undefined);
      try {
        if (revoked.length > 0) {
          for (const p of revoked) this.next.delete(p);
          await this.handlers.onRevoked?.(revoked);
        }
        if (added.length > 0) {
          const start = await this.handlers.onAssigned(added);
          for (const p of added) {
            const value = start instanceof Map ? start.get(p) : start[p];
            if (value !== null && value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
              throw new KafkaConfigError('startOffset', `partition ${p}: ${value}`);
            }
            this.next.set(p, value ?? 0);
          }
        }
        this.assigned = now;
        // kafkajs forgets positions on every re-join (offsets are not committed): seek them all.
        for (const p of partitions) this.seek(p, this.next.get(p) ?? 0);
      } catch (e) {
        this.report(e as Error);
        throw e;
      } finally {
        if (generation === this.generation) this.rebalancing = false;
      }
    })();
    this.ready.catch(() => undefined);
  }

  private seek(partition: number, offset: number): void {
    this.consumer.seek({ topic: this.options.topic, partition, offset: String(offset) });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    // wait for the newest assignment (another join may start while we wait)
    for (let ready = this.ready; ; ready = this.ready) {
      await ready;
      if (ready === this.ready) break;
    }
    const p = batch.partition;
    if (!this.running || this.stopping || this.rebalancing || payload.isStale() || !this.assigned.has(p)) return;
    const expected = this.next.get(p) ?? 0;
    if (this.fullPaused || this.manualPaused) {
      this.seek(p, expected); // a batch fetched before the pause: re-fetch it after resume
      return;
    }
    const records: SourceRecord[] = [];
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (offset < expected) continue;
      records.push({ partition: p, offset, key: m.key, value: m.value, timestamp: Number(m.timestamp), headers: m.headers ?? {} });
    }
    if (records.length === 0) {
      // all below the WAL position: data fetched before our seek landed
      if (Number(batch.lastOffset()) < expected) this.seek(p, expected);
      return;
    }
    let accepted: number;
    try {
      accepted = await this.handlers.onBatch({ topic: batch.topic, partition: p, records, highWatermark: Number(batch.highWatermark) });
    } catch (e) {
      // the handler failed: deliver nothing more from here, re-fetch from the same place
      this.report(e as Error);
      this.seek(p, expected);
      throw e;
    }
    if (!Number.isInteger(accepted) || accepted < 0 || accepted > records.length) {
      const error = new KafkaConfigError('onBatch', `returned ${accepted}, expected 0..${records.length}`);
      this.report(error);
      this.seek(p, expected);
      throw error;
    }
    this.delivered += accepted;
    if (accepted > 0) {
      const last = records[accepted - 1]!.offset;
      this.next.set(p, last + 1);
      payload.resolveOffset(String(last));
    }
    if (accepted < records.length) {
      this.seek(p, this.next.get(p)!);
      this.pauseForSpace();
    }
    await payload.heartbeat().catch(() => undefined);
  }

  private pauseForSpace(): void {
    if (this.fullPaused) return;
    this.fullPaused = true;
    this.consumer.pause([{ topic: this.options.topic }]);
    const wait = this.handlers.waitForSpace;
    if (wait) {
      void wait.call(this.handlers).then(
        () => this.resumeFromFull(),
        (e: Error) => {
          this.report(e);
          this.resumeFromFull();
        },
      );
    }
  }

  private resumeFromFull(): void {
    if (!this.fullPaused) return;
    this.fullPaused = false;
    if (!this.manualPaused && !this.stopping) this.consumer.resume([{ topic: this.options.topic }]);
  }

  /** Pauses fetching (all partitions) until `resume()`. */
  pause(): void {
    this.manualPaused = true;
    this.consumer.pause([{ topic: this.options.topic }]);
  }

  /** Resumes after `pause()` or after a "ring full" pause. */
  resume(): void {
    this.manualPaused = false;
    this.fullPaused = false;
    if (!this.stopping) this.consumer.resume([{ topic: this.options.topic }]);
  }

  get paused(): boolean {
    return this.manualPaused || this.fullPaused;
  }

  /** Partitions currently assigned to this member. */
  assignment(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  /** Next offset per assigned partition (after the last record handed to `onBatch`). */
  positions(): Map<number, number> {
    return new Map([...this.next].filter(([p]) => this.assigned.has(p)).sort((a, b) => a[0] - b[0]));
  }

  /** Records handed over and accepted so far. */
  get deliveredCount(): number {
    return this.delivered;
  }

  /** Resolves when the current assignment is initialised (useful in tests). */
  async whenAssigned(timeoutMs = 30_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.ready.catch(() => undefined);
      if (this.assigned.size > 0 && !this.rebalancing) return this.assignment();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`order source: no partition assigned within ${timeoutMs} ms`);
  }

  /**
   * Stops delivering (the in-flight batch finishes), leaves the group, releases its partitions
   * (`onRevoked`), disconnects. Bounded: after `timeoutMs` the client is torn down regardless.
   */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const timeoutMs = options.timeoutMs ?? 15_000;
    try {
      await withTimeout(this.consumer.stop(), timeoutMs, 'order source stop');
    } catch (e) {
      this.report(e as Error);
    }
    this.running = false;
    const released = this.assignment();
    this.assigned = new Set();
    try {
      if (released.length > 0) await withTimeout(Promise.resolve(this.handlers.onRevoked?.(released)), timeoutMs, 'onRevoked at stop');
    } catch (e) {
      this.report(e as Error);
    }
    for (const off of this.unsubscribe.splice(0)) off();
    await withTimeout(this.consumer.disconnect(), timeoutMs, 'order source disconnect').catch((e: Error) => this.report(e));
  }

  private report(error: Error): void {
    if (this.handlers.onError) this.handlers.onError(error);
    else process.stderr.write(`[ringmatch/kafka source ${this.options.topic}] ${error.message}\n`);
  }
}
