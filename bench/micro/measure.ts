// How the micro benches measure (tinybench) and report (the JSON contract's lines): shared by
// the micro-* suites.
import { Bench } from 'tinybench';
import type { BenchContext, BenchLine } from '../types.js';
import { round } from '../stats.js';

/** A timed function, or one timed batch of `ops` operations with untimed work before and after it. */
export type MicroTask = (() => void) | { fn: () => void; beforeEach?: () => void; afterEach?: () => void; ops: number };

export async function measure(
  ctx: BenchContext,
  tasks: Record<string, MicroTask>,
): Promise<Map<string, { ops: number; p50: number | null; p99: number | null }>> {
  const bench = new Bench({ time: ctx.quick ? 300 : 2000, warmupTime: ctx.quick ? 100 : 500 });
  const opsPerCall = new Map<string, number>();
  for (const [name, task] of Object.entries(tasks)) {
    if (typeof task === 'function') bench.add(name, task);
    else {
      // tinybench calls a task once when it is added (to see whether it is async): only a call
      // that follows beforeEach runs the batch, so the book sees no batch without its setup.
      let armed = false;
      const { fn, beforeEach, afterEach } = task;
      const run = (): void => {
        if (!armed) return;
        armed = false;
        fn();
      };
      const arm = (): void => {
        beforeEach?.();
        armed = true;
      };
      bench.add(name, run, { beforeEach: arm, afterEach });
    }
    opsPerCall.set(name, typeof task === 'function' ? 1 : task.ops);
  }
  await bench.run();
  const out = new Map<string, { ops: number; p50: number | null; p99: number | null }>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (!r || !('throughput' in r)) throw new Error(`micro bench ${task.name} did not complete`);
    const n = opsPerCall.get(task.name)!;
    const us = (ms: number | undefined): number | null => (ms === undefined ? null : round((ms * 1000) / n));
    out.set(task.name, { ops: Math.round(r.throughput.mean * n), p50: us(r.latency.p50), p99: us(r.latency.p99) });
  }
  return out;
}

export const CURSOR_OPS = 1000;

/** `measure` for tasks running `ops` operations per call: figures per operation. */
export async function measurePerOp(
  ctx: BenchContext,
  ops: number,
  tasks: Record<string, () => void>,
): Promise<Map<string, { ops: number; p50: number | null; p99: number | null }>> {
  const out = new Map<string, { ops: number; p50: number | null; p99: number | null }>();
  for (const [name, r] of await measure(ctx, tasks)) {
    out.set(name, { ops: r.ops * ops, p50: r.p50 === null ? null : round(r.p50 / ops), p99: r.p99 === null ? null : round(r.p99 / ops) });
  }
  return out;
}

/** The bench line (with its ratio to each baseline) and one line per baseline. */
export function cursorLines(group: string, baselines: string[], results: Map<string, { ops: number; p50: number | null; p99: number | null }>): BenchLine[] {
  const main = results.get(group)!;
  const head: BenchLine = { bench: group, ops_per_s: main.ops, p50_us: main.p50, p99_us: main.p99, ops_per_call: CURSOR_OPS };
  for (const b of baselines) head[`vs_${b}`] = round(main.ops / results.get(b)!.ops);
  return [
    head,
    ...baselines.map((b) => ({
      bench: `${group}:${b}`,
      ops_per_s: results.get(b)!.ops,
      p50_us: results.get(b)!.p50,
      p99_us: results.get(b)!.p99,
      ops_per_call: CURSOR_OPS,
    })),
  ];
}

export function lines(group: string, baseline: string, results: Map<string, { ops: number; p50: number | null; p99: number | null }>): BenchLine[] {
  const main = results.get(group)!;
  const base = results.get(baseline)!;
  return [
    { bench: group, ops_per_s: main.ops, p50_us: main.p50, p99_us: main.p99, [`vs_${baseline}`]: round(main.ops / base.ops) },
    { bench: `${group}:${baseline}`, ops_per_s: base.ops, p50_us: base.p50, p99_us: base.p99 },
  ];
}
