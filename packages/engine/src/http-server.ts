// The engine's HTTP port (--metrics-port, on 127.0.0.1): Prometheus text at /metrics, and JSON
// while running: /book/SYMBOL?levels=N (the symbol's top N from the shared depth view, exact at
// the sequence it states: reading it never stalls the matcher), /trades/SYMBOL?limit=N (its last
// trades), /symbols and /status (sequences, lags, rates); and at / the live page that shows them
// (live/index.html, one static file).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SymbolTable } from '@ringmatch/protocol';
import type { DepthView } from './depth-view.js';
import type { EngineMetrics, PipelinePositions } from './metrics.js';
import { TAPE_TRADES, type TradeTape } from './trade-tape.js';

export interface EngineStatus {
  /** Highest sequence reached by each stage. */
  sequences: PipelinePositions;
  /** Sequences between stages. */
  lags: { durable: number; match: number; outputs: number };
  /** Matched commands per second over about the last second, and since the run started. */
  rates: { ordersPerSecond: number; ordersPerSecondSinceStart: number };
  trades: number;
  rejected: number;
  depthLevels: number | null;
  uptimeSeconds: number;
}

export interface HttpSources {
  metrics: EngineMetrics;
  symbols: SymbolTable;
  /** null with --no-depth: /book answers 404 with the reason. */
  depth: DepthView | null;
  tape: TradeTape;
  status(): EngineStatus;
}

/** The page, beside dist/ in the package (read per request: it is small and rarely asked for). */
const LIVE_PAGE = new URL('../live/index.html', import.meta.url);

/** Every answer states its length: a client reads it in one piece, and no chunked framing is sent. */
function answer(res: http.ServerResponse, code: number, contentType: string, body: string | Buffer): void {
  res.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) }).end(body);
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  answer(res, code, 'application/json', `${JSON.stringify(body)}\n`);
}

/** How long a stop lets answers in flight finish before it closes every connection. */
const CLOSE_GRACE_MS = 1000;

export class EngineHttpServer {
  private server: http.Server | null = null;
  /** Stopping: every answer says `Connection: close`, so no kept-alive connection outlives the stop. */
  private closing = false;

  constructor(private readonly sources: HttpSources) {}

  async serve(port: number, host = '127.0.0.1'): Promise<number> {
    const server = http.createServer((req, res) => {
      if (this.closing) res.setHeader('connection', 'close');
      try {
        this.route(req, res);
      } catch (error) {
        // a request must never take the engine down: answer it and carry on
        if (!res.headersSent) answer(res, 400, 'text/plain', `bad request: ${(error as Error).message}\n`);
        else res.end();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      answer(res, 405, 'text/plain', 'only GET\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname;
    if (path === '/' || path === '/index.html') return this.page(res);
    if (path === '/metrics') return this.metrics(res);
    if (path === '/symbols')
      return json(
        res,
        200,
        this.sources.symbols.list().map((d) => ({ symbol: d.name, symbolId: d.id, tickSize: d.tickSize, lotSize: d.lotSize })),
      );
    if (path === '/status') return json(res, 200, this.sources.status());
    if (path.startsWith('/book/') || path.startsWith('/trades/')) {
      const book = path.startsWith('/book/');
      const symbol = decodedSymbol(path.slice(book ? '/book/'.length : '/trades/'.length));
      if (symbol === null) return json(res, 400, { error: 'the symbol in the path is not valid percent-encoding' });
      return book ? this.book(res, symbol, url.searchParams.get('levels')) : this.trades(res, symbol, url.searchParams.get('limit'));
    }
    answer(res, 404, 'text/plain', 'not found: try /metrics, /status, /symbols, /book/SYMBOL?levels=N, /trades/SYMBOL?limit=N\n');
  }

  private page(res: http.ServerResponse): void {
    fs.readFile(LIVE_PAGE, (error, html) => {
      if (error) answer(res, 500, 'text/plain', `the live page is missing: ${error.message}\n`);
      else answer(res, 200, 'text/html; charset=utf-8', html);
    });
  }

  private metrics(res: http.ServerResponse): void {
    const metrics = this.sources.metrics;
    metrics.scrape().then(
      (body) => answer(res, 200, metrics.registry.contentType, body),
      (error: unknown) => answer(res, 500, 'text/plain', String(error)),
    );
  }

  private book(res: http.ServerResponse, symbol: string, levelsParam: string | null): void {
    const depth = this.sources.depth;
    if (depth === null) return json(res, 404, { error: 'the depth stream is off (--no-depth): no book to serve' });
    const symbolId = this.symbolId(res, symbol);
    if (symbolId < 0) return;
    const levels = boundedParam(res, 'levels', levelsParam, depth.levels, '--depth-levels');
    if (levels === null) return;
    const book = depth.read(symbolId, levels);
    if (book === null) return json(res, 503, { error: 'the book kept changing while it was read: ask again' });
    json(res, 200, { symbol, symbolId, seq: book.seq, bids: book.bids, asks: book.asks });
  }

  private trades(res: http.ServerResponse, symbol: string, limitParam: string | null): void {
    const symbolId = this.symbolId(res, symbol);
    if (symbolId < 0) return;
    const limit = boundedParam(res, 'limit', limitParam, TAPE_TRADES, 'the trades kept per symbol');
    if (limit === null) return;
    const tape = this.sources.tape.read(symbolId, limit);
    if (tape === null) return json(res, 503, { error: 'the trades kept changing while they were read: ask again' });
    json(res, 200, { symbol, symbolId, seq: tape.seq, trades: tape.trades });
  }

  /** The symbol's id, or -1 after answering 404. */
  private symbolId(res: http.ServerResponse, symbol: string): number {
    const id = this.sources.symbols.idOf(symbol);
    if (id < 0) json(res, 404, { error: `unknown symbol ${JSON.stringify(symbol)}: see /symbols` });
    return id;
  }

  /**
   * Stops listening and ends every connection. server.close() alone waits for kept-alive
   * connections, and a client that keeps one busy (the live page asks every 250 ms) would hold the
   * engine's stop forever: idle ones are closed now, busy ones after their answer (or the grace).
   */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(grace);
  }
}

/** A path segment as text, null when its percent-encoding is broken (a bad request, never a crash). */
function decodedSymbol(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** An integer query parameter from 1 to `max` (`max` when absent), or null after answering 400. */
function boundedParam(res: http.ServerResponse, name: string, raw: string | null, max: number, what: string): number | null {
  if (raw === null) return max;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (value >= 1 && value <= max) return value;
  json(res, 400, { error: `${name} must be an integer from 1 to ${max} (${what}), got ${JSON.stringify(raw)}` });
  return null;
}
