// The sorted level index and the stop lists against plain sorted arrays, through growth.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ladder } from '../src/ladder.js';
import { StopList } from '../src/stop-list.js';

const contents = (keys: Float64Array, vals: Int32Array, count: number): [number, number][] => Array.from({ length: count }, (_, i) => [keys[i]!, vals[i]!]);

describe('Ladder (sorted level index, best last)', () => {
  it('lowerBound, insertAt and removeAt agree with a sorted array, short and long, through growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -60, max: 60 }), fc.nat(100)), { maxLength: 300 }), (ops) => {
        const lad = new Ladder(2);
        const ref: [number, number][] = [];
        for (const [insert, key, pick] of ops) {
          const at = ref.findIndex(([k]) => k >= key);
          const expected = at < 0 ? ref.length : at;
          expect(lad.lowerBound(key)).toBe(expected);
          if (insert && ref[expected]?.[0] !== key) {
            lad.insertAt(expected, key, key * 3);
            ref.splice(expected, 0, [key, key * 3]);
          } else if (!insert && ref.length > 0) {
            const i = pick % ref.length;
            lad.removeAt(i);
            ref.splice(i, 1);
          }
          expect(lad.count).toBe(ref.length);
        }
        expect(contents(lad.keys, lad.levels, lad.count)).toEqual(ref);
      }),
      { numRuns: 200 },
    );
  });
});

describe('StopList (next to trigger last)', () => {
  it('keeps keys sorted with the earlier arrival of equal keys nearer the end, and removes by order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 10 })), { maxLength: 200 }), (ops) => {
        const stops = new StopList(1);
        let ref: [number, number][] = [];
        let next = 0;
        for (const [insert, key] of ops) {
          if (insert || ref.length === 0) {
            const o = next++;
            stops.insert(key, o);
            const at = ref.findIndex(([k]) => k >= key);
            ref.splice(at < 0 ? ref.length : at, 0, [key, o]);
          } else {
            const [, o] = ref[key % ref.length]!;
            stops.remove(o);
            ref = ref.filter(([, x]) => x !== o);
          }
        }
        expect(contents(stops.keys, stops.orders, stops.count)).toEqual(ref);
      }),
      { numRuns: 200 },
    );
  });

  it('appends in order on restore', () => {
    const stops = new StopList(1);
    for (let i = 0; i < 5; i++) stops.push(i * 10, i);
    expect(contents(stops.keys, stops.orders, stops.count)).toEqual([0, 1, 2, 3, 4].map((i) => [i * 10, i]));
  });
});
