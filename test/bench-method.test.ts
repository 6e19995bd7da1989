// The one method of every bench line (bench/method.ts): a warm-up round not counted, interleaved
// rounds, the median run, and the fields every line carries about it.
import { describe, expect, it } from 'vitest';
import { measureGroup, median, methodFields, pairedRatio, summarize } from '../bench/dist/method.js';

describe('bench method', () => {
  it('takes the median run (the upper one of an even count) and keeps every run', () => {
    const runs = [{ r: 3 }, { r: 1 }, { r: 5 }, { r: 2 }, { r: 4 }];
    const m = summarize(runs, (x) => x.r);
    expect(m.median).toBe(runs[0]);
    expect(m.value).toBe(3);
    expect(m.values).toEqual([3, 1, 5, 2, 4]);
    expect(median([4, 1, 3, 2])).toBe(3);
  });

  it('a paired ratio is the median of the per-round ratios, which a drift between rounds does not move', () => {
    // a 0.9x item against its baseline on a machine that ran twice as fast in some rounds
    const baseline = [1, 1, 1, 2, 2];
    const item = [0.9, 0.9, 1.8, 1.8, 1.8]; // its third run landed in a fast spell the baseline's missed
    expect(median(item) / median(baseline)).toBeCloseTo(1.8);
    expect(pairedRatio(item, baseline)).toBe(0.9);
    expect(pairedRatio([1, 2, 3], [2, 2, 2])).toBe(1);
  });

  it('says how a line was measured: every run ascending (min first, max last), the method, the load', () => {
    expect(methodFields([30, 10, 50, 20, 40], 1.5)).toEqual({ runs: '10/20/30/40/50', method: 'warm-up + median of 5', load_avg_1m: 1.5 });
  });

  it('measures every item of a group once in a warm-up round, then once per round', async () => {
    const calls: string[] = [];
    const { load, results } = await measureGroup(
      { quick: true, only: null, log: () => undefined },
      ['a', 'b'],
      async (item) => {
        calls.push(item);
        return calls.length;
      },
      (v) => v,
    );
    expect(calls).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']); // warm-up + 3 rounds (--quick)
    expect(results.map((r) => r.values)).toEqual([
      [4, 5, 8],
      [3, 6, 7],
    ]);
    expect(typeof load).toBe('number');
  });

  it('a group may ask for more rounds than the method default: warm-up + that many, the order alternating', async () => {
    const calls: string[] = [];
    const { results } = await measureGroup(
      { quick: false, only: null, log: () => undefined },
      ['a', 'b'],
      async (item) => {
        calls.push(item);
        return calls.length;
      },
      (v) => v,
      7,
    );
    expect(calls).toHaveLength(16);
    expect(results.map((r) => r.values.length)).toEqual([7, 7]);
    for (let round = 0; round < 8; round++) expect(calls.slice(2 * round, 2 * round + 2)).toEqual(round % 2 === 0 ? ['a', 'b'] : ['b', 'a']);
  });
});
