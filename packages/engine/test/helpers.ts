import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { replayDataDir } from '@ringmatch/engine';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export function tempDir(prefix = 'ringmatch-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A maker of temp dirs that are all removed after the test file's last test. */
export function tempDirs(prefix?: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = tempDir(prefix);
    made.push(d);
    return d;
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (bounded by timeoutMs, then SIGKILL and a failed result). */
export function runCli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function waitExit(child: ChildProcess, timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

export function summaryOf(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.startsWith('{"type":"summary"'));
  if (!line) throw new Error(`no summary line in output:\n${stdout}`);
  return JSON.parse(line) as Record<string, unknown>;
}

export function readLines(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** Resolves once the child's progress lines report more than `matched` orders matched (bounded). */
export function waitForMatched(child: ChildProcess, matched: number, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fewer than ${matched} orders matched within ${timeoutMs} ms`)), timeoutMs);
    child.stderr!.on('data', (b: Buffer) => {
      const m = /matched=(\d+)/.exec(b.toString());
      if (m && Number(m[1]) > matched) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Trade lines of a data dir without the per-file output index, i.e. as the books emitted them. */
export function tradeBodies(dataDir: string): string[] {
  return readLines(path.join(dataDir, 'trades.ndjson')).map((line) => line.replace(/^\{"n":\d+,/, '{'));
}

/** The depth stream (book.ndjson without "n") of a data dir. */
export function depthBodies(dataDir: string): string[] {
  return readLines(path.join(dataDir, 'book.ndjson')).map((line) => line.replace(/^\{"n":\d+,/, '{'));
}

/** The depth stream an offline replay of the data dir's whole WAL gives, with the run's default depth settings. */
export function replayedDepth(dataDir: string, depth = { levels: 20, snapshotEvery: 10_000 }): string[] {
  const lines: string[] = [];
  replayDataDir(dataDir, undefined, true, { ...depth, onLine: (line) => lines.push(line) });
  return lines;
}

/** The trade log an offline replay of the data dir's whole WAL gives. */
export function replayedTrades(dataDir: string): string[] {
  const trades: string[] = [];
  replayDataDir(dataDir, (line) => trades.push(line), true);
  return trades;
}

export { freePort } from '@ringmatch/test-kit';

/** One HTTP request (5 s bound): status, body and content type. */
/** One request; `length` is the answer's Content-Length header (null without one), `bytes` what came. */
export function httpGet(url: string, method = 'GET'): Promise<{ status: number; body: string; type: string; length: number | null; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const length = res.headers['content-length'];
        resolve({
          status: res.statusCode ?? 0,
          body: bytes.toString(),
          type: String(res.headers['content-type'] ?? ''),
          length: length === undefined ? null : Number(length),
          bytes: bytes.length,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export type DepthLevel = { price: number; qty: number; orders: number };
/** A line of book.ndjson (the fields the readers below use). */
export type DepthLine = { type: string; seq: number; symbol: string; side?: string; price?: number; qty?: number; orders?: number };

/** A symbol's top `levels` at sequence `at`, from the depth stream alone (what a market data reader holds). */
export function depthStreamBookAt(
  lines: DepthLine[],
  symbol: string,
  at: number,
  levels = Number.POSITIVE_INFINITY,
): { bids: DepthLevel[]; asks: DepthLevel[] } {
  const sides = { buy: new Map<number, DepthLevel>(), sell: new Map<number, DepthLevel>() };
  for (const l of lines) {
    if (l.seq > at) break;
    if (l.symbol !== symbol) continue;
    if (l.type === 'snapshot') {
      sides.buy.clear();
      sides.sell.clear();
    } else if (l.qty === 0) sides[l.side as 'buy'].delete(l.price!);
    else sides[l.side as 'buy'].set(l.price!, { price: l.price!, qty: l.qty!, orders: l.orders! });
  }
  return {
    bids: [...sides.buy.values()].sort((a, b) => b.price - a.price).slice(0, levels),
    asks: [...sides.sell.values()].sort((a, b) => a.price - b.price).slice(0, levels),
  };
}
