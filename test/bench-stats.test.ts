import { describe, expect, it } from 'vitest';
import { latencySummaryUs, percentile, round } from '../bench/stats.js';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles of unsorted samples', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([], 50)).toBeNull();
  });

  it('reports p50/p99 in microseconds from nanoseconds', () => {
    const ns = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000);
    expect(latencySummaryUs(ns)).toEqual({ p50_us: 50, p99_us: 99 });
  });

  it('rounds to significant digits', () => {
    expect(round(123456.789)).toBe(123457);
    expect(round(0.0012345)).toBe(0.00123);
  });
});
