// Queries while the engine runs: GET /book/SYMBOL must be exact at the sequence it states. Each
// answer is checked, after the run, against the depth stream (book.ndjson) applied up to that
// sequence: an independent path to the same book. Also /symbols, /status and the mistakes.
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DepthLevel as Level,
  type DepthLine as Line,
  depthStreamBookAt as streamBookAt,
  freePort,
  httpGet,
  readLines,
  startCli,
  tempDirs,
  waitExit,
} from './helpers.js';

const dir = tempDirs();
type Book = { symbol: string; seq: number; bids: Level[]; asks: Level[] };
type Tape = { symbol: string; seq: number; trades: Array<{ seq: number; tradeId: number; price: number; qty: number; takerSide: string }> };

const children: ReturnType<typeof startCli>[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('queries while running', () => {
  it('GET /book/SYMBOL is exact at the sequence it states (checked against the depth stream); /symbols, /status', async () => {
    const d = dir();
    const port = await freePort();
    const child = startCli(['run', '--data-dir', d, '--orders', '0', '--rate', '20000', '--metrics-port', String(port), '--progress-ms', '0']);
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    const answers: Array<{ levels: number; book: Book }> = [];
    const tapes: Array<{ limit: number; tape: Tape }> = [];
    try {
      const deadline = Date.now() + 30_000;
      let status: { sequences: { matched: number; durable: number; published: number }; rates: { ordersPerSecond: number }; depthLevels: number } | null = null;
      for (;;) {
        if (Date.now() > deadline) throw new Error('the engine did not serve /status with orders flowing within 30 s');
        try {
          const r = await httpGet(`${base}/status`);
          status = JSON.parse(r.body) as typeof status;
          if (status!.sequences.matched > 3000) break;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status!.depthLevels).toBe(20);
      expect(status!.sequences.published).toBeGreaterThanOrEqual(status!.sequences.durable);
      expect(status!.sequences.durable).toBeGreaterThanOrEqual(status!.sequences.matched);
      const symbols = JSON.parse((await httpGet(`${base}/symbols`)).body) as Array<{ symbol: string; symbolId: number }>;
      expect(symbols.map((s) => s.symbol)).toEqual(['SYM0001', 'SYM0002', 'SYM0003', 'SYM0004', 'SYM0005', 'SYM0006', 'SYM0007', 'SYM0008']);
      // While orders flow: books of every symbol, at several depths.
      for (let i = 0; i < 60; i++) {
        const symbol = symbols[i % symbols.length]!.symbol;
        const levels = [1, 5, 20][i % 3]!;
        const r = await httpGet(`${base}/book/${symbol}?levels=${levels}`);
        expect(r.status, r.body).toBe(200);
        expect(r.type).toMatch(/application\/json/);
        expect(r.length).toBe(r.bytes); // every answer states its length (no chunked framing)
        answers.push({ levels, book: JSON.parse(r.body) as Book });
        const limit = [3, 32][i % 2]!;
        const t = await httpGet(`${base}/trades/${symbol}?limit=${limit}`);
        expect(t.status, t.body).toBe(200);
        tapes.push({ limit, tape: JSON.parse(t.body) as Tape });
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const later = JSON.parse((await httpGet(`${base}/status`)).body) as NonNullable<typeof status>;
      expect(later.sequences.matched).toBeGreaterThan(status!.sequences.matched);
      expect(later.rates.ordersPerSecond).toBeGreaterThan(1000);
      // Mistakes: one clear JSON error each.
      for (const [url, code, message] of [
        ['/book/NOPE', 404, /unknown symbol \\"NOPE\\"/],
        ['/book/SYM0001?levels=0', 400, /levels must be an integer from 1 to 20/],
        ['/book/SYM0001?levels=21', 400, /levels must be an integer from 1 to 20/],
        ['/book/SYM0001?levels=two', 400, /levels must be/],
        ['/trades/SYM0001?limit=33', 400, /limit must be an integer from 1 to 32/],
        ['/trades/NOPE', 404, /unknown symbol/],
        ['/book/%E0%A4%A', 400, /not valid percent-encoding/],
        ['/nothing', 404, /try \/metrics, \/status, \/symbols, \/book\/SYMBOL/],
      ] as const) {
        const r = await httpGet(`${base}${url}`);
        expect(r.status, url).toBe(code);
        expect(r.body, url).toMatch(message);
        expect(r.length, url).toBe(r.bytes);
      }
      const post = await httpGet(`${base}/status`, 'POST');
      expect(post.status).toBe(405);
      expect(post.length).toBe(post.bytes);
      for (const page of ['/', '/metrics', '/status', '/symbols']) {
        const r = await httpGet(`${base}${page}`);
        expect(r.status, page).toBe(200);
        expect(r.length, page).toBe(r.bytes);
      }
    } finally {
      child.kill('SIGTERM');
      expect((await waitExit(child, 30_000)).code).toBe(0);
    }
    const lines = readLines(path.join(d, 'book.ndjson')).map((l) => JSON.parse(l) as Line);
    let nonEmpty = 0;
    for (const { levels, book } of answers) {
      expect(book.seq).toBeGreaterThan(0);
      expect(book.bids.length).toBeLessThanOrEqual(levels);
      expect({ bids: book.bids, asks: book.asks }, `${book.symbol} at ${book.seq}`).toEqual(streamBookAt(lines, book.symbol, book.seq, levels));
      if (book.bids.length > 0 && book.asks.length > 0) {
        nonEmpty++;
        expect(book.bids[0]!.price).toBeLessThan(book.asks[0]!.price); // never a crossed book
      }
    }
    expect(nonEmpty).toBeGreaterThan(40);
    // Each tape: the symbol's last trades up to its sequence, newest first, as the trade log has them.
    type Logged = { seq: number; tradeId: number; symbol: string; price: number; qty: number; takerSide: string };
    const logged = readLines(path.join(d, 'trades.ndjson')).map((l) => JSON.parse(l) as Logged);
    let traded = 0;
    for (const { limit, tape } of tapes) {
      const want = logged
        .filter((t) => t.symbol === tape.symbol && t.seq <= tape.seq)
        .slice(-limit)
        .reverse()
        .map(({ seq, tradeId, price, qty, takerSide }) => ({ seq, tradeId, price, qty, takerSide }));
      expect(tape.trades, `${tape.symbol} at ${tape.seq}`).toEqual(want);
      if (want.length > 0) traded++;
    }
    expect(traded).toBeGreaterThan(40);
  }, 90_000);

  it('with --no-depth, /book says the depth stream is off', async () => {
    const d = dir();
    const port = await freePort();
    const child = startCli(['run', '--data-dir', d, '--orders', '0', '--rate', '2000', '--metrics-port', String(port), '--progress-ms', '0', '--no-depth']);
    children.push(child);
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await httpGet(`http://127.0.0.1:${port}/book/SYM0001`).catch(() => null);
        if (r) {
          expect(r.status).toBe(404);
          expect(r.body).toMatch(/the depth stream is off \(--no-depth\)/);
          break;
        }
        if (Date.now() > deadline) throw new Error('the engine did not listen within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill('SIGTERM');
      expect((await waitExit(child, 30_000)).code).toBe(0);
    }
    expect(readLines(path.join(d, 'book.ndjson'))).toEqual([]);
  }, 60_000);

  it('a stop is not held by open connections: one kept busy with back-to-back requests, one that never asks', async () => {
    const d = dir();
    const port = await freePort();
    const child = startCli(['run', '--data-dir', d, '--orders', '0', '--rate', '2000', '--metrics-port', String(port), '--progress-ms', '0']);
    children.push(child);
    const sockets: net.Socket[] = [];
    try {
      const deadline = Date.now() + 30_000;
      while (!(await httpGet(`http://127.0.0.1:${port}/status`).catch(() => null))) {
        if (Date.now() > deadline) throw new Error('the engine did not listen within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Like a browser: a kept-alive connection asking again as soon as each answer ends, and a preconnected one that is silent.
      const busy = net.connect(port, '127.0.0.1');
      const silent = net.connect(port, '127.0.0.1');
      sockets.push(busy, silent);
      let answers = 0;
      const ask = () => busy.write('GET /status HTTP/1.1\r\nHost: engine\r\n\r\n');
      busy.on('data', (chunk: Buffer) => {
        answers += chunk.toString('latin1').split('HTTP/1.1 ').length - 1;
        if (!busy.destroyed) ask();
      });
      busy.on('error', () => undefined);
      silent.on('error', () => undefined);
      ask();
      const asking = Date.now() + 10_000;
      while (answers < 20 && Date.now() < asking) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(answers).toBeGreaterThanOrEqual(20);
      child.kill('SIGTERM');
      expect((await waitExit(child, 15_000)).code).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
