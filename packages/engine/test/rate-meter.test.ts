// GET /status's orders/s: a rate over about the last second from counts sampled whenever asked.
import { describe, expect, it } from 'vitest';
import { RateMeter } from '../src/rate-meter.js';

describe('rate meter', () => {
  it('divides across the newest sample at least a second old; before that, across the first', () => {
    const meter = new RateMeter();
    expect(meter.perSecond(0, 0)).toBe(0); // one sample: no rate yet
    expect(meter.perSecond(500, 1000)).toBe(2000); // half a second old: all it has
    expect(meter.perSecond(1000, 3000)).toBe(3000); // 0 ms sample is 1 s old
    expect(meter.perSecond(1600, 3600)).toBeCloseTo(2600 / 1.1, 9); // the 500 ms sample is the newest at least 1 s old
  });

  it('follows a change of pace within about a second, and keeps a bounded history', () => {
    const meter = new RateMeter();
    let count = 0;
    let rate = 0;
    // 10k/s for 10 s, polled every 250 ms, then 40k/s
    for (let t = 0; t <= 10_000; t += 250) rate = meter.perSecond(t, (count = t * 10));
    expect(rate).toBeCloseTo(10_000, 6);
    for (let t = 10_250; t <= 12_000; t += 250) rate = meter.perSecond(t, (count += 10_000));
    expect(rate).toBeCloseTo(40_000, 6);
    expect((meter as unknown as { times: number[] }).times.length).toBeLessThanOrEqual(22);
  });
});
