import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadLetterPublisher,
  KafkaConfigError,
  encoderGrowths,
  ensureTopics,
  nativeCrcCalls,
  parseDeadLetter,
  partitionCount,
  topicOffsets,
} from '@ringmatch/kafka';
import { ensureBroker, kafkaAvailability, produceTo, readTopic, uniqueTopic } from '@ringmatch/test-kit';
import type { TestBroker } from '@ringmatch/test-kit';

describe.skipIf(!kafkaAvailability().ok)('topic admin and dead letters (real broker)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await ensureBroker();
  }, 900_000); // a fresh machine fetches the broker jars with Maven first
  afterAll(async () => {
    await broker?.release();
  });

  it('ensureTopics creates, is idempotent, and grows partitions', async () => {
    const a = uniqueTopic('admin-a');
    const b = uniqueTopic('admin-b');
    const first = await ensureTopics(broker.kafka, [
      { topic: a, partitions: 3 },
      { topic: b, partitions: 1 },
    ]);
    expect(first.get(a)).toBe(3);
    expect(first.get(b)).toBe(1);
    // again, concurrently: no error, same result
    const again = await Promise.all([ensureTopics(broker.kafka, [{ topic: a, partitions: 3 }]), ensureTopics(broker.kafka, [{ topic: a, partitions: 3 }])]);
    expect(again.map((m) => m.get(a))).toEqual([3, 3]);
    await ensureTopics(broker.kafka, [{ topic: b, partitions: 4 }]);
    expect(await partitionCount(broker.kafka, b)).toBe(4);
    const offsets = await topicOffsets(broker.kafka, a);
    expect([...offsets.values()]).toEqual([
      { low: 0, high: 0 },
      { low: 0, high: 0 },
      { low: 0, high: 0 },
    ]);
  });

  it('produces record batches checksummed by the native CRC32C and encoded by the patched encoder growth, which the broker accepts byte for byte', async () => {
    const topic = uniqueTopic('crc');
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
    const before = nativeCrcCalls.count;
    const growths = encoderGrowths.count;
    // Large, varied values force many encoder growths; the broker checks every batch CRC.
    const big = Array.from({ length: 5 }, (_, i) => Buffer.from(Array.from({ length: 70_000 + i * 999 }, (_, j) => (i * 31 + j * 7) & 0xff)));
    await produceTo(broker.kafka, topic, 0, ['one', 'two', 'three', ...big]);
    expect(nativeCrcCalls.count).toBeGreaterThan(before);
    expect(encoderGrowths.count).toBeGreaterThan(growths);
    const read = await readTopic(broker.kafka, topic);
    expect(read.slice(0, 3).map((r) => r.value!.toString())).toEqual(['one', 'two', 'three']);
    expect(read.slice(3).map((r) => Buffer.compare(r.value!, big[read.indexOf(r) - 3]!))).toEqual([0, 0, 0, 0, 0]);
  });

  it('rejects bad specs with a typed error', async () => {
    await expect(ensureTopics(broker.kafka, [{ topic: 'bad topic!', partitions: 1 }])).rejects.toBeInstanceOf(KafkaConfigError);
    await expect(ensureTopics(broker.kafka, [{ topic: uniqueTopic('x'), partitions: 0 }])).rejects.toBeInstanceOf(KafkaConfigError);
  });

  it('a dead letter carries the original bytes, key, partition, offset and reason', async () => {
    const dlq = uniqueTopic('dlq');
    await ensureTopics(broker.kafka, [{ topic: dlq, partitions: 1 }]);
    const publisher = new DeadLetterPublisher(broker.kafka, { topic: dlq });
    await publisher.connect();
    const raw = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0xfe, 0x0a]); // not even UTF-8
    try {
      await publisher.send([
        {
          sourceTopic: 'orders',
          partition: 2,
          offset: 41,
          key: Buffer.from('BTC-USD'),
          value: raw,
          reason: 'price: not an integer',
          timestamp: 1_700_000_000_123,
        },
        { sourceTopic: 'orders', partition: 0, offset: 7, key: null, value: null, reason: 'empty message' },
      ]);
    } finally {
      await publisher.close();
    }
    const records = await readTopic(broker.kafka, dlq);
    expect(records).toHaveLength(2);
    const first = parseDeadLetter(records[0]!);
    expect(first).toEqual({
      sourceTopic: 'orders',
      partition: 2,
      offset: 41,
      key: Buffer.from('BTC-USD'),
      value: raw,
      reason: 'price: not an integer',
      timestamp: 1_700_000_000_123,
    });
    expect(Buffer.compare(records[0]!.value!, raw)).toBe(0);
    const second = parseDeadLetter(records[1]!);
    expect(second.reason).toBe('empty message');
    expect(second.value).toBeNull();
    expect(second.offset).toBe(7);
    expect(() => parseDeadLetter({ key: null, value: Buffer.from('x'), headers: {} })).toThrow(KafkaConfigError);
  });
});
