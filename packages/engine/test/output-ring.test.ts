// The matcher writes outputs straight into claimed output-ring slots and publishes a batch at
// once (ring-output-writer.ts). A single command can make more outputs than the output ring has
// slots: the writer must publish what it wrote and wait for the sink, not deadlock or drop any.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLines, runCli, summaryOf, tempDirs } from './helpers.js';

const dir = tempDirs();
/** More than the output ring's 65,536 slots in trades alone, from one command. */
const MAKERS = 70_000;

describe('outputs straight into the output ring', () => {
  it('one market order filling 70,000 resting orders: every trade and report reaches the files, in order', async () => {
    const d = dir();
    const file = path.join(d, 'orders.ndjson');
    const lines: string[] = [];
    for (let i = 1; i <= MAKERS; i++)
      lines.push(`{"op":"new","symbol":"AAPL","orderId":${i},"account":${1 + (i % 900)},"side":"sell","type":"limit","price":19000,"qty":1}`);
    lines.push(`{"op":"new","symbol":"AAPL","orderId":${MAKERS + 1},"account":5000,"side":"buy","type":"market","qty":${MAKERS}}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const data = path.join(d, 'data');
    const r = await runCli(['run', '--progress-ms', '0', '--snapshot-every', '0', '--data-dir', data, '--source', `ndjson:${file}`, '--reports'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.trades).toBe(MAKERS);
    const trades = readLines(path.join(data, 'trades.ndjson')).map((l) => JSON.parse(l) as { makerOrderId: number; takerOrderId: number; n: number });
    expect(trades).toHaveLength(MAKERS);
    // Price-time order, each maker once, numbered 0.. within the taker's sequence.
    trades.forEach((t, i) => {
      expect([t.makerOrderId, t.takerOrderId, t.n]).toEqual([i + 1, MAKERS + 1, i]);
    });
    const reports = readLines(path.join(data, 'reports.ndjson')).map((l) => JSON.parse(l) as { orderId: number; status: string });
    // Each maker: accepted, then filled; the taker: accepted, then partial fills up to its final fill.
    expect(reports.filter((x) => x.status === 'filled' && x.orderId <= MAKERS)).toHaveLength(MAKERS);
    expect(reports.filter((x) => x.orderId === MAKERS + 1).at(-1)?.status).toBe('filled');
    expect(reports.length).toBeGreaterThan(65_536 + MAKERS);
  }, 180_000);
});
