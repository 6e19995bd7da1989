// The `ringmatch` command: run | replay | inspect | repair | book. Bad flags exit 2 with a message; an
// operator's or the disk's fault prints one line (file, sequence, way out) and exits 1 or 2; a
// stack trace only with --debug or RINGMATCH_DEBUG=1.
import { USAGE, UsageError, parseCommandLine, type Command } from './config.js';
import { Engine } from './engine.js';
import { refusingFaults } from './fault.js';
import { Refusal } from './refusal.js';
import { runInspect, runReplay } from './replay.js';
import { onStopSignal, signalExitCode } from './signals.js';

const argv = process.argv.slice(2);
const debug = process.env.RINGMATCH_DEBUG === '1' || argv.includes('--debug');
const out = (line: string): void => void process.stdout.write(`${line}\n`);
// `ringmatch replay --trades | head`: a closed pipe ends the output quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ringmatch: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (command.command !== 'run') onStopSignal((signal) => process.exit(signalExitCode(signal)));
  switch (command.command) {
    case 'help':
      out(USAGE);
      return 0;
    case 'replay': {
      const { config } = command;
      refusingFaults(config.dataDir, () => runReplay(config, out));
      return 0;
    }
    case 'inspect': {
      const { config } = command;
      return refusingFaults(config.dataDir, () => runInspect(config, out));
    }
    case 'repair': {
      const { config } = command;
      const { runRepair } = await import('./repair.js'); // loaded only for this rarely used command
      refusingFaults(config.dataDir, () => runRepair(config, out));
      return 0;
    }
    case 'book': {
      const { config } = command;
      const { runBookQuery } = await import('./book-query.js');
      refusingFaults(config.dataDir, () => runBookQuery(config, out));
      return 0;
    }
    case 'run':
      return await run(command.config);
  }
}

async function run(config: Extract<Command, { command: 'run' }>['config']): Promise<number> {
  const engine = new Engine(config);
  onStopSignal((signal) => {
    process.stderr.write(`\n[ringmatch] ${signal}: stopping the source, draining, syncing and snapshotting\n`);
    engine.stop(signal);
  });
  try {
    const summary = await engine.run();
    out(JSON.stringify({ type: 'summary', ...summary }));
    process.stderr.write(
      `[ringmatch] ${summary.stoppedBy}: ${summary.orders} orders in ${summary.seconds}s (${summary.ordersPerSecond} orders/s, durable before matching), ` +
        `${summary.trades} trades, ${summary.rejected} rejected; order-to-report p50 ${summary.latencyP50Us ?? '-'} us, p99 ${summary.latencyP99Us ?? '-'} us; ` +
        `WAL ${summary.walBackend}: ${summary.walBatches} group commits (avg ${summary.walAvgBatch} records), sync p99 ${summary.walSyncP99Us ?? '-'} us\n` +
        `[ringmatch] trades: ${summary.tradesFile}${summary.reportsFile ? `, reports: ${summary.reportsFile}` : ''}${summary.bookFile ? `, depth: ${summary.bookFile}` : ''}\n`,
    );
    return summary.invariantViolations === 0 ? 0 : 1;
  } catch (error) {
    return error instanceof Refusal ? error.exitCode : 1; // the engine already said why, loudly
  }
}

/** The one line for an error that escaped a command (replay, inspect, repair, or start-up). */
function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`ringmatch: ${error.message}\n`);
    return 2;
  }
  if (error instanceof Refusal) process.stderr.write(`ringmatch: ${error.message}\n`);
  else
    process.stderr.write(`ringmatch: internal error: ${(error as Error)?.message ?? String(error)}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
  if (debug) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  return error instanceof Refusal ? error.exitCode : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; if a stray handle (a client library's socket) kept the process
    // alive, exit anyway rather than hang.
    setTimeout(() => process.exit(code), 5000).unref();
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
