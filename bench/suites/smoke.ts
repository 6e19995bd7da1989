import type { BenchGroup } from '../types.js';

// Harness self-check: a bare loop, so `--only harness` proves the runner end to end.
export const groups: BenchGroup[] = [
  {
    group: 'harness',
    async *run(ctx) {
      const n = ctx.quick ? 1e7 : 1e8;
      const start = process.hrtime.bigint();
      let acc = 0;
      for (let i = 0; i < n; i++) acc = (acc + i) | 0;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      yield { bench: 'harness', ops_per_s: n / seconds, p50_us: null, p99_us: null, checksum: acc };
    },
  },
];
