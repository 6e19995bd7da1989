import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { withTimeout } from './client.js';
import { topicOffsets } from './admin.js';

/** The header every output record carries: the engine sequence (decimal). */
export const SEQ_HEADER = 'ringmatch-seq';
/** Index of the record among the records of one engine sequence (0, 1, ...; decimal). */
export const IDX_HEADER = 'ringmatch-idx';

/** Position of an output record: engine sequence, then index within that sequence. */
export interface PublishedPosition {
  seq: number;
  idx: number;
}

/** Total order of output positions. */
export function comparePositions(a: PublishedPosition, b: PublishedPosition): number {
  return a.seq !== b.seq ? a.seq - b.seq : a.idx - b.idx;
}

/** An output record that lacks (or has a malformed) sequence header. */
export class MissingSequenceError extends Error {
  override readonly name = 'MissingSequenceError';
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${topic}[${partition}]@${offset}: ${reason}`);
  }
}

function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

/** Reads the (seq, idx) headers of an output record; `null` if it has none. */
export function readPosition(headers: IHeaders | undefined): PublishedPosition | null | 'malformed' {
  const s = headerString(headers, SEQ_HEADER);
  if (s === undefined) return null;
  const i = headerString(headers, IDX_HEADER) ?? '0';
  if (!/^\d{1,16}$/.test(s) || !/^\d{1,9}$/.test(i)) return 'malformed';
  const seq = Number(s);
  if (!Number.isSafeInteger(seq)) return 'malformed';
  return { seq, idx: Number(i) };
}

/**
 * The restart rule's input: for each partition of `topic`, the position (engine sequence, index)
 * of the LAST record in it, or `null` for an empty partition. Reads the tail of every partition
 * with a short-lived consumer (its own throw-away group, deleted afterwards). Records in a
 * partition are written in position order by one idempotent producer, so the last record is the
 * highest position; everything at or before it is in the topic, everything after is not.
 * Call it only once the previous publisher is dead (it is not fenced; see README).
 */
export async function lastPublishedSequence(kafka: Kafka, topic: string, options: { timeoutMs?: number } = {}): Promise<Map<number, PublishedPosition | null>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const watermarks = await topicOffsets(kafka, topic, { timeoutMs });
  const result = new Map<number, PublishedPosition | null>();
  const want = new Map<number, number>(); // partition -> offset of its last record
  for (const [p, { low, high }] of watermarks) {
    if (high > low) want.set(p, high - 1);
    else result.set(p, null);
  }
  if (want.size === 0) return result;

  const groupId = `ringmatch-tail-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1000, allowAutoTopicCreation: false });
  let failure: Error | null = null;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  try {
    await withTimeout(consumer.connect(), timeoutMs, 'tail reader connect');
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [p, offset] of want) consumer.seek({ topic, partition: p, offset: String(offset) });
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const p = batch.partition;
        const target = want.get(p);
        if (target === undefined || result.has(p)) return;
        for (const m of batch.messages) {
          if (Number(m.offset) !== target) continue;
          const pos = readPosition(m.headers);
          if (pos === null || pos === 'malformed') {
            failure = new MissingSequenceError(topic, p, target, pos === null ? `no ${SEQ_HEADER} header` : `malformed ${SEQ_HEADER}/${IDX_HEADER} header`);
            done();
            return;
          }
          result.set(p, pos);
        }
        if (Number(batch.lastOffset()) >= target && !result.has(p)) {
          // the last offset is a control record (transactional producer): not our format
          failure = new MissingSequenceError(topic, p, target, 'last offset is not a data record');
          done();
        }
        if ([...want.keys()].every((q) => result.has(q))) done();
      },
    });
    await withTimeout(finished, timeoutMs, `lastPublishedSequence(${topic})`);
    if (failure) throw failure;
    return new Map([...result].sort((a, b) => a[0] - b[0]));
  } finally {
    await withTimeout(consumer.disconnect(), 10_000, 'tail reader disconnect').catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}
