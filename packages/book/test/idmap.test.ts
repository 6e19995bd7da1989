import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdMap } from '../src/idmap.js';

describe('IdMap (order id -> slot hash table)', () => {
  it('behaves like a Map under random set/delete/get, across growth and wrap-around', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 53 - 1 })), fc.nat(1e6)), {
          maxLength: 2000,
        }),
        (ops) => {
          const m = new IdMap(4);
          const ref = new Map<number, number>();
          for (const [op, k, v] of ops) {
            if (op === 0) {
              m.set(k, v);
              ref.set(k, v);
            } else if (op === 1) expect(m.delete(k)).toBe(ref.delete(k));
            expect(m.get(k)).toBe(ref.get(k) ?? -1);
          }
          expect(m.size).toBe(ref.size);
          for (const [k, v] of ref) expect(m.get(k)).toBe(v);
        },
      ),
      { numRuns: 300 },
    );
  });
});
