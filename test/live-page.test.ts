// The engine's live page (GET / on --metrics-port) in a real headless browser: Debian's Chromium
// driven by playwright-core (--disable-dev-shm-usage: a container's /dev/shm may be 64 MB, too
// small for its renderer). The page loads, shows the chosen symbol's ladder (asks above the
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

/**
 * Every step has its own bound (ms, in the order the test takes them) and name, and the test's
 * timeout is derived from their sum: on a loaded machine a failure says which step ran out of time
 * (with the engine's stderr), never only that the test did.
 */
const STEP_MS = {
  'engine start': 30_000,
  'browser start': 30_000,
  'page load': 15_000,
  'symbol list': 15_000,
  ladder: 40_000,
  'spread row': 5_000,
  trades: 15_000,
  'the view moves on': 45_000,
  'another symbol': 20_000,
  'engine stop (SIGTERM)': 15_000,
  'page reports the engine gone': 15_000,
} as const;
const STEP_BOUNDS_MS = Object.values(STEP_MS).reduce((sum, ms) => sum + ms, 0);
const steps: string[] = [];
async function step<T>(name: keyof typeof STEP_MS, run: () => Promise<T>): Promise<T> {
  const ms = STEP_MS[name];
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`step "${name}" did not finish in ${ms} ms (steps done: ${steps.join(', ')})`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    steps.push(`${name} ${Date.now() - started} ms`);
  }
}

/** The ladder as the page shows it: side and price of each level row, top to bottom. */
async function ladder(page: Page): Promise<Array<{ side: string; price: number }>> {
  return page.$$eval('#ladder tbody tr.bid, #ladder tbody tr.ask', (rows) =>
    rows.map((r) => ({ side: r.className, price: Number((r.querySelector('td.price')?.textContent ?? '').replace(/,/g, '')) })),
  );
}

(executable ? describe : describe.skip)('live page in a headless browser', () => {
  it(
    'shows the ladder and last trades of the chosen symbol and updates as orders flow',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-live-'));
      dirs.push(dataDir);
      const port = await freePort();
      const engine = spawn(
        process.execPath,
        [CLI, 'run', '--data-dir', dataDir, '--orders', '0', '--rate', '3000', '--metrics-port', String(port), '--progress-ms', '0'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.push(engine);
      let stderr = '';
      engine.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => engine.once('exit', (code) => resolve(code)));
      try {
        // The engine says when its port listens.
        await step('engine start', () =>
          Promise.race([
            waitForText(() => stderr, 'metrics on http://', 29_000),
            exited.then((code) => Promise.reject(new Error(`the engine exited (${code})`))),
          ]),
        );
        const page = await step('browser start', async () => {
          browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 25_000 });
          return browser.newPage();
        });
        page.setDefaultTimeout(10_000);
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await step('page load', () => page.goto(`http://127.0.0.1:${port}/?symbol=SYM0006`, { timeout: 14_000 }));
        await step('symbol list', async () => {
          await expect.poll(() => page.locator('#symbol option').count(), { timeout: 14_000 }).toBe(8);
          expect(await page.locator('#symbol').inputValue()).toBe('SYM0006');
        });

        // The ladder fills: asks above the spread row, bids below, prices falling top to bottom.
        await step('ladder', async () => {
          await expect.poll(async () => (await ladder(page)).filter((l) => l.side === 'bid').length, { timeout: 15_000 }).toBeGreaterThan(2);
          await expect.poll(async () => (await ladder(page)).filter((l) => l.side === 'ask').length, { timeout: 15_000 }).toBeGreaterThan(2);
          const rows = await ladder(page);
          const firstBid = rows.findIndex((r) => r.side === 'bid');
          expect(rows.slice(0, firstBid).every((r) => r.side === 'ask')).toBe(true);
          expect(rows.slice(firstBid).every((r) => r.side === 'bid')).toBe(true);
          const prices = rows.map((r) => r.price);
          expect([...prices].sort((a, b) => b - a)).toEqual(prices);
          expect(new Set(prices).size).toBe(prices.length); // strictly falling: never crossed
        });
        await step('spread row', () => expect.poll(() => page.locator('#ladder tr.spread').textContent(), { timeout: 4_500 }).toMatch(/spread [\d,]+/));

        // Trades appear, and the view moves on as orders flow.
        await step('trades', () => expect.poll(() => page.locator('#trades tbody tr').count(), { timeout: 14_000 }).toBeGreaterThan(0));
        const number = async (selector: string): Promise<number> => Number(((await page.locator(selector).textContent()) ?? '').replace(/\D/g, ''));
        await step('the view moves on', async () => {
          const firstAsOf = await number('#asof');
          const firstMatched = await number('#matched');
          await expect.poll(() => number('#asof'), { timeout: 14_000 }).toBeGreaterThan(firstAsOf);
          await expect.poll(() => number('#matched'), { timeout: 14_000 }).toBeGreaterThan(firstMatched);
          await expect.poll(() => number('#rate'), { timeout: 14_000 }).toBeGreaterThan(500);
        });

        // Another symbol: the view follows the choice (the synthetic symbols trade in far apart price ranges).
        await step('another symbol', async () => {
          const bestBidOf = (symbol: string): Promise<number> =>
            page.evaluate(
              (s) =>
                fetch(`/book/${s}?levels=1`, { signal: AbortSignal.timeout(5_000) })
                  .then((r) => r.json() as Promise<{ bids: Array<{ price: number }> }>)
                  .then((b) => b.bids[0]?.price ?? 0),
              symbol,
            );
          const shownBestBid = async (): Promise<number> => (await ladder(page)).find((r) => r.side === 'bid')?.price ?? 0;
          const other = await bestBidOf('SYM0005');
          const before = await shownBestBid();
          expect(Math.max(other, before) / Math.min(other, before)).toBeGreaterThan(2);
          await page.selectOption('#symbol', 'SYM0005');
          await expect.poll(async () => Math.abs((await shownBestBid()) - (await bestBidOf('SYM0005'))) / other, { timeout: 14_000 }).toBeLessThan(0.2);
          expect(errors).toEqual([]);
          expect(await page.locator('#error').textContent()).toBe('');
        });

        await step('engine stop (SIGTERM)', async () => {
          engine.kill('SIGTERM');
          expect(await exited).toBe(0);
        });
        // The engine is gone: the page says so instead of freezing silently.
        await step('page reports the engine gone', () =>
          expect.poll(() => page.locator('#error').textContent(), { timeout: 14_000 }).toMatch(/engine unreachable/),
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\nengine stderr:\n${stderr.slice(-2000)}`, { cause: error });
      }
    },
    STEP_BOUNDS_MS + 10_000,
  );
});

/** Resolves once `text()` contains `wanted`, checked every 50 ms for at most `ms`. */
async function waitForText(text: () => string, wanted: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!text().includes(wanted)) {
    if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(wanted)} in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
