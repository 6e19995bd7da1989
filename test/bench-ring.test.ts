// The ring bench (bench/suites/ring.ts, bench/workers/ring-worker.ts): the baselines move every event
// (their checksums match, including a count that ends in a partial batch and runs that wrap the
// ring many times, where ringbuf.js splits an event across the end of its storage), and every line
// is measured the same way (a warm-up round not counted, then interleaved rounds).
import { describe, expect, it } from 'vitest';
// The compiled suite: its workers are loaded from the file beside it.
import { contenders } from '../bench/dist/suites/ring.js';
import { measureRounds } from '../bench/dist/method.js';

const sizes = (events: number) => ({ ring: events, perEvent: 1000, batched: 10_000 });

describe('ring bench baselines', () => {
  for (const name of ['', 'hand-loop', 'ringbuf.js']) {
    it(`${name || 'ring'}: every event arrives (checksum) for small, partial-batch and multi-lap counts`, async () => {
      for (const events of [1, 1000, 100_003]) {
        const c = contenders('1p1c', sizes(events)).find((x) => x.name === name)!;
        expect(c.events).toBe(events);
        const out = await c.once(); // throws on a checksum mismatch
        expect(out.seconds).toBeGreaterThan(0);
        const sums = out.reports.map((r) => r.checksum);
        expect(sums.length).toBe(2);
        expect(sums[0]).toBe(sums[1]); // producer and consumer agree
      }
    }, 60_000);
  }

  it('the 1P1C group has the ring, both port baselines, ringbuf.js and the hand loop; the others no 1P1C-only line', () => {
    expect(contenders('1p1c', sizes(10)).map((c) => c.name)).toEqual(['', 'port-per-event', 'port-batched', 'ringbuf.js', 'hand-loop']);
    expect(contenders('mp', sizes(10)).map((c) => c.name)).toEqual(['', 'port-per-event', 'port-batched']);
  });
});

describe('measureRounds', () => {
  it('runs a warm-up round first (not counted), then interleaved rounds starting at a different item each time, odd rounds backwards', async () => {
    const calls: string[] = [];
    let t = 0;
    const values = await measureRounds(['a', 'b', 'c'], 3, async (item) => {
      calls.push(item);
      return ++t;
    });
    expect(calls.join('')).toBe('abc' + 'bac' + 'cab' + 'acb');
    // Warm-up values 1..3 dropped; each item keeps one value per measured round, in run order.
    expect(values).toEqual([
      [5, 8, 10],
      [4, 9, 12],
      [6, 7, 11],
    ]);
  });
});
