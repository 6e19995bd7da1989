// SIGINT/SIGTERM are caught from the process's first instruction: start-up (loading modules,
// recovering the WAL) takes a moment, and a SIGTERM then must stop the engine cleanly, not kill it
// mid-recovery. A signal that arrives before anyone listens is kept and handed over later; a
// second signal exits at once.
let listener: ((signal: NodeJS.Signals) => void) | null = null;
const pending: NodeJS.Signals[] = [];
let received = 0;

function onSignal(signal: NodeJS.Signals): void {
  if (++received > 1) {
    process.stderr.write(`\n[ringmatch] second ${signal}: exiting without draining\n`);
    process.exit(130);
  }
  if (listener) listener(signal);
  else pending.push(signal);
}

export function catchStopSignals(): void {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Routes stop signals to `handler`, first any that arrived before. */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): void {
  listener = handler;
  for (const signal of pending.splice(0)) handler(signal);
}

/** Exit code of a process ended by `signal` (as a shell reports it). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}
