// @ringmatch/native-kafka (librdkafka) against a real broker, checked with kafkajs on the other side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COUNT_HEADER,
  FIRST_HEADER,
  NativeRecordReader,
  Publisher,
  ensureTopics,
  flatBatch,
  loadNativeKafka,
  nativeKafkaLoadFailure,
  nativeTransport,
  readPosition,
} from '@ringmatch/kafka';
import type { FlatMessage, NativeConsumer } from '@ringmatch/kafka';
import { ensureBroker, kafkaAvailability, produceTo, readTopic, uniqueTopic } from '@ringmatch/test-kit';
import type { TestBroker } from '@ringmatch/test-kit';

const native = await loadNativeKafka();
const expectNative = process.env.RINGMATCH_EXPECT_NATIVE_KAFKA === '1';

describe('native kafka module availability', () => {
  it(expectNative ? 'RINGMATCH_EXPECT_NATIVE_KAFKA=1: @ringmatch/native-kafka loaded' : 'native-kafka absent or present (kafkajs is the fallback)', () => {
    if (expectNative) expect(native, `native-kafka did not load: ${String(nativeKafkaLoadFailure())}`).not.toBeNull();
    if (native) expect(native.nativeKafkaInfo()).toMatch(/ringmatch-native-kafka .* \(librdkafka \d+\.\d+/);
  });
});

interface Got {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/** Polls until `want` records arrived (bounded), answering assign events with `starts`. */
async function consume(c: NativeConsumer, starts: Map<number, number | null>, want: number, buffer: Uint8Array, out: Got[], timeoutMs = 30_000): Promise<void> {
  const reader = new NativeRecordReader(buffer);
  const deadline = Date.now() + timeoutMs;
  while (out.length < want) {
    if (Date.now() > deadline) throw new Error(`consumed ${out.length} of ${want} within ${timeoutMs} ms`);
    const n = await c.poll(buffer, 500, 100);
    reader.reset(n);
    while (reader.next()) {
      const key = reader.key();
      out.push({ partition: reader.partition, offset: reader.offset, key: key && Buffer.from(key).toString(), value: Buffer.from(reader.value()!).toString() });
    }
    if (c.hasEvents) {
      for (const e of c.takeEvents()) {
        if (e.kind === 'assign')
          c.assign(
            e.partitions,
            e.partitions.map((p) => starts.get(p) ?? null),
          );
        else if (e.kind === 'error') throw new Error(e.message);
      }
    }
  }
}

describe.runIf(kafkaAvailability().ok && (native !== null || expectNative))('NativeProducer / NativeConsumer (real broker)', () => {
  let broker: TestBroker;
  let brokers: string;
  beforeAll(async () => {
    broker = await ensureBroker();
    brokers = broker.brokers.join(',');
  });
  afterAll(async () => {
    await broker?.release();
  });

  it('produces batches with keys and headers to explicit partitions; kafkajs reads them back exactly, in order', async () => {
    const topic = uniqueTopic('nk-produce');
    await ensureTopics(broker.kafka, [{ topic, partitions: 3 }]);
    const producer = new native!.NativeProducer({ brokers, clientId: 'nk-test' });
    const sent: FlatMessage[] = [];
    try {
      for (let b = 0; b < 6; b++) {
        const batch: FlatMessage[] = [];
        for (let i = 0; i < 500; i++) {
          const n = b * 500 + i;
          const headers: Record<string, string> = { 'ringmatch-seq': String(n), 'ringmatch-idx': String(n % 7) };
          if (n % 3 === 0) Object.assign(headers, { 'ringmatch-first': `${n}.0`, 'ringmatch-count': String(n % 11) });
          batch.push({ partition: (n * 7) % 3, key: n % 5 === 0 ? null : `sym-${n % 13}`, value: Buffer.from(`value-${n}-${'x'.repeat(n % 50)}`), headers });
        }
        await producer.sendBatch(topic, flatBatch(batch));
        sent.push(...batch);
      }
      await producer.flush(10_000);
    } finally {
      await producer.close(10_000);
    }
    const read = await readTopic(broker.kafka, topic);
    expect(read.length).toBe(sent.length);
    for (let p = 0; p < 3; p++) {
      const want = sent.filter((m) => m.partition === p);
      const got = read.filter((r) => r.partition === p);
      expect(got.map((r) => r.offset)).toEqual(want.map((_, i) => i));
      expect(got.map((r) => r.value!.toString())).toEqual(want.map((m) => Buffer.from(m.value).toString()));
      expect(got.map((r) => r.key?.toString() ?? null)).toEqual(want.map((m) => m.key));
      expect(got.map((r) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])))).toEqual(want.map((m) => m.headers));
    }
  });

  it('consumes what kafkajs produced from given start offsets, each record once and in order; pause holds a partition back until resume', async () => {
    const topic = uniqueTopic('nk-consume');
    await ensureTopics(broker.kafka, [{ topic, partitions: 3 }]);
    const per = 400;
    for (let p = 0; p < 3; p++) {
      await produceTo(
        broker.kafka,
        topic,
        p,
        Array.from({ length: per }, (_, i) => `p${p}-${i}-${'y'.repeat(i % 90)}`),
      );
    }
    const starts = new Map<number, number | null>([
      [0, 100],
      [1, null],
      [2, per - 1],
    ]);
    const expected = [...starts].reduce((sum, [, s]) => sum + per - (s ?? 0), 0);
    const consumer = new native!.NativeConsumer({ brokers, groupId: uniqueTopic('nk-group'), topic, clientId: 'nk-test', maxBytesPerPartition: 8192 });
    const got: Got[] = [];
    // a small buffer: polls stop at a record that does not fit and deliver it first next time
    const buffer = new Uint8Array(2048);
    try {
      await consume(consumer, starts, 1, buffer, got);
      consumer.pause([1]);
      const before = got.filter((r) => r.partition === 1).length;
      await consume(consumer, starts, before + (per - 100) + 1, buffer, got); // all of partitions 0 and 2
      for (let i = 0; i < 5; i++) await consume(consumer, starts, got.length, buffer, got); // idle polls
      expect(got.filter((r) => r.partition === 1).length).toBe(before);
      consumer.resume([1]);
      await consume(consumer, starts, expected, buffer, got);
      await new Promise((r) => setTimeout(r, 300));
      await consume(consumer, starts, got.length, buffer, got); // nothing more arrives
      expect(consumer.watermarks(0)[1]).toBe(per);
    } finally {
      await consumer.close(10_000);
    }
    expect(got.length).toBe(expected);
    for (const [p, s] of starts) {
      const mine = got.filter((r) => r.partition === p);
      expect(mine.map((r) => r.offset)).toEqual(Array.from({ length: per - (s ?? 0) }, (_, i) => (s ?? 0) + i));
      expect(mine.map((r) => r.value)).toEqual(mine.map((r) => `p${p}-${r.offset}-${'y'.repeat(r.offset % 90)}`));
      expect(mine.every((r) => r.key === null)).toBe(true);
    }
    expect(() => consumer.poll(buffer, 1, 10)).toThrow(/NativeConsumer is closed/);
  });

  it('errors reject with librdkafka error names: unknown partition, closed producer, bad batch layout', async () => {
    const topic = uniqueTopic('nk-errors');
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
    const producer = new native!.NativeProducer({ brokers, clientId: 'nk-test', deliveryTimeoutMs: 5000 });
    const ok = flatBatch([{ partition: 0, key: 'k', value: Buffer.from('v') }]);
    await producer.sendBatch(topic, ok);
    await expect(producer.sendBatch(topic, flatBatch([{ partition: 7, key: null, value: Buffer.from('v') }]))).rejects.toThrow(
      /kafka (produce|delivery) to .*\[7\] failed: .*UNKNOWN_PARTITION/,
    );
    await expect(producer.sendBatch(topic, { partitions: new Int32Array(2), values: [Buffer.from('a')] })).rejects.toThrow(/2 partitions for 1 values/);
    await producer.close(5000);
    await expect(producer.sendBatch(topic, ok)).rejects.toThrow(/NativeProducer is closed/);
    expect(() => new native!.NativeProducer({ brokers, clientId: 'x', config: { 'no.such.property': '1' } })).toThrow(/librdkafka config no\.such\.property=1/);
  });

  it('Publisher sends through the native transport: records and packed records keep positions, headers and partitions', async () => {
    const topic = uniqueTopic('nk-publisher');
    await ensureTopics(broker.kafka, [{ topic, partitions: 2 }]);
    const transport = nativeTransport(new native!.NativeProducer({ brokers, clientId: 'nk-publisher' }));
    const publisher = new Publisher(broker.kafka, { topics: [topic], transport, maxBatchRecords: 50 });
    expect(publisher.transport.name).toBe('native');
    await publisher.connect();
    for (let seq = 1; seq <= 200; seq++) publisher.publish({ topic, key: `S${seq % 5}`, value: `v${seq}`, seq });
    let recycled = 0;
    publisher.publishPacked({
      topic,
      partition: 1,
      key: null,
      value: Buffer.from('packed'),
      first: { seq: 201, idx: 0 },
      last: { seq: 203, idx: 1 },
      count: 4,
      recycle: (value) => {
        recycled++;
        value.fill('X'); // reused at once, as the sink does: the record read back must be intact
      },
    });
    await publisher.flush();
    expect(recycled).toBe(1);
    await publisher.close();
    const read = await readTopic(broker.kafka, topic);
    expect(read.length).toBe(201);
    const packed = read.find((r) => r.value!.toString() === 'packed')!;
    expect(packed.partition).toBe(1);
    expect(readPosition(packed.headers)).toEqual({ seq: 203, idx: 1 });
    expect(String(packed.headers[FIRST_HEADER])).toBe('201.0');
    expect(String(packed.headers[COUNT_HEADER])).toBe('4');
    for (let p = 0; p < 2; p++) {
      const seqs = read.filter((r) => r.partition === p && r !== packed).map((r) => (readPosition(r.headers) as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // per-partition order kept
    }
    expect(
      read
        .filter((r) => r !== packed)
        .map((r) => r.value!.toString())
        .sort(),
    ).toEqual(Array.from({ length: 200 }, (_, i) => `v${i + 1}`).sort());
  });
});
