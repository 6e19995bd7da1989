// Crash-recovery checker shared by the test suite (20+ runs in CI) and the soak script
// (scripts/crash-soak.mjs, as many runs as you like): SIGKILL the engine at random moments,
// restart it on the same data dir, and require the final trade log to equal an uninterrupted run's,
// and the depth stream to agree with the uninterrupted run's (depth-agreement.ts) and to equal, byte
// for byte, what an offline replay of the run's own WAL publishes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { depthDisagreement } from './depth-agreement.js';
import { prng } from './prng.js';

export interface CrashCheckOptions {
  /** Path of the engine's compiled CLI (packages/engine/dist/cli.js), passed in so the kit does not reach into the engine. */
  cli: string;
  runs: number;
  /** Orders per run (embedded generator). */
  orders: number;
  /** Orders/s, so that a run lasts long enough to be killed in the middle. */
  rate: number;
  /** Seed of the kill schedule (print it; a failure reproduces with it). */
  seed: number;
  /** Extra `ringmatch run` flags (e.g. --wal native). */
  extraArgs?: string[];
  log?(line: string): void;
  /** Bound on each process (ms). */
  processTimeoutMs?: number;
}

export interface CrashCheckResult {
  runs: number;
  kills: number;
  /** Kills that landed while orders were flowing (not before start-up or after the end). */
  killsMidStream: number;
  /** Kills the engine dealt itself while writing a snapshot, and with output lines written but not yet fdatasync'ed. */
  killsAtSnapshotWrite: number;
  killsAtOutputSync: number;
  failures: string[];
}

function outputLines(dataDir: string, name: string): string[] {
  const file = path.join(dataDir, name);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** A data dir's book.ndjson without the output index "n": the lines as the engine published them. */
function depthBodies(dataDir: string): string[] {
  return outputLines(dataDir, 'book.ndjson').map((line) => line.replace(/^\{"n":\d+,/, '{'));
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  matchedAtKill: number;
}

/**
 * Runs the engine; if `killAt` is given, SIGKILLs it `killAt.delayMs` after the trigger: spawn
 * ('start') or the first progress line showing matched orders ('flowing').
 */
function runEngine(
  cli: string,
  args: string[],
  timeoutMs: number,
  killAt?: { trigger: 'start' | 'flowing'; delayMs: number } | { crashAt: string },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const env = killAt && 'crashAt' in killAt ? { ...process.env, RINGMATCH_TEST_CRASH_AT: killAt.crashAt } : process.env;
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let matched = 0;
    let killTimer: NodeJS.Timeout | null = null;
    const arm = (): void => {
      if (killAt && 'delayMs' in killAt && !killTimer) killTimer = setTimeout(() => child.kill('SIGKILL'), killAt.delayMs);
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      for (const m of text.matchAll(/matched=(\d+)/g)) matched = Number(m[1]);
      if (killAt && 'trigger' in killAt && killAt.trigger === 'flowing' && matched > 0) arm();
    });
    if (killAt && 'trigger' in killAt && killAt.trigger === 'start') arm();
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, stdout, stderr, matchedAtKill: matched });
    });
  });
}

export async function crashCheck(options: CrashCheckOptions): Promise<CrashCheckResult> {
  const log = options.log ?? (() => undefined);
  const timeout = options.processTimeoutMs ?? 60_000;
  const random = prng(options.seed);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-crash-'));
  const common = [
    'run',
    '--orders',
    String(options.orders),
    '--rate',
    String(options.rate),
    '--progress-ms',
    '50',
    '--ring-size',
    '4096',
    '--snapshot-every',
    String(Math.max(1000, Math.floor(options.orders / 4))),
    ...(options.extraArgs ?? []),
  ];
  const result: CrashCheckResult = { runs: 0, kills: 0, killsMidStream: 0, killsAtSnapshotWrite: 0, killsAtOutputSync: 0, failures: [] };
  try {
    const referenceDir = path.join(root, 'reference');
    const reference = await runEngine(options.cli, [...common, '--data-dir', referenceDir], timeout);
    if (reference.code !== 0) throw new Error(`reference run failed (${reference.code ?? reference.signal}): ${reference.stderr.slice(-2000)}`);
    const expectedTrades = outputLines(referenceDir, 'trades.ndjson');
    const expectedDepth = depthBodies(referenceDir);
    if (expectedTrades.length === 0) throw new Error('reference run produced no trades');
    for (let run = 0; run < options.runs; run++) {
      const dataDir = path.join(root, `run-${run}`);
      const kills = run % 3 === 2 ? 2 : 1;
      const where: string[] = [];
      for (let k = 0; k < kills; k++) {
        // Mostly at random moments while orders flow; one run in five during start-up / recovery;
        // some first kills at exact points: in the middle of a snapshot write, or with output
        // lines written but not yet fdatasync'ed (the engine SIGKILLs itself there).
        const exact =
          k === 0 && run % 4 === 1
            ? `snapshot-write:${1 + Math.floor(random() * 3)}`
            : k === 0 && run % 4 === 3
              ? `output-sync:${1 + Math.floor(random() * 3)}`
              : null;
        const trigger = run % 5 === 4 && k === 0 ? 'start' : 'flowing';
        const delayMs = Math.floor(random() * (trigger === 'start' ? 400 : (1000 * options.orders) / options.rate));
        const outcome = await runEngine(options.cli, [...common, '--data-dir', dataDir], timeout, exact ? { crashAt: exact } : { trigger, delayMs });
        result.kills++;
        if (outcome.signal === 'SIGKILL' && outcome.matchedAtKill > 0) result.killsMidStream++;
        if (outcome.signal === 'SIGKILL' && exact?.startsWith('snapshot-write')) result.killsAtSnapshotWrite++;
        if (outcome.signal === 'SIGKILL' && exact?.startsWith('output-sync')) result.killsAtOutputSync++;
        where.push(`${exact ?? `${trigger}+${delayMs}ms`}(matched ${outcome.matchedAtKill}, ${outcome.signal ?? `exit ${outcome.code}`})`);
        if (outcome.signal !== 'SIGKILL' && outcome.code !== 0) {
          result.failures.push(`run ${run}: engine failed before the kill: ${outcome.stderr.slice(-1500)}`);
        }
      }
      const final = await runEngine(options.cli, [...common, '--data-dir', dataDir], timeout);
      result.runs++;
      if (final.code !== 0) {
        result.failures.push(`run ${run} (${where.join(', ')}): restart failed (${final.code ?? final.signal}): ${final.stderr.slice(-1500)}`);
        continue;
      }
      const summary = JSON.parse(final.stdout.split('\n').find((l) => l.startsWith('{"type":"summary"')) ?? '{}') as { invariantViolations?: number };
      if (summary.invariantViolations !== 0) result.failures.push(`run ${run}: invariant violations ${summary.invariantViolations}`);
      const trades = outputLines(dataDir, 'trades.ndjson');
      const depth = depthBodies(dataDir);
      const sizes = `${trades.length} trades, ${depth.length} depth lines`;
      const problems: string[] = [];
      if (trades.length !== expectedTrades.length || trades.some((line, i) => line !== expectedTrades[i])) {
        const firstDiff = trades.findIndex((line, i) => line !== expectedTrades[i]);
        problems.push(`trades.ndjson differs: ${trades.length} lines vs ${expectedTrades.length}, first difference at line ${firstDiff}`);
      }
      const disagreement = depthDisagreement(depth, expectedDepth);
      if (disagreement !== null) problems.push(`book.ndjson disagrees with the uninterrupted run's: ${disagreement}`);
      const replay = await runEngine(options.cli, ['replay', '--data-dir', dataDir, '--depth', '--from-start'], timeout);
      const replayed = replay.stdout.split('\n').filter((l) => l.length > 0);
      if (replay.code !== 0) problems.push(`replay --depth failed (${replay.code ?? replay.signal}): ${replay.stderr.slice(-500)}`);
      else if (replayed.length !== depth.length || replayed.some((line, i) => line !== depth[i])) {
        const firstDiff = replayed.findIndex((line, i) => line !== depth[i]);
        problems.push(
          `book.ndjson is not what a replay of its WAL publishes: ${depth.length} lines vs ${replayed.length}, first difference at line ${firstDiff}`,
        );
      }
      for (const problem of problems) result.failures.push(`run ${run} (${where.join(', ')}): ${problem}`);
      log(`crash run ${run}: ${where.join(', ')} -> ${sizes} ${problems.length ? '' : 'identical'}`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return result;
}
