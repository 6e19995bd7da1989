import * as layout from './layout.js';
import { ENDED, HALTED, TIMEOUT } from './status-codes.js';
import type { WaitStrategy } from './wait-strategy.js';

// Local copies of the constants used on the hot path (why: see layout.ts).
const C_STATE = layout.C_STATE;
const W_WAITERS = layout.W_WAITERS;
const W_WAKE = layout.W_WAKE;

const MAX_PARK_MS = 250; // a parked thread re-checks its state at least this often (belt and braces)

// Atomics.waitAsync is in Node 20 (V8) but typed only in lib ES2024.
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const atomicsWaitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): WaitAsyncResult }).waitAsync;

function noop(): void {}

function now(): number {
  return performance.now();
}

// Shared waiting loop (slow path only). `probe()` returns the current available value; the wait
// ends when it reaches `target`. `line()` names the cursor line to park on (the lagging one).

export interface WaitSite {
  /** Header view: its word C_STATE is the state word. */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly strategy: WaitStrategy;
  /** Consumer waits return ENDED past the end of stream; producer (gate) waits do not. */
  readonly endAware: boolean;
}

/** Why a wait stops on a non-zero state word: HALTED, ENDED (stream ended before `target`), or 0 (keep waiting). */
export function stopCode(site: WaitSite, state: number, target: number): number {
  if ((state & layout.S_HALTED) !== 0) return HALTED;
  if (site.endAware && (state & layout.S_ENDED) !== 0 && site.f64[layout.C_END_SEQ_F64]! < target) return ENDED;
  return 0;
}

export function waitSync(site: WaitSite, target: number, probe: () => number, line: () => number, timeoutMs: number): number {
  const { i32, strategy } = site;
  const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
  const spins = strategy.kind === 'busy-spin' ? Infinity : strategy.spins;
  let i = 0;
  for (;;) {
    const v = probe();
    if (v >= target) return v;
    const state = Atomics.load(i32, C_STATE);
    if (state !== 0) {
      const stop = stopCode(site, state, target);
      if (stop !== 0) return stop;
    }
    i++;
    if (i < spins) {
      if ((i & 255) === 0 && now() >= deadline) return TIMEOUT;
      continue;
    }
    const left = deadline - now();
    if (left <= 0) return TIMEOUT;
    const base = line();
    if (strategy.kind === 'yielding') {
      Atomics.wait(i32, base + W_WAKE, Atomics.load(i32, base + W_WAKE), Math.min(strategy.parkMs, left));
      continue;
    }
    // blocking / async (sync entry): announce, re-check, park.
    Atomics.add(i32, base + W_WAITERS, 1);
    const w = Atomics.load(i32, base + W_WAKE);
    const again = probe();
    if (again >= target || stopCode(site, Atomics.load(i32, C_STATE), target) !== 0) {
      Atomics.sub(i32, base + W_WAITERS, 1);
      continue;
    }
    Atomics.wait(i32, base + W_WAKE, w, Math.min(left, MAX_PARK_MS));
    Atomics.sub(i32, base + W_WAITERS, 1);
  }
}

export async function waitAsync(site: WaitSite, target: number, probe: () => number, line: () => number, timeoutMs: number): Promise<number> {
  const { i32, strategy } = site;
  const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
  const spins = strategy.kind === 'busy-spin' ? 64 : strategy.spins;
  let i = 0;
  for (;;) {
    const v = probe();
    if (v >= target) return v;
    const state = Atomics.load(i32, C_STATE);
    if (state !== 0) {
      const stop = stopCode(site, state, target);
      if (stop !== 0) return stop;
    }
    if (++i < spins) continue;
    const left = deadline - now();
    if (left <= 0) return TIMEOUT;
    const base = line();
    Atomics.add(i32, base + W_WAITERS, 1);
    const w = Atomics.load(i32, base + W_WAKE);
    const again = probe();
    if (again >= target || stopCode(site, Atomics.load(i32, C_STATE), target) !== 0) {
      Atomics.sub(i32, base + W_WAITERS, 1);
      continue;
    }
    const slice = Math.min(left, MAX_PARK_MS);
    const r = atomicsWaitAsync(i32, base + W_WAKE, w, slice);
    if (r.async) {
      // Node does not count a pending waitAsync as work: without a ref'd handle the event loop can
      // exit under us (exit code 13, or 0 in a worker). Hold a handle until the wait settles: a
      // one-shot timer of the park's length was not enough on a loaded machine, where V8's own
      // timeout task can run after that timer, leaving a moment with no handle at all.
      const keepAlive = setInterval(noop, 1000);
      try {
        await r.value;
      } finally {
        clearInterval(keepAlive);
      }
    }
    Atomics.sub(i32, base + W_WAITERS, 1);
  }
}
