import { describe, expect, it } from 'vitest';
import type { SampleBatch } from '../src/metrics.js';
import { SampleCollector } from '../src/samples.js';

describe('SampleCollector', () => {
  it('posts every sample once, in order, with fractional values kept', () => {
    const posted: SampleBatch[] = [];
    const samples = new SampleCollector(60_000, (b) => posted.push(b));
    samples.latencyNs(1000);
    samples.latencyNs(1500.25);
    samples.wal(2e6, 17);
    samples.maybeFlush(); // the interval has not passed: nothing yet
    expect(posted).toHaveLength(0);
    samples.maybeFlush(true);
    expect(posted).toHaveLength(1);
    expect([...posted[0]!.latencyNs!]).toEqual([1000, 1500.25]);
    expect([...posted[0]!.walSyncNs!]).toEqual([2e6]);
    expect([...posted[0]!.walBatch!]).toEqual([17]);
    samples.maybeFlush(true); // nothing new: no empty batch
    expect(posted).toHaveLength(1);
    samples.latencyNs(7);
    samples.maybeFlush(true);
    expect([...posted[1]!.latencyNs!]).toEqual([7]);
    expect(posted[1]!.walSyncNs).toBeUndefined();
    // A posted batch is a copy: later samples do not change it.
    expect([...posted[0]!.latencyNs!]).toEqual([1000, 1500.25]);
  });

  it('posts a full buffer at once instead of growing or dropping samples', () => {
    const posted: SampleBatch[] = [];
    const samples = new SampleCollector(60_000, (b) => posted.push(b));
    const n = 40_000;
    for (let i = 0; i < n; i++) samples.latencyNs(i);
    for (let i = 0; i < n; i++) samples.wal(i * 2, i);
    samples.maybeFlush(true);
    const latency = posted.flatMap((b) => (b.latencyNs ? [...b.latencyNs] : []));
    const walBatch = posted.flatMap((b) => (b.walBatch ? [...b.walBatch] : []));
    expect(latency).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(walBatch).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Math.max(...posted.map((b) => Math.max(b.latencyNs?.length ?? 0, b.walBatch?.length ?? 0)))).toBeLessThanOrEqual(16_384);
  });
});
