import { afterEach, describe, expect, it } from 'vitest';
import { Pipeline, WaitStrategies, type RingBuffer, type WaitStrategy } from '@ringmatch/ring';
import { spawn, terminateAll, tri, until } from './helpers.js';

afterEach(terminateAll);

const strategies: [string, WaitStrategy][] = [
  ['busy-spin', WaitStrategies.busySpin()],
  ['yielding', WaitStrategies.yielding(100, 0.05)],
  ['blocking', WaitStrategies.blocking(100)],
  ['async', WaitStrategies.async(50)],
];

/** A clock shared with the workers: the main thread's process.hrtime (ns) right before it ends/halts the ring. */
function sharedClock(): { sab: SharedArrayBuffer; stamp: () => void } {
  const sab = new SharedArrayBuffer(8);
  const f64 = new Float64Array(sab);
  return { sab, stamp: () => void (f64[0] = Number(process.hrtime.bigint())) };
}

function publishFromMain(ring: RingBuffer, n: number): void {
  const seq = ring.sequencer();
  for (let i = 0; i < n; i++) {
    const s = seq.next(1, 10_000);
    ring.view.setFloat64(ring.offsetOf(s), i + 1, true);
    seq.publish(s, s);
  }
}

describe('end of stream and processor options across real workers', () => {
  for (const [name, wait] of strategies) {
    it(`${name}: a producer publishes N then end(); a 2-stage pipeline's run/runAsync loops return 'ended', every event handled once`, async () => {
      // Three spinning threads on 2 cores are slow; busy-spin gets fewer events.
      const count = wait.kind === 'busy-spin' ? 30_000 : 100_000;
      const start = 2 ** 31 - 5000;
      const ring = new Pipeline({ slotSize: 64, slotCount: 64, wait, initialSequence: start }).then('a').then('b').build();
      const isAsync = wait.kind === 'async';
      const a = spawn(ring, 'runToEnd', { stage: 'a', mode: isAsync ? 'async' : 'run' });
      const b = spawn(ring, 'runToEnd', { stage: 'b', mode: 'async', promises: 'reverse', maxInFlight: 3, maxBatch: 8 });
      const p = spawn(ring, 'produce', { count, batch: 16, mode: isAsync ? 'async' : 'sync', end: true });
      const [pr, ar, br] = await Promise.all([p.result, a.result, b.result]);
      const last = start + count - 1;
      expect(pr.status).toBe('done');
      for (const r of [ar, br]) {
        expect(r).toMatchObject({ status: 'ended', cursor: last, processed: count, sum: tri(count), bad: 0, gaps: 0, passedEarly: 0 });
      }
      expect(br.maxPending).toBeGreaterThan(0);
      expect(ring.ended).toBe(true);
      expect(ring.endSequence()).toBe(last);
      expect(ring.cursors()).toEqual({ claimed: last, published: last, stages: { a: last, b: last } });
    });

    it(`${name}: ENDED reaches parked stages promptly (well under the 250 ms park bound)`, async () => {
      const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait }).then('a').then('b').build();
      const clock = sharedClock();
      const mode = wait.kind === 'async' ? 'async' : 'sync';
      const a = spawn(ring, 'waitEnd', { stage: 'a', mode, clock: clock.sab });
      const b = spawn(ring, 'waitEnd', { stage: 'b', mode, clock: clock.sab });
      publishFromMain(ring, 3);
      await until(() => ring.stageSequence('a').get() === 2 && ring.stageSequence('b').get() === 2, 10_000, 'both stages caught up');
      if (wait.kind === 'blocking' || wait.kind === 'async') {
        // Announced parkers: a on the publish line, b on a's line.
        await until(() => ring.publishSequence.waiters() > 0 && ring.stageSequence('a').waiters() > 0, 10_000, 'both stages parked');
      }
      clock.stamp();
      ring.end();
      const [ar, br] = await Promise.all([a.result, b.result]);
      for (const r of [ar, br]) {
        expect(r).toMatchObject({ status: 'ended', next: 3 });
        expect(r.wakeMs).toBeLessThan(125);
      }
    });
  }

  for (const [name, wait] of [strategies[2]!, strategies[3]!]) {
    it(`${name}: maxInFlight 4, promises settled in reverse: the cursor still advances in order (the next stage checks)`, async () => {
      const count = 50_000;
      const ring = new Pipeline({ slotSize: 64, slotCount: 256, wait }).then('a').then('b').build();
      const a = spawn(ring, 'runToEnd', { stage: 'a', mode: 'async', promises: 'reverse', maxInFlight: 4, maxBatch: 16 });
      const b = spawn(ring, 'runToEnd', { stage: 'b', mode: wait.kind === 'async' ? 'async' : 'run' });
      const p = spawn(ring, 'produce', { count, batch: 32, end: true });
      const [, ar, br] = await Promise.all([p.result, a.result, b.result]);
      expect(ar).toMatchObject({ status: 'ended', cursor: count - 1, processed: count, gaps: 0, passedEarly: 0, sum: tri(count) });
      expect(ar.maxPending).toBe(4); // batches really were outstanding together
      expect(br).toMatchObject({ status: 'ended', cursor: count - 1, bad: 0, gaps: 0, sum: tri(count) });
    });

    it(`${name}: an async handler rejection halts the pipeline at the failing sequence (later batches settled first)`, async () => {
      const count = 20_000;
      const ring = new Pipeline({ slotSize: 64, slotCount: 256, wait }).then('a').then('b').build();
      const failAt = 12_345;
      const a = spawn(ring, 'runToEnd', { stage: 'a', mode: 'async', promises: 'reverse', maxInFlight: 4, maxBatch: 16, failAt });
      const b = spawn(ring, 'runToEnd', { stage: 'b', mode: wait.kind === 'async' ? 'async' : 'run' });
      const p = spawn(ring, 'produce', { count, batch: 32, end: true });
      const [pr, ar, br] = await Promise.all([p.result, a.result, b.result]);
      expect(ar.status).toBe('error');
      expect(ar.error).toMatchObject({ stage: 'a', sequence: failAt });
      expect(ar.cursor).toBe(failAt - 1);
      expect(ar.passedEarly).toBe(0);
      expect(ring.stageSequence('a').get()).toBe(failAt - 1);
      expect(br.status).toBe('halted');
      expect(br.cursor).toBeLessThanOrEqual(failAt - 1);
      expect(br.bad).toBe(0);
      expect(pr.status).toBe('halted');
      expect(ring.lastError()).toMatchObject({ stage: 'a', sequence: failAt });
    });
  }

  for (const mode of ['run', 'async'] as const) {
    it(`onTimeout (${mode}): called on idle timeouts, the loop keeps going and then ends`, async () => {
      const ring = new Pipeline({ slotSize: 64, slotCount: 64, wait: WaitStrategies.async(50) }).then('a').build();
      const timeouts = new Int32Array(new SharedArrayBuffer(4));
      const a = spawn(ring, 'runToEnd', { stage: 'a', mode, idleTimeoutMs: 5, timeouts: timeouts.buffer });
      await until(() => Atomics.load(timeouts, 0) >= 2, 10_000, 'two idle timeouts');
      publishFromMain(ring, 500);
      const seen = Atomics.load(timeouts, 0);
      await until(() => Atomics.load(timeouts, 0) > seen && ring.stageSequence('a').get() === 499, 10_000, 'another timeout after the events');
      ring.end();
      const ar = await a.result;
      expect(ar).toMatchObject({ status: 'ended', cursor: 499, processed: 500, sum: tri(500), gaps: 0 });
      expect(ar.timeouts).toBeGreaterThanOrEqual(3);
    });
  }
});
