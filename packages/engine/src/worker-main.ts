// The one way a worker fails: its body throws (a handler's error, handed back by the ring's
// processor, included), the supervisor gets one `fatal` message with the stack and the plain facts
// of an operator's or the disk's fault, and the worker ends with exit code 1. The supervisor then
// halts every ring and stops the engine.
import { parentPort } from 'node:worker_threads';
import type { RunOptions, RunResult } from '@ringmatch/ring';
import { faultFacts } from './fault.js';
import { failurePoint } from './test-hooks.js';

export function runWorker(name: string, body: () => void | Promise<void>, context: () => Record<string, unknown> = () => ({})): void {
  const fail = (error: unknown): void => {
    parentPort?.postMessage({ type: 'fatal', error: (error as Error)?.stack ?? String(error), fault: faultFacts(error), ...context() });
    process.exitCode = 1;
  };
  try {
    failurePoint(name);
    const done = body();
    if (done) done.catch(fail);
  } catch (error) {
    fail(error);
  }
}

/**
 * Run options for a stage's processor that keep the handler's own error (the ring records only its
 * text), and `outcome` that rethrows it when the processor stopped on it.
 */
export function processorPolicy(options: RunOptions = {}): { options: RunOptions; outcome(result: RunResult): RunResult } {
  let cause: unknown = null;
  return {
    options: { ...options, onError: (_record, error) => (cause ??= error) },
    outcome(result) {
      if (result.status === 'error') throw cause ?? new Error(result.error?.message ?? 'handler failed');
      return result;
    },
  };
}
