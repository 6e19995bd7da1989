// Bench `engine-embedded:matcher` (bench/bare-matcher.ts) is only the limit of the engine if it
// does the engine's work: the same pregenerated orders, the same trades, encoded into exactly the
// bytes the engine's file sink writes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-run.js';
import { ExecStatus, Side, createReport, createTrade, encodeTradeJson, syntheticSymbolTable } from '@ringmatch/protocol';
import { TradeLines, sameBytesAsFile } from '../bench/trade-lines.js';
// The compiled runner: its worker is loaded from the file beside it.
import { runBareMatcher } from '../bench/dist/bare-matcher.js';
import { benchRunConfig } from '../bench/dist/engine-config.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bare-matcher-'));
  dirs.push(d);
  return d;
}

const text = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');

describe('bench TradeLines', () => {
  const symbols = syntheticSymbolTable(8);

  it('writes each trade as a file-sink line ("n" within its sequence, newline), across 1 MiB buffers', () => {
    const lines = new TradeLines(symbols);
    const expected: string[] = [];
    let n = 0;
    // 3 trades per sequence, enough lines (about 250 bytes each) to fill several buffers.
    for (let i = 0; i < 15_000; i++) {
      const seq = 1 + Math.floor(i / 3);
      const trade = createTrade({
        seq,
        timestamp: 1_700_000_000_000 + i,
        tradeId: i + 1,
        symbolId: i % 8,
        price: 100 + i,
        qty: 1 + (i % 7),
        takerSide: Side.Sell,
      });
      lines.onTrade(trade);
      n = i % 3;
      expected.push(`{"n":${n},${encodeTradeJson(trade, symbols).slice(1)}\n`);
    }
    const chunks = lines.chunks();
    expect(chunks.length).toBeGreaterThan(2);
    expect(text(chunks)).toBe(expected.join(''));
    expect(lines.byteLength).toBe(Buffer.byteLength(expected.join('')));
    expect(lines.trades).toBe(15_000);
  });

  it('counts reports (and rejections) without writing them', () => {
    const lines = new TradeLines(symbols);
    lines.onReport(createReport({ seq: 1 }));
    lines.onReport(createReport({ seq: 2, status: ExecStatus.Rejected }));
    expect([lines.reports, lines.rejected, lines.byteLength]).toEqual([2, 1, 0]);
  });

  it('compares buffers with a file byte for byte', () => {
    const file = path.join(tempDir(), 'lines');
    const bytes = Buffer.from(`${'a'.repeat(3 << 20)}xyz\n`);
    fs.writeFileSync(file, bytes);
    const split = [bytes.subarray(0, 1000), bytes.subarray(1000, 2_500_000), bytes.subarray(2_500_000)];
    expect(sameBytesAsFile(split, file)).toBe(true);
    expect(sameBytesAsFile([bytes.subarray(0, bytes.length - 1)], file)).toBe(false);
    const changed = Buffer.from(bytes);
    changed[2_000_000] = 0x62;
    expect(sameBytesAsFile([changed], file)).toBe(false);
  });
});

describe('bench bare matcher', () => {
  it('matches the pregenerated stream into exactly the trades file of the engine run it mirrors', async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--data-dir', dir, '--orders', '20000', '--pregenerate', '--progress-ms', '0'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const bare = await runBareMatcher(benchRunConfig(path.join(tempDir(), 'unused'), ['--orders', '20000', '--pregenerate']));
    const file = path.join(dir, 'trades.ndjson');
    const ringLines = fs.readFileSync(file, 'utf8').split('\n').length - 1;
    expect(ringLines).toBeGreaterThan(100);
    expect(bare.orders).toBe(20000);
    expect(bare.trades).toBe(ringLines);
    expect(bare.reports).toBeGreaterThan(20000);
    expect(sameBytesAsFile(bare.chunks, file)).toBe(true);
  }, 60_000);
});
