import { RingError } from './ring-error.js';

/**
 * Wait strategies are plain, serialisable config objects (they travel inside the SAB header), so a
 * worker that attaches to a ring gets the same strategy as the thread that built it.
 *
 * - `busy-spin`: re-reads the cursor in a tight loop. Lowest latency, burns a core while idle.
 * - `yielding`: spins `spins` times, then parks with `Atomics.wait` for `parkMs` at a time without
 *   announcing itself (producers never pay a notify); wakes on the timeout or on a halt.
 * - `blocking` (default): spins `spins` times, then announces itself in the cursor line's waiters
 *   count and parks on `Atomics.wait` until the writer notifies. Writers call `Atomics.notify` only
 *   when that count is non-zero, so an un-parked pipeline pays one plain load per batch. Idle = 0 CPU.
 * - `async`: like `blocking`, but the asynchronous entry points (`waitForAsync`, `nextAsync`,
 *   `runAsync`) park with `Atomics.waitAsync`, keeping the worker's event loop alive. Synchronous
 *   calls under an `async` strategy park with `Atomics.wait`.
 */
export type WaitStrategy =
  | { readonly kind: 'busy-spin' }
  | { readonly kind: 'yielding'; readonly spins: number; readonly parkMs: number }
  | { readonly kind: 'blocking'; readonly spins: number }
  | { readonly kind: 'async'; readonly spins: number };

export const WaitStrategies = {
  busySpin(): WaitStrategy {
    return { kind: 'busy-spin' };
  },
  yielding(spins = 256, parkMs = 0.1): WaitStrategy {
    return { kind: 'yielding', spins, parkMs };
  },
  blocking(spins = 256): WaitStrategy {
    return { kind: 'blocking', spins };
  },
  async(spins = 200): WaitStrategy {
    return { kind: 'async', spins };
  },
} as const;

/** The default: blocking with a short spin (about a microsecond, 256 re-reads) before parking. */
export const DEFAULT_WAIT: WaitStrategy = WaitStrategies.blocking();

export function validateWaitStrategy(w: WaitStrategy): WaitStrategy {
  const ok =
    w &&
    (w.kind === 'busy-spin' ||
      ((w.kind === 'blocking' || w.kind === 'async') && Number.isInteger(w.spins) && w.spins >= 0) ||
      (w.kind === 'yielding' && Number.isInteger(w.spins) && w.spins >= 0 && w.parkMs > 0));
  if (!ok) throw new RingError('BAD_CONFIG', `invalid wait strategy ${JSON.stringify(w)}`);
  return w;
}
