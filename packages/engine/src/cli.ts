#!/usr/bin/env node
// The `ringmatch` command: run | replay | inspect. Bad flags exit 2 with a message; a failed run
// exits 1 with the failing worker, its error and the last sequences.
import { USAGE, UsageError, parseCommandLine, type Command } from './config.js';
import { checkOrWriteMeta } from './datadir.js';
import { Engine } from './engine.js';
import { runInspect, runReplay } from './replay.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
// `ringmatch replay --trades | head`: a closed pipe ends the output quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function main(argv: string[]): Promise<number> {
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
  try {
    switch (command.command) {
      case 'help':
        out(USAGE);
        return 0;
      case 'replay':
        runReplay(command.config, out);
        return 0;
      case 'inspect':
        runInspect(command.config, out);
        return 0;
      case 'run':
        return await run(command.config);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ringmatch: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function run(config: Extract<Command, { command: 'run' }>['config']): Promise<number> {
  if (config.fresh) {
    const { rmSync } = await import('node:fs');
    rmSync(config.dataDir, { recursive: true, force: true });
    config = { ...config, fresh: false };
  }
  checkOrWriteMeta(config.dataDir, config.source);
  const engine = new Engine(config);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      process.stderr.write(`\n[ringmatch] second ${signal}: exiting without draining\n`);
      process.exit(130);
    }
    process.stderr.write(`\n[ringmatch] ${signal}: stopping the source, draining, syncing and snapshotting\n`);
    engine.stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await engine.run();
    out(JSON.stringify({ type: 'summary', ...summary }));
    process.stderr.write(
      `[ringmatch] ${summary.stoppedBy}: ${summary.orders} orders in ${summary.seconds}s (${summary.ordersPerSecond} orders/s, durable before matching), ` +
        `${summary.trades} trades, ${summary.rejected} rejected; order-to-report p50 ${summary.latencyP50Us ?? '-'} us, p99 ${summary.latencyP99Us ?? '-'} us; ` +
        `WAL ${summary.walBackend}: ${summary.walBatches} group commits (avg ${summary.walAvgBatch} records), sync p99 ${summary.walSyncP99Us ?? '-'} us\n` +
        `[ringmatch] trades: ${summary.tradesFile}${summary.reportsFile ? `, reports: ${summary.reportsFile}` : ''}\n`,
    );
    return summary.invariantViolations === 0 ? 0 : 1;
  } catch {
    return 1; // the engine already logged the failure loudly
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; if a stray handle (a client library's socket) kept the process
    // alive, exit anyway rather than hang.
    setTimeout(() => process.exit(code), 5000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`ringmatch: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
