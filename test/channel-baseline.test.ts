// The channel baseline (bench/channel) is only worth measuring against if it does the same work:
// for the same input it must write exactly the ring engine's trade log.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// The compiled baseline: its workers and piscina task are loaded from files beside it.
import { runChannelEngine } from '../bench/dist/channel/run.js';

const CLI = fileURLToPath(new URL('../packages/engine/dist/cli.js', import.meta.url));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-channel-'));
  dirs.push(d);
  return d;
}

/** Runs `ringmatch` to completion (SIGKILLed after timeoutMs). */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

function readLines(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

describe('channel baseline', () => {
  it('produces exactly the trades of the ring engine for the same input', async () => {
    const ringDir = tempDir();
    const channelDir = tempDir();
    const r = await runCli(['run', '--data-dir', ringDir, '--orders', '20000', '--progress-ms', '0'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const channel = await runChannelEngine({ dataDir: channelDir, orders: 20000, seed: 1, symbols: 8, accounts: 1000, backend: 'fs', timeoutMs: 60_000 });
    const ringTrades = readLines(path.join(ringDir, 'trades.ndjson'));
    expect(ringTrades.length).toBeGreaterThan(100);
    expect(channel.trades).toBe(ringTrades.length);
    expect(readLines(channel.tradesFile)).toEqual(ringTrades);
  }, 60_000);
});
