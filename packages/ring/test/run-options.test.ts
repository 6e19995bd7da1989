import { describe, expect, it } from 'vitest';
import { Pipeline, RingError, SlotError, WaitStrategies, type RingBuffer, type RunResult } from '@ringmatch/ring';

const fast = WaitStrategies.blocking(10);

function publish(ring: RingBuffer, n: number): number {
  const seq = ring.sequencer();
  const hi = seq.next(n);
  seq.publish(hi - n + 1, hi);
  return hi;
}

/** Let pending promise reactions run (they all run before the next macrotask). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A handler whose promises the test settles by hand, recording the batches it was given. */
function manualHandler() {
  const batches: { first: number; last: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const handler = (_bytes: Uint8Array, first: number, last: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      batches.push({ first, last, resolve, reject });
    });
  return { batches, handler };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await flush();
  if (!cond()) throw new Error(`never happened: ${what}`);
}

describe('processor options', () => {
  it('onTimeout is called on each idle timeout and the loop keeps going', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: fast }).then('a').build();
    let timeouts = 0;
    let handled = 0;
    const r = ring.stage('a').run(
      (_b, first, last) => {
        handled += last - first + 1;
      },
      {
        idleTimeoutMs: 2,
        onTimeout: () => {
          timeouts++;
          if (timeouts === 2) publish(ring, 5); // the loop is still running: it picks these up
          if (timeouts === 4) ring.end();
        },
      },
    );
    expect(r).toEqual({ status: 'ended', processed: 5, cursor: 4 });
    expect(handled).toBe(5);
    expect(timeouts).toBe(4);
  });

  it('runAsync: onTimeout keeps the async loop going too', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: WaitStrategies.async(4) }).then('a').build();
    let timeouts = 0;
    const r = await ring.stage('a').runAsync(() => {}, {
      idleTimeoutMs: 2,
      onTimeout: () => {
        if (++timeouts === 1) publish(ring, 3);
        else ring.end();
      },
    });
    expect(r).toEqual({ status: 'ended', processed: 3, cursor: 2 });
    expect(timeouts).toBe(2);
  });

  it('maxInFlight: batches are handed out while earlier ones are pending; the cursor moves only over a settled prefix', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: WaitStrategies.async(4) }).then('a').build();
    publish(ring, 12);
    const a = ring.stage('a');
    const { batches, handler } = manualHandler();
    let result: RunResult | null = null;
    const done = a.runAsync(handler, { maxBatch: 3, maxInFlight: 4 }).then((r) => {
      result = r;
    });
    await until(() => batches.length === 4, '4 batches in flight');
    await flush();
    expect(batches.map((b) => [b.first, b.last])).toEqual([
      [0, 2],
      [3, 5],
      [6, 8],
      [9, 11],
    ]);
    // Settle in reverse: nothing moves until the oldest settles, then the cursor jumps over all.
    for (const k of [3, 2, 1]) {
      batches[k]!.resolve();
      await flush();
      expect(a.cursor.get()).toBe(-1);
    }
    batches[0]!.resolve();
    await flush();
    expect(a.cursor.get()).toBe(11);
    // Out of order again, with the loop parked for more events: the cursor follows each settled prefix.
    publish(ring, 4);
    await until(() => batches.length === 6, '2 more batches');
    batches[5]!.resolve();
    await flush();
    expect(a.cursor.get()).toBe(11);
    batches[4]!.resolve();
    await flush();
    expect(a.cursor.get()).toBe(15);
    // The ring ends with a batch in flight: runAsync returns only once it settled.
    publish(ring, 1);
    await until(() => batches.length === 7, 'one more batch');
    ring.end();
    await flush();
    expect(result).toBeNull();
    batches[6]!.resolve();
    await done;
    expect(result).toEqual({ status: 'ended', processed: 17, cursor: 16 });
  });

  it('maxInFlight with a full ring: settling moves the cursor, so a parked producer gets room (no deadlock)', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8, wait: WaitStrategies.async(4) }).then('a').build();
    const a = ring.stage('a');
    const { batches, handler } = manualHandler();
    publish(ring, 8); // full
    const run = a.runAsync(handler, { maxBatch: 2, maxInFlight: 8 });
    await until(() => batches.length === 4, 'the whole ring in flight');
    const seq = ring.sequencer();
    const claim = seq.nextAsync(4, 10_000);
    for (const b of batches.slice(0, 2)) b.resolve();
    expect(await claim).toBe(11);
    seq.publish(8, 11);
    ring.end();
    await until(() => batches.length === 6, 'the new events handed out');
    for (const b of batches.slice(2)) b.resolve();
    expect(await run).toEqual({ status: 'ended', processed: 12, cursor: 11 });
  });

  it("a rejected handler promise is a handler error at its batch's first sequence (or the SlotError's); 'halt' keeps every cursor before it", async () => {
    for (const slotError of [false, true]) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: WaitStrategies.async(4) }).then('a').then('b').build();
      publish(ring, 12);
      const a = ring.stage('a');
      const { batches, handler } = manualHandler();
      const errors: number[] = [];
      const run = a.runAsync(handler, { maxBatch: 3, maxInFlight: 4, onError: (e) => errors.push(e.sequence) });
      await until(() => batches.length === 4, '4 batches in flight');
      batches[0]!.resolve();
      batches[3]!.resolve(); // after the failing batch: settled, but must not move the cursor
      batches[2]!.resolve();
      batches[1]!.reject(slotError ? new SlotError(4, new Error('bad slot')) : new Error('bad batch'));
      const failAt = slotError ? 4 : 3;
      const r = await run;
      expect(r.status).toBe('error');
      expect(r.error).toMatchObject({ stage: 'a', sequence: failAt });
      expect(r.cursor).toBe(failAt - 1);
      expect(r.processed).toBe(failAt);
      expect(errors).toEqual([failAt]);
      expect(a.cursor.get()).toBe(failAt - 1);
      expect(ring.halted).toBe(true);
      expect(ring.lastError()).toMatchObject({ stage: 'a', sequence: failAt });
      expect(ring.lastError()!.message).toContain(slotError ? 'bad slot' : 'bad batch');
    }
  });

  it("a rejected promise under 'skip' skips the failing event and hands the rest of its batch out again, in order", async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: WaitStrategies.async(4), onError: 'skip' }).then('a').build();
    publish(ring, 6);
    ring.end();
    const calls: [number, number][] = [];
    const r = await ring.stage('a').runAsync(
      async (_b, first, last) => {
        calls.push([first, last]);
        await flush();
        if (first <= 1 && last >= 1) throw new SlotError(1, new Error('one'));
        if (first <= 5 && last >= 5) throw new SlotError(5, new Error('five'));
      },
      { maxBatch: 3, maxInFlight: 2 },
    );
    expect(calls).toEqual([
      [0, 2],
      [3, 5],
      [2, 2],
    ]);
    expect(r).toEqual({ status: 'ended', processed: 4, cursor: 5 });
    expect(ring.skippedCount()).toBe(2);
  });

  it('runAsync with a synchronous throw still applies the error policy; bad maxInFlight is rejected', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: WaitStrategies.async(4) }).then('a').build();
    publish(ring, 4);
    const r = await ring.stage('a').runAsync(
      (_b, first, last) => {
        if (last >= 2) throw new SlotError(2, new Error('sync'));
        void first;
      },
      { maxInFlight: 3 },
    );
    expect(r).toMatchObject({ status: 'error', cursor: 1, processed: 2, error: { sequence: 2 } });
    expect(() => ring.stage('a').runAsync(() => {}, { maxInFlight: 0 })).toThrow(RingError);
    expect(() => ring.stage('a').runAsync(() => {}, { maxInFlight: 1.5 })).toThrow(RingError);
  });
});
