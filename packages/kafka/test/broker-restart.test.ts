import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderSource, Publisher, createKafka, ensureTopics, lastPublishedSequence, logLevel } from '@ringmatch/kafka';
import { canStartBroker, produceTo, readTopic, startBroker, stopBroker, uniqueTopic, waitFor } from '@ringmatch/test-kit';

// A broker of its own (another port), so restarting it never disturbs the other test files.
const PORT = Number(process.env.RINGMATCH_KAFKA_RESTART_PORT ?? 19192);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!canStartBroker())('broker restart while consuming and publishing (real broker)', () => {
  beforeAll(async () => {
    await startBroker({ port: PORT, heap: '384m' });
  }, 900_000); // a fresh machine fetches the broker jars with Maven first
  afterAll(async () => {
    await stopBroker({ port: PORT });
  }, 90_000);

  it('the source and the publisher reconnect and lose nothing, duplicate nothing', async () => {
    const kafka = createKafka({ brokers: `127.0.0.1:${PORT}`, clientId: 'restart-test', logLevel: logLevel.NOTHING }); // refused connections while it is down are expected
    const orders = uniqueTopic('orders-restart');
    const trades = uniqueTopic('trades-restart');
    await ensureTopics(kafka, [
      { topic: orders, partitions: 2 },
      { topic: trades, partitions: 2 },
    ]);
    for (const p of [0, 1])
      await produceTo(
        kafka,
        orders,
        p,
        range(0, 100).map((i) => `p${p}-${i}`),
      );
    const seen = new Map<number, number[]>([
      [0, []],
      [1, []],
    ]);
    const errors: string[] = [];
    const source = new OrderSource(
      kafka,
      { topic: orders, groupId: uniqueTopic('g'), sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 },
      {
        onAssigned: (parts) => new Map(parts.map((p) => [p, seen.get(p)!.length > 0 ? seen.get(p)!.at(-1)! + 1 : null])),
        onBatch: (batch) => {
          for (const r of batch.records) seen.get(r.partition)!.push(r.offset);
          return batch.records.length;
        },
        onError: (e) => errors.push(`${new Date().toISOString()} ${e.message}`), // expected while the broker is down
      },
    );
    const publisher = new Publisher(kafka, { topics: [trades], timeoutMs: 90_000 });
    try {
      await source.start();
      await publisher.connect();
      for (let s = 0; s < 50; s++) publisher.publish({ topic: trades, key: `SYM${s % 3}`, value: `t${s}`, seq: s });
      await publisher.flush();
      await waitFor(() => seen.get(0)!.length === 100 && seen.get(1)!.length === 100, 20_000, 'first 200 records');

      await stopBroker({ port: PORT, keepData: true });
      // published while the broker is down: buffered, retried, delivered after the restart
      for (let s = 50; s < 100; s++) publisher.publish({ topic: trades, key: `SYM${s % 3}`, value: `t${s}`, seq: s });
      const flushed = publisher.flush(90_000);
      await new Promise((r) => setTimeout(r, 6000)); // down long enough for clients to exhaust fast retries
      await startBroker({ port: PORT, heap: '384m' });
      await flushed;

      for (const p of [0, 1])
        await produceTo(
          kafka,
          orders,
          p,
          range(100, 150).map((i) => `p${p}-${i}`),
          { timeoutMs: 60_000 },
        );
      await waitFor(() => seen.get(0)!.length >= 150 && seen.get(1)!.length >= 150, 60_000, 'records produced after the restart', 100).catch((e: Error) => {
        throw new Error(
          `${e.message}; seen ${seen.get(0)!.length}/${seen.get(1)!.length}, assignment ${source.assignment()}, paused ${source.paused}; source errors:\n${errors.join('\n')}`,
        );
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(seen.get(0)).toEqual(range(0, 150));
      expect(seen.get(1)).toEqual(range(0, 150));

      const out = await readTopic(kafka, trades, { timeoutMs: 30_000 });
      expect(out.map((r) => r.value!.toString()).sort()).toEqual(
        range(0, 100)
          .map((s) => `t${s}`)
          .sort(),
      );
      process.stderr.write(`broker restart: source errors (expected while down):\n  ${errors.join('\n  ')}\n`);
      const tail = await lastPublishedSequence(kafka, trades);
      expect(Math.max(...[...tail.values()].map((p) => p?.seq ?? -1))).toBe(99);
    } finally {
      await source.stop({ timeoutMs: 15_000 });
      await publisher.close().catch(() => undefined);
    }
  }, 240_000);
});
