import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WAIT, Pipeline, RingBuffer, WaitStrategies, type WaitStrategy } from '@ringmatch/ring';
import { spawn, terminateAll, tri, until } from './helpers.js';

afterEach(terminateAll);

describe('cross-worker pipelines (real worker_threads)', () => {
  it('1P1C delivers 4M events in order with a matching checksum (start near the Int32 wrap)', async () => {
    const count = 4_000_000;
    const ring = new Pipeline({ slotSize: 64, slotCount: 1 << 12, initialSequence: 2 ** 31 - 1000 }).then('c').build();
    const c = spawn(ring, 'consume', { stage: 'c', count });
    const p = spawn(ring, 'produce', { count, batch: 256 });
    const [pr, cr] = await Promise.all([p.result, c.result]);
    expect(pr.status).toBe('done');
    expect(cr).toMatchObject({ status: 'done', bad: 0, sum: tri(count) });
    expect(pr.sum).toBe(tri(count));
    expect(ring.cursors()).toEqual({ claimed: 2 ** 31 - 1000 + count - 1, published: 2 ** 31 - 1000 + count - 1, stages: { c: 2 ** 31 - 1000 + count - 1 } });
  });

  it('3-stage chain: every stage sees every event after its predecessor (2M events)', async () => {
    const count = 2_000_000;
    const ring = new Pipeline({ slotSize: 64, slotCount: 1 << 10 }).then('a').then('b').then('c').build();
    const cs = ['a', 'b', 'c'].map((stage) => spawn(ring, 'consume', { stage, count }));
    const p = spawn(ring, 'produce', { count, batch: 64 });
    // Meanwhile the main thread reads cursors(): every snapshot keeps claimed >= published >= a >= b >= c
    // although all of them move (a snapshot read in declaration order shows b ahead of a).
    let done = false;
    const all = Promise.all([p.result, ...cs.map((c) => c.result)]).finally(() => {
      done = true;
    });
    let snapshots = 0;
    const disorder: string[] = [];
    while (!done && snapshots < 50_000_000) {
      for (let i = 0; i < 2000; i++, snapshots++) {
        const c = ring.cursors();
        const { a, b, c: last } = c.stages as { a: number; b: number; c: number };
        if (!(c.claimed >= c.published && c.published >= a && a >= b && b >= last) && disorder.length < 5) disorder.push(JSON.stringify(c));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await all;
    for (const r of results.slice(1)) expect(r).toMatchObject({ status: 'done', bad: 0, sum: tri(count) });
    expect(snapshots).toBeGreaterThan(10_000);
    expect(disorder).toEqual([]);
  });

  it('diamond a -> (b, c) -> d: d runs only behind both branches (2M events)', async () => {
    const count = 2_000_000;
    const ring = new Pipeline({ slotSize: 64, slotCount: 1 << 10, initialSequence: 2 ** 32 - 777 }).then('a').then(['b', 'c']).then('d').build();
    expect(ring.stageSpecs.map((s) => s.after)).toEqual([[], ['a'], ['a'], ['b', 'c']]);
    const cs = ['a', 'b', 'c', 'd'].map((stage) => spawn(ring, 'consume', { stage, count }));
    const p = spawn(ring, 'produce', { count, batch: 128 });
    const results = await Promise.all([p.result, ...cs.map((c) => c.result)]);
    for (const r of results.slice(1)) expect(r).toMatchObject({ status: 'done', bad: 0, sum: tri(count) });
  });

  it('multi producer: 3 producers x 1M, every event exactly once, in order per producer', async () => {
    const per = 1_000_000;
    const producers = 3;
    const ring = new Pipeline({ slotSize: 64, slotCount: 1 << 12, producer: 'multi', initialSequence: 2 ** 31 - 5000 }).then('c').build();
    const c = spawn(ring, 'consume', { stage: 'c', count: per * producers, producers });
    const ps = Array.from({ length: producers }, (_, i) => spawn(ring, 'produce', { count: per, batch: 1 + 31 * i, producerId: i }));
    const [cr, ...prs] = await Promise.all([c.result, ...ps.map((p) => p.result)]);
    for (const pr of prs) expect(pr).toMatchObject({ status: 'done', written: per, sum: tri(per) });
    expect(cr).toMatchObject({ status: 'done', bad: 0, sum: producers * tri(per), perProducer: [per, per, per] });
  });

  it('ring-full backpressure: the producer parks at capacity and nothing is overwritten', async () => {
    const count = 5000;
    const ring = new Pipeline({ slotSize: 64, slotCount: 16 }).then('c').build();
    const p = spawn(ring, 'produce', { count, batch: 4 });
    // No consumer yet: the producer fills 16 slots, then parks on the consumer's cursor line.
    await until(() => ring.stageSequence('c').waiters() > 0, 10_000, 'producer parked');
    expect(ring.claimed()).toBe(15);
    expect(ring.published()).toBe(15);
    expect(ring.sequencer().tryNext(1)).toBeLessThan(0); // a second look from here: full
    const c = spawn(ring, 'consume', { stage: 'c', count, slowUs: 20 });
    const [pr, cr] = await Promise.all([p.result, c.result]);
    expect(pr.status).toBe('done');
    expect(cr).toMatchObject({ status: 'done', bad: 0, sum: tri(count) });
  });

  it('tryNext reports a full ring instead of waiting (the Kafka poller pauses)', async () => {
    const count = 20_000;
    const ring = new Pipeline({ slotSize: 64, slotCount: 32 }).then('c').build();
    const p = spawn(ring, 'produce', { count, batch: 8, mode: 'try' });
    await until(() => ring.claimed() === 31, 10_000, 'ring full');
    const c = spawn(ring, 'consume', { stage: 'c', count, slowUs: 5 });
    const [pr, cr] = await Promise.all([p.result, c.result]);
    expect(pr.status).toBe('done');
    expect(pr.fullHits).toBeGreaterThan(0);
    expect(cr).toMatchObject({ status: 'done', bad: 0, sum: tri(count) });
  });

  const strategies: [string, WaitStrategy][] = [
    ['busy-spin', WaitStrategies.busySpin()],
    ['yielding', WaitStrategies.yielding(100, 0.05)],
    ['blocking', WaitStrategies.blocking(100)],
    ['async', WaitStrategies.async(50)],
  ];
  for (const [name, wait] of strategies) {
    it(`wait strategy ${name}: 1P1C 300k events, tiny ring (forces both sides to wait)`, async () => {
      const count = 300_000;
      const ring = new Pipeline({ slotSize: 64, slotCount: 64, wait }).then('c').build();
      const isAsync = wait.kind === 'async';
      const c = spawn(ring, isAsync ? 'run' : 'consume', { stage: 'c', count, mode: isAsync ? 'async' : 'run' });
      const p = spawn(ring, 'produce', { count, batch: 16, mode: isAsync ? 'async' : 'sync' });
      const [pr, cr] = await Promise.all([p.result, c.result]);
      expect(pr.status).toBe('done');
      expect(cr.status).toBe('done');
      expect(cr.sum).toBe(tri(count));
    });
  }

  for (const wait of [WaitStrategies.blocking(), WaitStrategies.yielding(), WaitStrategies.async()]) {
    it(`halt wakes parked consumers and producers (${wait.kind})`, async () => {
      const ring = new Pipeline({ slotSize: 64, slotCount: 8, wait }).then('a').then('b').build();
      const mode = wait.kind === 'async' ? 'async' : 'sync';
      const b = spawn(ring, wait.kind === 'async' ? 'run' : 'consume', { stage: 'b', count: 1000, mode });
      const p = spawn(ring, 'produce', { count: 1000, batch: 1, mode }); // fills 8 slots; 'a' never runs
      await until(() => ring.claimed() === 7, 10_000, 'ring full');
      if (wait.kind !== 'yielding') {
        await until(() => ring.stageSequence('b').waiters() > 0, 10_000, 'producer parked on b');
        await until(() => ring.stageSequence('a').waiters() > 0, 10_000, 'b parked on a');
      } else await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      ring.halt();
      const [pr, br] = await Promise.all([p.result, b.result]);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(pr.status).toBe('halted');
      expect(br.status).toBe('halted');
      expect(ring.halted).toBe(true);
    });
  }

  it('the default strategy parks idle workers: no core burnt while nothing flows', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8 }).then('a').then('b').build();
    expect(ring.wait).toEqual(DEFAULT_WAIT);
    const b = spawn(ring, 'consume', { stage: 'b', count: 100 }); // parks behind 'a' (never runs)
    const p = spawn(ring, 'produce', { count: 100, batch: 1 }); // fills 8 slots, parks on b
    await until(() => ring.stageSequence('b').waiters() > 0 && ring.stageSequence('a').waiters() > 0, 10_000, 'both parked');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 400));
    const c = process.cpuUsage(c0);
    const cores = (c.user + c.system) / 1000 / (performance.now() - t0);
    expect(cores).toBeLessThan(0.3); // a spinning worker alone would be ~1.0
    ring.halt();
    expect((await p.result).status).toBe('halted');
    expect((await b.result).status).toBe('halted');
  });

  it('a handler exception halts the pipeline and is reported with the failing sequence', async () => {
    const count = 10_000;
    const start = 2 ** 31 - 100;
    const ring = new Pipeline({ slotSize: 64, slotCount: 256, initialSequence: start }).then('a').then('b').build();
    const failAt = start + 4321;
    const a = spawn(ring, 'run', { stage: 'a', count, failAt, mode: 'each' });
    const b = spawn(ring, 'consume', { stage: 'b', count });
    const p = spawn(ring, 'produce', { count, batch: 10 });
    const [ar, br, pr] = await Promise.all([a.result, b.result, p.result]);
    expect(ar.status).toBe('error');
    expect(ar.error).toMatchObject({ stage: 'a', sequence: failAt });
    expect(ar.errors).toHaveLength(1);
    expect(ar.cursor).toBe(failAt - 1);
    expect(br.status).toBe('halted');
    expect(pr.status).toBe('halted');
    expect(ring.stageSequence('a').get()).toBe(failAt - 1);
    const rec = ring.lastError();
    expect(rec).toMatchObject({ stage: 'a', sequence: failAt });
    expect(rec!.message).toContain(`boom at ${failAt}`);
  });

  it("onError 'skip' skips only the failing sequence and keeps going", async () => {
    const count = 10_000;
    const ring = new Pipeline({ slotSize: 64, slotCount: 256, onError: 'skip' }).then('a').build();
    const failAt = 777;
    const a = spawn(ring, 'run', { stage: 'a', count, failAt, mode: 'run' });
    const p = spawn(ring, 'produce', { count, batch: 10 });
    const [ar, pr] = await Promise.all([a.result, p.result]);
    expect(pr.status).toBe('done');
    expect(ar.status).toBe('done');
    expect(ar.processed).toBe(count - 1);
    expect(ar.sum).toBe(tri(count) - (failAt + 1));
    expect(ar.errors.map((e: { sequence: number }) => e.sequence)).toEqual([failAt]);
    expect(ring.skippedCount()).toBe(1);
    expect(ring.lastError()?.sequence).toBe(failAt);
  });

  it('attach rejects a buffer that is not a ring', () => {
    expect(() => RingBuffer.attach({ sab: new SharedArrayBuffer(1024) })).toThrow(/not a ringmatch ring/);
  });
});
