import { describe, expect, it } from 'vitest';
import { ENDED, HALTED, Pipeline, RingBuffer, RingError, TIMEOUT, WaitStrategies } from '@ringmatch/ring';

const fast = WaitStrategies.blocking(10);

function publish(ring: RingBuffer, n: number): number {
  const seq = ring.sequencer();
  const hi = seq.next(n);
  seq.publish(hi - n + 1, hi);
  return hi;
}

describe('end of stream (one thread)', () => {
  it('single producer: the end sequence is the publish cursor; barriers return ENDED past it, also behind a stage', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: fast }).then('a').then('b').build();
    const [a, b] = [ring.stage('a'), ring.stage('b')];
    expect(ring.ended).toBe(false);
    expect(ring.endSequence()).toBe(Infinity);
    expect(publish(ring, 5)).toBe(4);
    ring.end();
    expect(ring.ended).toBe(true);
    expect(ring.endSequence()).toBe(4);
    expect(a.barrier.waitFor(0)).toBe(4); // what was published is still delivered
    expect(a.barrier.waitFor(5)).toBe(ENDED);
    expect(await a.barrier.waitForAsync(5)).toBe(ENDED);
    a.cursor.set(2);
    expect(b.barrier.waitFor(0)).toBe(2);
    expect(b.barrier.waitFor(3, 5)).toBe(TIMEOUT); // a still has 3..4 to do: not the end for b yet
    a.cursor.set(4);
    expect(b.barrier.waitFor(3)).toBe(4);
    expect(b.barrier.waitFor(5)).toBe(ENDED);
    ring.end(); // idempotent
    expect(ring.endSequence()).toBe(4);
    ring.halt(); // halted is reported before ended
    expect(b.barrier.waitFor(5)).toBe(HALTED);
  });

  it('claiming after end() is a producer bug: next, tryNext and nextAsync throw RingError ENDED', async () => {
    for (const producer of ['single', 'multi'] as const) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 8, producer, wait: fast }).then('a').build();
      publish(ring, 2);
      ring.end();
      const seq = ring.sequencer();
      expect(() => seq.next()).toThrow(expect.objectContaining({ code: 'ENDED' }));
      expect(() => seq.next(3, 5)).toThrow(RingError);
      expect(() => seq.tryNext()).toThrow(expect.objectContaining({ code: 'ENDED' }));
      await expect(seq.nextAsync()).rejects.toMatchObject({ code: 'ENDED' });
      // Another thread's view of the same buffer sees the end too.
      const other = RingBuffer.attach(ring.descriptor);
      expect(other.ended).toBe(true);
      expect(other.endSequence()).toBe(1);
      expect(() => other.sequencer().tryNext()).toThrow(expect.objectContaining({ code: 'ENDED' }));
    }
  });

  it('multi producer: the end sequence is the claimed cursor; a halted ring still returns HALTED to next', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8, producer: 'multi', wait: fast, initialSequence: 2 ** 32 - 2 }).then('a').build();
    const p1 = ring.sequencer();
    const p2 = RingBuffer.attach(ring.descriptor).sequencer();
    const lo = 2 ** 32 - 2;
    expect(p1.next(2)).toBe(lo + 1);
    expect(p2.next(3)).toBe(lo + 4);
    p2.publish(lo + 2, lo + 4);
    p1.publish(lo, lo + 1);
    ring.end();
    expect(ring.endSequence()).toBe(lo + 4);
    const a = ring.stage('a');
    expect(a.barrier.waitFor(lo)).toBe(lo + 4);
    expect(a.barrier.waitFor(lo + 5)).toBe(ENDED);
    const halted = new Pipeline({ slotSize: 64, slotCount: 8, producer: 'multi', wait: fast }).then('a').build();
    halted.halt();
    expect(halted.sequencer().next()).toBe(HALTED);
    expect(halted.ended).toBe(false);
  });

  it('an empty stream ends at initialSequence - 1', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8, wait: fast, initialSequence: 100 }).then('a').then('b').build();
    ring.end();
    expect(ring.endSequence()).toBe(99);
    expect(ring.stage('a').barrier.waitFor(100)).toBe(ENDED);
    expect(ring.stage('b').barrier.waitFor(100)).toBe(ENDED);
  });

  it("run, runEach and runAsync return 'ended' with the cursor on the end sequence", async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: fast, initialSequence: 2 ** 31 - 3 }).then('a').then('b').then('c').build();
    const last = publish(ring, 7);
    ring.end();
    const seen: number[] = [];
    const ra = ring.stage('a').run(
      (_b, first, l) => {
        for (let s = first; s <= l; s++) seen.push(s);
      },
      { maxBatch: 3 },
    );
    expect(ra).toEqual({ status: 'ended', processed: 7, cursor: last });
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => 2 ** 31 - 3 + i));
    expect(ring.stage('b').runEach(() => {})).toEqual({ status: 'ended', processed: 7, cursor: last });
    expect(await ring.stage('c').runAsync(async () => {}, { maxInFlight: 2, maxBatch: 2 })).toEqual({ status: 'ended', processed: 7, cursor: last });
    // Called again at the end: nothing to do, still 'ended'.
    expect(ring.stage('c').run(() => {})).toEqual({ status: 'ended', processed: 0, cursor: last });
  });
});
