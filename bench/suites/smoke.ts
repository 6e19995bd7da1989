import type { BenchGroup } from '../types.js';
import { measureGroup, methodFields } from '../method.js';

// Harness self-check: a bare loop, so `--only harness` proves the runner end to end (and the
// method every line uses, bench/method.ts).
export const groups: BenchGroup[] = [
  {
    group: 'harness',
    async *run(ctx) {
      const n = ctx.quick ? 1e7 : 1e8;
      const loop = async (): Promise<{ rate: number; checksum: number }> => {
        const start = process.hrtime.bigint();
        let acc = 0;
        for (let i = 0; i < n; i++) acc = (acc + i) | 0;
        return { rate: n / (Number(process.hrtime.bigint() - start) / 1e9), checksum: acc };
      };
      const { load, results } = await measureGroup(
        ctx,
        [loop],
        (f) => f(),
        (r) => r.rate,
      );
      const m = results[0]!;
      yield { bench: 'harness', ops_per_s: m.value, p50_us: null, p99_us: null, checksum: m.median.checksum, ...methodFields(m.values, load) };
    },
  },
];
