import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderSource, ensureTopics } from '@ringmatch/kafka';
import type { SourceBatch, StartOffsets } from '@ringmatch/kafka';
import { ensureBroker, kafkaAvailability, produceTo, uniqueTopic, waitFor } from '@ringmatch/test-kit';
import type { TestBroker } from '@ringmatch/test-kit';

/** Per partition, the offsets delivered, in delivery order. */
function collector() {
  const seen = new Map<number, number[]>();
  const values = new Map<number, string[]>();
  return {
    seen,
    values,
    add(batch: SourceBatch, n = batch.records.length) {
      for (const r of batch.records.slice(0, n)) {
        if (!seen.has(r.partition)) seen.set(r.partition, []);
        if (!values.has(r.partition)) values.set(r.partition, []);
        seen.get(r.partition)!.push(r.offset);
        values.get(r.partition)!.push(r.value!.toString());
      }
    },
    total() {
      let n = 0;
      for (const l of seen.values()) n += l.length;
      return n;
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!kafkaAvailability().ok)('OrderSource (real broker)', () => {
  let broker: TestBroker;
  const sources: OrderSource[] = [];
  beforeAll(async () => {
    broker = await ensureBroker();
  }, 900_000); // a fresh machine fetches the broker jars with Maven first
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop({ timeoutMs: 15_000 })));
  });
  afterAll(async () => {
    await broker?.release();
  });

  it('seeks every assigned partition to the offset the WAL gives, delivering each record once', async () => {
    const topic = uniqueTopic('orders-seek');
    await ensureTopics(broker.kafka, [{ topic, partitions: 3 }]);
    for (const p of [0, 1, 2])
      await produceTo(
        broker.kafka,
        topic,
        p,
        range(0, 30).map((i) => `p${p}-${i}`),
      );
    const got = collector();
    const asked: number[][] = [];
    const source = new OrderSource(
      broker.kafka,
      { topic, groupId: uniqueTopic('g') },
      {
        onAssigned: (parts): StartOffsets => {
          asked.push(parts);
          return { 0: 10, 1: null, 2: 29 };
        },
        onBatch: (batch) => {
          got.add(batch);
          return batch.records.length;
        },
      },
    );
    sources.push(source);
    await source.start();
    await waitFor(() => got.total() >= 20 + 30 + 1, 20_000, 'records from the WAL positions');
    await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
    expect(asked).toEqual([[0, 1, 2]]);
    expect(got.seen.get(0)).toEqual(range(10, 30));
    expect(got.seen.get(1)).toEqual(range(0, 30));
    expect(got.seen.get(2)).toEqual([29]);
    expect(got.values.get(0)![0]).toBe('p0-10');
    expect(source.positions()).toEqual(
      new Map([
        [0, 30],
        [1, 30],
        [2, 30],
      ]),
    );
    // new records keep flowing after the seek
    await produceTo(broker.kafka, topic, 2, ['p2-30', 'p2-31']);
    await waitFor(() => (got.seen.get(2)?.length ?? 0) === 3, 10_000, 'records produced after start');
    expect(got.values.get(2)).toEqual(['p2-29', 'p2-30', 'p2-31']);
  });

  it('pauses when the ring is full and resumes when it drains, without loss, duplicates or reordering', async () => {
    const topic = uniqueTopic('orders-bp');
    await ensureTopics(broker.kafka, [{ topic, partitions: 2 }]);
    const perPartition = 600;
    for (const p of [0, 1])
      await produceTo(
        broker.kafka,
        topic,
        p,
        range(0, perPartition).map((i) => `p${p}-${i}`),
      );
    const capacity = 64;
    let inRing = 0;
    let partial = 0;
    let waits = 0;
    let maxInRing = 0;
    let spaceWaiter: (() => void) | null = null;
    const got = collector();
    // the "matcher": drains 8 slots every 5 ms
    const drain = setInterval(() => {
      inRing = Math.max(0, inRing - 8);
      if (spaceWaiter && inRing <= capacity / 2) {
        const w = spaceWaiter;
        spaceWaiter = null;
        w();
      }
    }, 5);
    try {
      const source = new OrderSource(
        broker.kafka,
        { topic, groupId: uniqueTopic('g'), maxBytesPerPartition: 64 * 1024 },
        {
          onAssigned: () => ({}),
          onBatch: (batch) => {
            const take = Math.min(capacity - inRing, batch.records.length);
            if (take < batch.records.length) partial++;
            inRing += take;
            maxInRing = Math.max(maxInRing, inRing);
            got.add(batch, take);
            return take;
          },
          waitForSpace: () => {
            waits++;
            return new Promise<void>((resolve) => (spaceWaiter = resolve));
          },
        },
      );
      sources.push(source);
      await source.start();
      await waitFor(() => got.total() >= 2 * perPartition, 30_000, 'all records through a 64-slot ring');
      await new Promise((r) => setTimeout(r, 300));
      expect(partial).toBeGreaterThan(0);
      expect(waits).toBeGreaterThan(0);
      expect(maxInRing).toBeLessThanOrEqual(capacity);
      for (const p of [0, 1]) {
        expect(got.seen.get(p)).toEqual(range(0, perPartition));
        expect(got.values.get(p)![perPartition - 1]).toBe(`p${p}-${perPartition - 1}`);
      }
    } finally {
      clearInterval(drain);
    }
  });

  it('manual pause() stops delivery until resume()', async () => {
    const topic = uniqueTopic('orders-pause');
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
    await produceTo(broker.kafka, topic, 0, ['a', 'b']);
    const got = collector();
    const source = new OrderSource(
      broker.kafka,
      { topic, groupId: uniqueTopic('g') },
      {
        onAssigned: () => ({ 0: null }),
        onBatch: (batch) => {
          got.add(batch);
          return batch.records.length;
        },
      },
    );
    sources.push(source);
    await source.start();
    await waitFor(() => got.total() === 2, 15_000, 'first records');
    source.pause();
    expect(source.paused).toBe(true);
    await produceTo(broker.kafka, topic, 0, ['c', 'd']);
    await new Promise((r) => setTimeout(r, 800));
    expect(got.total()).toBe(2);
    source.resume();
    await waitFor(() => got.total() === 4, 15_000, 'records after resume');
    expect(got.values.get(0)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a handler that throws: the batch is fetched again from the same position (kafkajs retry), nothing lost or repeated', async () => {
    const topic = uniqueTopic('orders-crash');
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
    await produceTo(
      broker.kafka,
      topic,
      0,
      range(0, 50).map((i) => `m${i}`),
    );
    const wal = new Map<number, number>();
    const got: number[] = [];
    const errors: string[] = [];
    let assignedCalls = 0;
    let thrown = false;
    const source = new OrderSource(
      broker.kafka,
      { topic, groupId: uniqueTopic('g'), maxBytesPerPartition: 512 },
      {
        onAssigned: (parts) => {
          assignedCalls++;
          return new Map(parts.map((p) => [p, wal.get(p) ?? null]));
        },
        onBatch: (batch) => {
          if (!thrown && batch.records.some((r) => r.offset >= 20)) {
            thrown = true;
            throw new Error('engine bug');
          }
          for (const r of batch.records) got.push(r.offset);
          wal.set(0, batch.records.at(-1)!.offset + 1);
          return batch.records.length;
        },
        onError: (e) => errors.push(e.message),
      },
    );
    sources.push(source);
    await source.start();
    await waitFor(() => got.length >= 50, 30_000, 'all records after the crash');
    await new Promise((r) => setTimeout(r, 300));
    expect(thrown).toBe(true);
    expect(got).toEqual(range(0, 50));
    expect(errors.some((m) => m.includes('engine bug'))).toBe(true);
    expect(assignedCalls).toBeGreaterThanOrEqual(1);
  });

  it('runs inside a worker thread (the poller worker)', async () => {
    const topic = uniqueTopic('orders-worker');
    await ensureTopics(broker.kafka, [{ topic, partitions: 2 }]);
    for (const p of [0, 1])
      await produceTo(
        broker.kafka,
        topic,
        p,
        range(0, 40).map((i) => `p${p}-${i}`),
      );
    const seen = new Map<number, number[]>([
      [0, []],
      [1, []],
    ]);
    const worker = new Worker(new URL('./source-worker.mjs', import.meta.url), {
      workerData: { brokers: broker.brokers.join(','), topic, groupId: uniqueTopic('g'), start: { 0: 5, 1: 35 } },
    });
    let stopped = false;
    worker.on('message', (m: { type: string; partition: number; offsets: number[] }) => {
      if (m.type === 'batch') seen.get(m.partition)!.push(...m.offsets);
      if (m.type === 'stopped') stopped = true;
    });
    try {
      await waitFor(() => seen.get(0)!.length >= 35 && seen.get(1)!.length >= 5, 20_000, 'records in the worker');
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.get(0)).toEqual(range(5, 40));
      expect(seen.get(1)).toEqual(range(35, 40));
      worker.postMessage('stop');
      await waitFor(() => stopped, 20_000, 'worker source stopped');
    } finally {
      await worker.terminate();
    }
  });

  it('two members of one group split the partitions on a rebalance; offsets from the shared WAL, nothing twice or lost', async () => {
    const topic = uniqueTopic('orders-rebalance');
    const groupId = uniqueTopic('g');
    const partitions = 4;
    await ensureTopics(broker.kafka, [{ topic, partitions }]);
    const first = 150;
    for (let p = 0; p < partitions; p++)
      await produceTo(
        broker.kafka,
        topic,
        p,
        range(0, first).map((i) => `p${p}-${i}`),
      );
    // the "WAL": next offset per partition, recorded when a record is taken (durable storage
    // shared by both engines in this test)
    const wal = new Map<number, number>();
    const delivered = new Map<number, Array<{ member: string; offset: number }>>();
    const revokedLog: Array<{ member: string; partitions: number[] }> = [];
    const make = (member: string) =>
      new OrderSource(
        broker.kafka,
        { topic, groupId, maxBytesPerPartition: 2048, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 },
        {
          onAssigned: (parts) => new Map(parts.map((p) => [p, wal.get(p) ?? null])),
          onRevoked: (parts) => {
            revokedLog.push({ member, partitions: parts });
          },
          onBatch: async (batch) => {
            for (const r of batch.records) {
              if (!delivered.has(r.partition)) delivered.set(r.partition, []);
              delivered.get(r.partition)!.push({ member, offset: r.offset });
              wal.set(r.partition, r.offset + 1);
            }
            await new Promise((r) => setTimeout(r, 10)); // slow engine: the rebalance hits mid-stream
            return batch.records.length;
          },
        },
      );
    const a = make('A');
    sources.push(a);
    await a.start();
    expect(await a.whenAssigned()).toEqual([0, 1, 2, 3]);
    await waitFor(() => [...wal.values()].reduce((x, y) => x + y, 0) >= 40, 20_000, 'A consuming');
    const b = make('B');
    sources.push(b);
    await b.start();
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 30_000, 'a 2/2 split');
    expect([...a.assignment(), ...b.assignment()].sort()).toEqual([0, 1, 2, 3]);
    const revokedFromA = revokedLog
      .filter((r) => r.member === 'A')
      .flatMap((r) => r.partitions)
      .sort();
    expect(revokedFromA).toEqual(b.assignment());
    // more input after the rebalance
    const more = 50;
    for (let p = 0; p < partitions; p++)
      await produceTo(
        broker.kafka,
        topic,
        p,
        range(first, first + more).map((i) => `p${p}-${i}`),
      );
    await waitFor(() => [...range(0, partitions)].every((p) => wal.get(p) === first + more), 30_000, 'all records consumed');
    await new Promise((r) => setTimeout(r, 500));
    for (let p = 0; p < partitions; p++) {
      const offsets = delivered.get(p)!.map((d) => d.offset);
      expect(offsets).toEqual(range(0, first + more)); // exactly once, in order
      const owners = new Set(
        delivered
          .get(p)!
          .filter((d) => d.offset >= first)
          .map((d) => d.member),
      );
      expect(owners.size).toBe(1); // after the rebalance one member owns the partition
    }
    expect(new Set([...delivered.values()].flat().map((d) => d.member))).toEqual(new Set(['A', 'B']));

    // A leaves: B takes A's partitions over, starting where the WAL says (not where B was)
    const fromA = a.assignment();
    await a.stop({ timeoutMs: 15_000 });
    expect(revokedLog.filter((r) => r.member === 'A').at(-1)!.partitions).toEqual(fromA);
    await waitFor(() => b.assignment().length === partitions, 30_000, 'B owns every partition');
    const last = 30;
    for (let p = 0; p < partitions; p++)
      await produceTo(
        broker.kafka,
        topic,
        p,
        range(first + more, first + more + last).map((i) => `p${p}-${i}`),
      );
    await waitFor(() => [...range(0, partitions)].every((p) => wal.get(p) === first + more + last), 30_000, 'B consumed the rest');
    await new Promise((r) => setTimeout(r, 300));
    for (let p = 0; p < partitions; p++) {
      expect(delivered.get(p)!.map((d) => d.offset)).toEqual(range(0, first + more + last));
      expect(
        delivered
          .get(p)!
          .filter((d) => d.offset >= first + more)
          .every((d) => d.member === 'B'),
      ).toBe(true);
    }
  });
});
