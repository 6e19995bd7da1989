// Intake opens once the pipeline can take orders: the poller reads nothing from its source until
// the matcher has rebuilt its books (snapshot and WAL replay) and the sink has opened its outputs.
// Orders read earlier would wait in the ring behind a worker still loading its code, their
// order-to-report latency counting that start-up, while the poller's reading competed with the
// loading for the machine's cores. Each of those stages sets its own control word once; the poller
// parks on the words in short slices, so that a stop request or a failing engine (a halted ring)
// ends the wait, and the whole wait is bounded.
import { parkAsync } from './park-async.js';
import { Control } from './shared.js';

/** What intake waits for: each stage's control word, and what being ready means. */
export const INTAKE_WAITS_FOR = [
  { stage: 'matcher', word: Control.matcherReady, ready: 'rebuilt its books' },
  { stage: 'sink', word: Control.sinkReady, ready: 'opened its outputs' },
] as const;

/** How long one park lasts before the stop request and the halt are looked at again. */
const SLICE_MS = 50;

/** A stage behind the poller says it is ready (`word`: its Control word). */
export function announceReady(control: Int32Array, word: number): void {
  Atomics.store(control, word, 1);
  Atomics.notify(control, word);
}

/** Why the wait ended: every stage ready, a stop requested first, or the engine halted. */
export type IntakeWait = 'open' | 'stop' | 'halted';

/**
 * Waits until every stage of INTAKE_WAITS_FOR is ready, `interrupted()` names a reason not to start
 * ('stop', 'halted'), or `timeoutMs` passes: then it throws, naming the stage that was not ready.
 */
export async function whenIntakeOpens(control: Int32Array, interrupted: () => IntakeWait | null, timeoutMs: number): Promise<IntakeWait> {
  const deadline = performance.now() + timeoutMs;
  for (const { stage, word, ready } of INTAKE_WAITS_FOR) {
    while (Atomics.load(control, word) === 0) {
      const reason = interrupted();
      if (reason !== null) return reason;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`intake never opened: the ${stage} had not ${ready} after ${Math.round(timeoutMs / 1000)}s`);
      await parkAsync(control, word, 0, Math.min(left, SLICE_MS));
    }
  }
  return 'open';
}
