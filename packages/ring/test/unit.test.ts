import type { SingleProducerSequencer } from '../src/single-producer-sequencer.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HALTED, INSUFFICIENT_CAPACITY, LINE_BYTES, Pipeline, RingBuffer, RingError, TIMEOUT, WaitStrategies, fullSequence } from '@ringmatch/ring';

const fast = WaitStrategies.blocking(10);

describe('layout and validation', () => {
  it('pads every cursor to its own 64-byte line and aligns the slots', () => {
    for (const producer of ['single', 'multi'] as const) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, producer }).then('a').then(['b', 'c']).then('d').build();
      const seqs = [ring.claimSequence, ring.publishSequence, ...ring.stageNames().map((n) => ring.stageSequence(n))];
      const lines = seqs.map((s) => (s.base * 4) / LINE_BYTES);
      for (const s of seqs) expect((s.base * 4) % LINE_BYTES).toBe(0);
      expect(new Set(lines).size).toBe(seqs.length);
      expect(LINE_BYTES).toBe(64);
      expect(ring.slotsOffset % 64).toBe(0);
      expect(ring.sab.byteLength).toBe(ring.slotsOffset + 1024 * 64);
      expect(ring.offsetOf(0)).toBe(ring.slotsOffset);
      expect(ring.offsetOf(1025)).toBe(ring.slotsOffset + 64);
    }
  });

  it('rejects bad configuration with typed errors', () => {
    const bad = [
      { slotSize: 60, slotCount: 8 },
      { slotSize: 64, slotCount: 12 },
      { slotSize: 64, slotCount: 1 },
      { slotSize: 64, slotCount: 8, initialSequence: -1 },
      { slotSize: 64, slotCount: 8, initialSequence: 2 ** 53 },
    ];
    for (const o of bad) expect(() => new Pipeline(o).then('a').build()).toThrow(RingError);
    expect(() => RingBuffer.create({ slotSize: 64, slotCount: 8, stages: [] })).toThrow(/at least one stage/);
    expect(() => RingBuffer.create({ slotSize: 64, slotCount: 8, stages: [{ name: 'a', after: ['b'] }] })).toThrow(/unknown/);
    expect(() =>
      RingBuffer.create({
        slotSize: 64,
        slotCount: 8,
        stages: [
          { name: 'a', after: [] },
          { name: 'a', after: [] },
        ],
      }),
    ).toThrow(/duplicate/);
    expect(() => RingBuffer.create({ slotSize: 64, slotCount: 8, stages: [{ name: 'a', after: [] }], wait: { kind: 'nope' } as never })).toThrow(
      /wait strategy/,
    );
    const ring = new Pipeline({ slotSize: 64, slotCount: 8 }).then('a').build();
    expect(() => ring.stage('zzz')).toThrow(expect.objectContaining({ code: 'UNKNOWN_STAGE' }));
    expect(() => ring.sequencer().next(9)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => ring.sequencer().next(0)).toThrow(RingError);
  });

  it('attach rebuilds the same topology from the buffer alone', () => {
    const ring = new Pipeline({ slotSize: 128, slotCount: 256, producer: 'multi', wait: WaitStrategies.yielding(5, 0.5), onError: 'skip', initialSequence: 99 })
      .then('j')
      .then('m')
      .build();
    const other = RingBuffer.attach(structuredClone(ring.descriptor));
    expect(other.stageSpecs).toEqual([
      { name: 'j', after: [] },
      { name: 'm', after: ['j'] },
    ]);
    expect([other.slotSize, other.slotCount, other.producerType, other.onError, other.initialSequence, other.slotsOffset]).toEqual([
      128,
      256,
      'multi',
      'skip',
      99,
      ring.slotsOffset,
    ]);
    expect(other.wait).toEqual({ kind: 'yielding', spins: 5, parkMs: 0.5 });
    expect(other.cursors()).toEqual({ claimed: 98, published: 98, stages: { j: 98, m: 98 } });
  });
});

describe('sequencers and barriers (one thread)', () => {
  for (const producer of ['single', 'multi'] as const) {
    it(`${producer}: claims in batches, gates on the slowest terminal stage, barrier returns the highest available`, () => {
      const ring = new Pipeline({ slotSize: 64, slotCount: 16, producer, wait: fast }).then('a').then(['b', 'c']).build();
      const seq = ring.sequencer();
      const [a, b, c] = ['a', 'b', 'c'].map((n) => ring.stage(n));
      expect(seq.remainingCapacity()).toBe(16);
      expect(seq.next(10)).toBe(9);
      expect(a!.barrier.waitFor(0, 5)).toBe(TIMEOUT); // claimed, not published
      seq.publish(0, 9);
      expect(a!.barrier.waitFor(0)).toBe(9);
      expect(a!.barrier.waitFor(3)).toBe(9);
      expect(b!.barrier.waitFor(0, 5)).toBe(TIMEOUT); // behind a
      a!.cursor.set(4);
      expect(b!.barrier.waitFor(0)).toBe(4);
      expect(seq.tryNext(7)).toBe(INSUFFICIENT_CAPACITY); // gate is b/c at -1
      expect(seq.next(6)).toBe(15);
      expect(seq.next(1, 5)).toBe(TIMEOUT);
      a!.cursor.set(9);
      b!.cursor.set(9);
      expect(seq.tryNext(1)).toBe(INSUFFICIENT_CAPACITY); // c still at -1
      c!.cursor.set(2);
      expect(seq.remainingCapacity()).toBe(3);
      expect(seq.tryNext(3)).toBe(18);
      expect(seq.claimed()).toBe(18);
      expect(ring.claimed()).toBe(18);
      // publish 10..15 then 16..18: a sees up to 18
      seq.publish(10, 15);
      seq.publish(16, 18);
      expect(a!.barrier.waitFor(10)).toBe(18);
      ring.halt();
      expect(b!.barrier.waitFor(10)).toBe(HALTED);
      expect(seq.next(5)).toBe(HALTED);
      expect(seq.tryNext(1)).toBe(HALTED);
    });
  }

  it('single producer: trimClaim gives back the unpublished tail of a claim, and refuses published or unclaimed slots', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, producer: 'single', wait: fast }).then('a').build();
    const seq = ring.sequencer() as SingleProducerSequencer;
    const a = ring.stage('a');
    expect(seq.next(10)).toBe(9);
    seq.trimClaim(3); // wrote 4 of the 10
    expect(seq.claimed()).toBe(3);
    expect(seq.remainingCapacity()).toBe(12);
    seq.publish(0, 3);
    expect(a.barrier.waitFor(0)).toBe(3);
    expect(seq.next(2)).toBe(5); // the next claim continues right after the trimmed one
    expect(() => seq.trimClaim(6)).toThrow(RangeError); // beyond the claim
    expect(() => seq.trimClaim(2)).toThrow(RangeError); // already published
    seq.trimClaim(3); // gives back both
    expect(seq.next(1)).toBe(4);
  });

  it('multi producer: out-of-order publication is visible only when contiguous', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8, producer: 'multi', wait: fast }).then('a').build();
    const p1 = ring.sequencer();
    const p2 = RingBuffer.attach(ring.descriptor).sequencer(); // second producer, same buffer
    const a = ring.stage('a');
    expect(p1.next(2)).toBe(1);
    expect(p2.next(3)).toBe(4);
    p2.publish(2, 4);
    expect(a.barrier.waitFor(0, 5)).toBe(TIMEOUT);
    expect(ring.published()).toBe(-1);
    p1.publish(0, 1);
    expect(a.barrier.waitFor(0)).toBe(4);
    expect(ring.published()).toBe(4);
  });

  it('multi producer: a stage re-attached in the middle of a batch still sees the rest of it', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8, producer: 'multi', wait: fast, initialSequence: 2 ** 32 - 3 }).then('a').build();
    const p = ring.sequencer();
    const lo = 2 ** 32 - 3;
    expect(p.next(6)).toBe(lo + 5); // wraps the ring end and the 2^32 boundary
    p.publish(lo, lo + 5);
    const a = ring.stage('a');
    expect(a.barrier.waitFor(lo)).toBe(lo + 5);
    a.cursor.set(lo + 2); // stop inside the batch
    const again = RingBuffer.attach(ring.descriptor).stage('a'); // a fresh barrier, mid-batch
    expect(again.nextSequence()).toBe(lo + 3);
    expect(again.barrier.waitFor(lo + 3)).toBe(lo + 5);
    expect(again.barrier.waitFor(lo + 6, 5)).toBe(TIMEOUT);
    again.cursor.set(lo + 5);
    expect(p.next(2)).toBe(lo + 7);
    p.publish(lo + 6, lo + 7);
    expect(again.barrier.waitFor(lo + 6)).toBe(lo + 7);
    expect(ring.published()).toBe(lo + 7);
  });

  it('Stage.run hands batches of at most maxBatch events and stops at `until`', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 16, wait: fast }).then('a').build();
    const seq = ring.sequencer();
    seq.publish(0, seq.next(10));
    const sizes: number[] = [];
    const r = ring.stage('a').run((_b, first, last) => void sizes.push(last - first + 1), { until: 9, maxBatch: 3 });
    expect(r).toEqual({ status: 'done', processed: 10, cursor: 9 });
    expect(sizes).toEqual([3, 3, 3, 1]);
    expect(ring.stage('a').run(() => {}, { idleTimeoutMs: 5 }).status).toBe('timeout');
    expect(() => ring.stage('a').run(() => {}, { maxBatch: 0 })).toThrow(RingError);
  });

  it('async variants resolve, and time out when nothing arrives', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 4, wait: WaitStrategies.async(4) }).then('a').build();
    const seq = ring.sequencer();
    const a = ring.stage('a');
    expect(await a.barrier.waitForAsync(0, 20)).toBe(TIMEOUT);
    const pending = a.barrier.waitForAsync(0, 5000);
    setTimeout(() => {
      const hi = seq.next(2);
      seq.publish(hi - 1, hi);
    }, 10);
    expect(await pending).toBe(1);
    expect(await seq.nextAsync(2)).toBe(3);
    expect(await seq.nextAsync(1, 20)).toBe(TIMEOUT);
    setTimeout(() => a.cursor.set(0), 10);
    expect(await seq.nextAsync(1, 5000)).toBe(4);
  });

  it('runAsync lets timers run while events keep flowing', async () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.async(4) }).then('a').build();
    const seq = ring.sequencer();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let handled = 0;
    let busyUntilTicks = true;
    // The handler refills the ring, so the stage never finds it empty (never parks) until 5 timer
    // ticks have run, or 3 s have passed (without yielding to the event loop, ticks stay at 0).
    const t0 = performance.now();
    seq.publish(0, seq.next(8));
    const r = await ring.stage('a').runAsync(
      (_b, first, last) => {
        handled += last - first + 1;
        if (ticks < 5 && performance.now() - t0 < 3000) {
          const hi = seq.next(8);
          seq.publish(hi - 7, hi);
        } else if (busyUntilTicks) busyUntilTicks = ticks >= 5;
      },
      { idleTimeoutMs: 20 },
    );
    clearInterval(timer);
    expect(r.status).toBe('timeout');
    expect(handled).toBeGreaterThan(8);
    expect(busyUntilTicks).toBe(true);
  });

  it('batchRanges splits a batch that wraps the ring end into two byte ranges', () => {
    const ring = new Pipeline({ slotSize: 64, slotCount: 8, initialSequence: 2 ** 32 - 3 }).then('a').build();
    const base = ring.slotsOffset;
    expect(ring.batchRanges(8, 10)).toEqual([base, base + 3 * 64, base, base]);
    expect(ring.batchRanges(6, 9)).toEqual([base + 6 * 64, base + 8 * 64, base, base + 2 * 64]);
    const lo = 2 ** 32 - 3; // slot index 5, wraps after 3 slots
    const views = ring.batchViews(lo, lo + 4);
    expect(views.map((v) => v.byteLength)).toEqual([3 * 64, 2 * 64]);
    expect(views[0]!.byteOffset).toBe(ring.offsetOf(lo));
    expect(views[1]!.byteOffset).toBe(ring.offsetOf(lo + 3));
    expect(() => ring.batchRanges(0, 8)).toThrow(RingError);
  });
});

describe('64-bit sequences over wrapping Int32 cursors', () => {
  it('fullSequence reconstructs across the 2^31 and 2^32 boundaries and far beyond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 }), fc.integer({ min: -(2 ** 30), max: 2 ** 30 }), (ref, delta) => {
        const v = ref + delta;
        fc.pre(v >= -1);
        expect(fullSequence(ref, v | 0)).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: random batch schedules keep every event, in order, for SP and MP, starting anywhere (incl. near wrap points)', () => {
    const starts = fc.oneof(fc.constantFrom(0, 2 ** 31 - 7, 2 ** 32 - 7, 2 ** 52 - 1000), fc.integer({ min: 0, max: 2 ** 40 }));
    fc.assert(
      fc.property(
        starts,
        fc.constantFrom('single' as const, 'multi' as const),
        fc.constantFrom(4, 8, 32),
        fc.array(fc.tuple(fc.nat({ max: 3 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 120 }),
        (start, producer, size, steps) => {
          const ring = new Pipeline({ slotSize: 16, slotCount: size, producer, initialSequence: start, wait: WaitStrategies.busySpin() })
            .then('a')
            .then('b')
            .build();
          const seq = ring.sequencer();
          const a = ring.stage('a');
          const b = ring.stage('b');
          let produced = 0;
          const seen = { a: 0, b: 0 };
          for (const [op, k] of steps) {
            if (op <= 1) {
              const n = Math.min(k, size);
              const hi = seq.tryNext(n);
              if (hi === INSUFFICIENT_CAPACITY) {
                expect(seq.remainingCapacity()).toBeLessThan(n);
                continue;
              }
              expect(hi).toBe(start + produced + n - 1);
              for (let s = hi - n + 1; s <= hi; s++) ring.view.setFloat64(ring.offsetOf(s), s, true);
              seq.publish(hi - n + 1, hi);
              produced += n;
            } else {
              const st = op === 2 ? a : b;
              const key = op === 2 ? 'a' : 'b';
              const next = start + seen[key];
              const hi = st.barrier.waitFor(next, 0);
              const limit = key === 'a' ? start + produced - 1 : start + seen.a - 1;
              if (next > limit) {
                expect(hi).toBe(TIMEOUT);
                continue;
              }
              expect(hi).toBe(limit); // the highest available, not just `next`
              const last = Math.min(hi, next + k - 1);
              for (let s = next; s <= last; s++) expect(ring.view.getFloat64(ring.offsetOf(s), true)).toBe(s);
              st.cursor.set(last);
              seen[key] += last - next + 1;
            }
            expect(ring.cursors()).toEqual({
              claimed: start + produced - 1,
              published: start + produced - 1,
              stages: { a: start + seen.a - 1, b: start + seen.b - 1 },
            });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
