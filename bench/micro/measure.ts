// How the micro benches measure (tinybench) and report (the JSON contract's lines): shared by
// the micro-* suites.
import { Bench } from 'tinybench';
import type { BenchContext, BenchLine } from '../types.js';
import { round } from '../stats.js';
import { loadNow, measureRounds, median, methodFields, runsFor } from '../method.js';

/** A timed function, or one timed batch of `ops` operations with untimed work before and after it. */
export type MicroTask = (() => void) | { fn: () => void; beforeEach?: () => void; afterEach?: () => void; ops: number };

/** A task's median figures, each run's ops/s and the load average at the start. */
type Figures = { ops: number; p50: number | null; p99: number | null; values: number[]; load: number };

/**
 * Every task by the method of every line (bench/method.ts): each run is a tinybench run of that
 * task alone (its own short warm-up, then `time` ms of calls); a warm-up round, then interleaved
 * rounds; ops/s, p50 and p99 are the medians of the runs.
 */
export async function measure(ctx: BenchContext, tasks: Record<string, MicroTask>): Promise<Map<string, Figures>> {
  const time = ctx.quick ? 100 : 400;
  const warmupTime = ctx.quick ? 50 : 100;
  const names = Object.keys(tasks);
  const load = loadNow();
  const rounds = await measureRounds(names, runsFor(ctx), async (name) => {
    const bench = new Bench({ time, warmupTime });
    const task = tasks[name]!;
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
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (!r || !('throughput' in r)) throw new Error(`micro bench ${name} did not complete`);
    const n = typeof task === 'function' ? 1 : task.ops;
    const us = (ms: number | undefined): number => (ms === undefined ? Number.NaN : (ms * 1000) / n);
    return { ops: r.throughput.mean * n, p50: us(r.latency.p50), p99: us(r.latency.p99) };
  });
  const out = new Map<string, Figures>();
  names.forEach((name, k) => {
    const runs = rounds[k]!;
    const mid = (xs: number[]): number | null => {
      const v = median(xs);
      return Number.isFinite(v) ? round(v) : null;
    };
    out.set(name, {
      ops: Math.round(median(runs.map((r) => r.ops))),
      p50: mid(runs.map((r) => r.p50)),
      p99: mid(runs.map((r) => r.p99)),
      values: runs.map((r) => r.ops),
      load,
    });
  });
  return out;
}

export const CURSOR_OPS = 1000;

/** `measure` for tasks running `ops` operations per call: figures per operation. */
export async function measurePerOp(ctx: BenchContext, ops: number, tasks: Record<string, () => void>): Promise<Map<string, Figures>> {
  const out = new Map<string, Figures>();
  for (const [name, r] of await measure(ctx, tasks)) {
    out.set(name, {
      ops: r.ops * ops,
      p50: r.p50 === null ? null : round(r.p50 / ops),
      p99: r.p99 === null ? null : round(r.p99 / ops),
      values: r.values.map((v) => v * ops),
      load: r.load,
    });
  }
  return out;
}

/** The bench line (with its ratio to each baseline) and one line per baseline. */
export function cursorLines(group: string, baselines: string[], results: Map<string, Figures>): BenchLine[] {
  const main = results.get(group)!;
  const head: BenchLine = {
    bench: group,
    ops_per_s: main.ops,
    p50_us: main.p50,
    p99_us: main.p99,
    ops_per_call: CURSOR_OPS,
    ...methodFields(main.values, main.load),
  };
  for (const b of baselines) head[`vs_${b}`] = round(main.ops / results.get(b)!.ops);
  return [
    head,
    ...baselines.map((b) => ({
      bench: `${group}:${b}`,
      ops_per_s: results.get(b)!.ops,
      p50_us: results.get(b)!.p50,
      p99_us: results.get(b)!.p99,
      ops_per_call: CURSOR_OPS,
      ...methodFields(results.get(b)!.values, results.get(b)!.load),
    })),
  ];
}

export function lines(group: string, baseline: string, results: Map<string, Figures>): BenchLine[] {
  const main = results.get(group)!;
  const base = results.get(baseline)!;
  return [
    {
      bench: group,
      ops_per_s: main.ops,
      p50_us: main.p50,
      p99_us: main.p99,
      [`vs_${baseline}`]: round(main.ops / base.ops),
      ...methodFields(main.values, main.load),
    },
    { bench: `${group}:${baseline}`, ops_per_s: base.ops, p50_us: base.p50, p99_us: base.p99, ...methodFields(base.values, base.load) },
  ];
}
