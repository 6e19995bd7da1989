// The engine's live page (GET / on --metrics-port) in a real headless browser: Debian's Chromium
// driven by playwright-core. The page loads, shows the chosen symbol's ladder (asks above the
// bids, prices in order, never crossed) and its last trades, and keeps updating as orders flow.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI } from './cli-run.js';
import { freePort } from '@ringmatch/test-kit';

/** Debian's chromium (installed by .ci/run), or RINGMATCH_CHROMIUM. */
const executable = [process.env.RINGMATCH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && fs.existsSync(p));
if (!executable && process.env.RINGMATCH_EXPECT_BROWSER === '1') throw new Error('RINGMATCH_EXPECT_BROWSER=1 but no chromium binary was found');
if (!executable) process.stderr.write('\n!!! SKIPPING THE LIVE PAGE TEST: no chromium (apt-get install chromium, or set RINGMATCH_CHROMIUM) !!!\n\n');

const dirs: string[] = [];
const children: ChildProcess[] = [];
let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}, 30_000);

/** The ladder as the page shows it: side and price of each level row, top to bottom. */
async function ladder(page: Page): Promise<Array<{ side: string; price: number }>> {
  return page.$$eval('#ladder tbody tr.bid, #ladder tbody tr.ask', (rows) =>
    rows.map((r) => ({ side: r.className, price: Number((r.querySelector('td.price')?.textContent ?? '').replace(/,/g, '')) })),
  );
}

(executable ? describe : describe.skip)('live page in a headless browser', () => {
  it('shows the ladder and last trades of the chosen symbol and updates as orders flow', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-live-'));
    dirs.push(dataDir);
    const port = await freePort();
    const engine = spawn(
      process.execPath,
      [CLI, 'run', '--data-dir', dataDir, '--orders', '0', '--rate', '3000', '--metrics-port', String(port), '--progress-ms', '0'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(engine);
    let stderr = '';
    engine.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // The engine says when its port listens.
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('metrics on http://')) {
      if (engine.exitCode !== null || Date.now() > deadline) throw new Error(`engine did not start: ${stderr.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu'], timeout: 30_000 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/?symbol=SYM0006`, { timeout: 15_000 });
    await expect.poll(() => page.locator('#symbol option').count(), { timeout: 15_000 }).toBe(8);
    expect(await page.locator('#symbol').inputValue()).toBe('SYM0006');

    // The ladder fills: asks above the spread row, bids below, prices falling top to bottom.
    await expect.poll(async () => (await ladder(page)).filter((l) => l.side === 'bid').length, { timeout: 15_000 }).toBeGreaterThan(2);
    await expect.poll(async () => (await ladder(page)).filter((l) => l.side === 'ask').length, { timeout: 15_000 }).toBeGreaterThan(2);
    const rows = await ladder(page);
    const firstBid = rows.findIndex((r) => r.side === 'bid');
    expect(rows.slice(0, firstBid).every((r) => r.side === 'ask')).toBe(true);
    expect(rows.slice(firstBid).every((r) => r.side === 'bid')).toBe(true);
    const prices = rows.map((r) => r.price);
    expect([...prices].sort((a, b) => b - a)).toEqual(prices);
    expect(new Set(prices).size).toBe(prices.length); // strictly falling: never crossed
    await expect.poll(() => page.locator('#ladder tr.spread').textContent(), { timeout: 5_000 }).toMatch(/spread [\d,]+/);

    // Trades appear, and the view moves on as orders flow.
    await expect.poll(() => page.locator('#trades tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const asOf = async (): Promise<number> => Number(((await page.locator('#asof').textContent()) ?? '').replace(/\D/g, ''));
    const matched = async (): Promise<number> => Number(((await page.locator('#matched').textContent()) ?? '').replace(/\D/g, ''));
    const firstAsOf = await asOf();
    const firstMatched = await matched();
    await expect.poll(asOf, { timeout: 15_000 }).toBeGreaterThan(firstAsOf);
    await expect.poll(matched, { timeout: 15_000 }).toBeGreaterThan(firstMatched);
    await expect.poll(async () => Number(((await page.locator('#rate').textContent()) ?? '0').replace(/\D/g, '')), { timeout: 15_000 }).toBeGreaterThan(500);

    // Another symbol: the view follows the choice (the synthetic symbols trade in far apart price ranges).
    const bestBidOf = (symbol: string): Promise<number> =>
      page.evaluate(
        (s) =>
          fetch(`/book/${s}?levels=1`)
            .then((r) => r.json() as Promise<{ bids: Array<{ price: number }> }>)
            .then((b) => b.bids[0]?.price ?? 0),
        symbol,
      );
    const shownBestBid = async (): Promise<number> => (await ladder(page)).find((r) => r.side === 'bid')?.price ?? 0;
    const other = await bestBidOf('SYM0005');
    const before = await shownBestBid();
    expect(Math.max(other, before) / Math.min(other, before)).toBeGreaterThan(2);
    await page.selectOption('#symbol', 'SYM0005');
    await expect.poll(async () => Math.abs((await shownBestBid()) - (await bestBidOf('SYM0005'))) / other, { timeout: 15_000 }).toBeLessThan(0.2);
    expect(errors).toEqual([]);
    expect(await page.locator('#error').textContent()).toBe('');

    engine.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => engine.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    // The engine is gone: the page says so instead of freezing silently.
    await expect.poll(() => page.locator('#error').textContent(), { timeout: 10_000 }).toMatch(/engine unreachable/);
  }, 120_000);
});
