import { describe, expect, it } from 'vitest';
import { HALTED, LINE_BYTES, RingError, SequenceSet, TIMEOUT, WaitStrategies } from '@ringmatch/ring';

describe('SequenceSet (one thread)', () => {
  it('creates padded lines in its own buffer; attach rebuilds it from the buffer alone', () => {
    const set = SequenceSet.create(['snapshot', 'committed', 'sink'], { initial: 2 ** 32 - 2, wait: WaitStrategies.yielding(5, 0.5) });
    expect(set.names()).toEqual(['snapshot', 'committed', 'sink']);
    const bases = set.names().map((n) => set.sequence(n).base * 4);
    for (const b of bases) expect(b % LINE_BYTES).toBe(0);
    expect(new Set(bases.map((b) => b / LINE_BYTES)).size).toBe(3);
    expect(set.snapshot()).toEqual({ snapshot: 2 ** 32 - 2, committed: 2 ** 32 - 2, sink: 2 ** 32 - 2 });
    set.sequence('committed').set(2 ** 32 + 5);
    const other = SequenceSet.attach(structuredClone(set.descriptor));
    expect(other.names()).toEqual(set.names());
    expect(other.snapshot()).toEqual({ snapshot: 2 ** 32 - 2, committed: 2 ** 32 + 5, sink: 2 ** 32 - 2 });
    expect(SequenceSet.create(['x']).snapshot()).toEqual({ x: -1 });
  });

  it('rejects bad names, bad options and foreign buffers with RingError', () => {
    const set = SequenceSet.create(['a']);
    expect(() => set.sequence('b')).toThrow(RingError);
    expect(() => set.waitFor('b', 0)).toThrow(RingError);
    expect(() => SequenceSet.create([])).toThrow(RingError);
    expect(() => SequenceSet.create(['a', 'a'])).toThrow(/duplicate/);
    expect(() => SequenceSet.create([''])).toThrow(RingError);
    expect(() => SequenceSet.create(['a'], { initial: 0.5 })).toThrow(RingError);
    expect(() => SequenceSet.create(['a'], { initial: -2 })).toThrow(RingError);
    expect(() => SequenceSet.create(['a'], { wait: { kind: 'nope' } as never })).toThrow(/wait strategy/);
    expect(() => SequenceSet.attach({ sab: new SharedArrayBuffer(256) })).toThrow(/not a ringmatch sequence set/);
  });

  it('waitFor returns the value once it reaches the target, TIMEOUT otherwise, HALTED after halt', async () => {
    const set = SequenceSet.create(['a', 'b'], { wait: WaitStrategies.async(4) });
    const a = set.sequence('a');
    expect(set.waitFor('a', 0, 5)).toBe(TIMEOUT);
    expect(await set.waitForAsync('a', 0, 5)).toBe(TIMEOUT);
    a.set(7);
    expect(set.waitFor('a', 3)).toBe(7);
    expect(await set.waitForAsync('a', 7)).toBe(7);
    const pending = set.waitForAsync('b', 10, 10_000);
    setTimeout(() => set.sequence('b').set(10), 5);
    expect(await pending).toBe(10);
    const parked = set.waitForAsync('b', 11, 10_000);
    setTimeout(() => set.halt(), 5);
    expect(await parked).toBe(HALTED);
    expect(set.halted).toBe(true);
    expect(set.waitFor('a', 100)).toBe(HALTED);
    expect(set.waitFor('a', 1)).toBe(7); // a reached target still wins over halt
  });
});
