// The market-data bench's lean HTTP client (bench/lean-http-client.ts) against a real node:http
// server: answers read by Content-Length over one kept-alive connection, whatever the chunking;
// every way an answer can fail rejects (never hangs); the pool opens a second connection only
// while the first is busy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LeanHttpClient, LeanHttpPool } from '../bench/dist/lean-http-client.js';

const servers: http.Server[] = [];
const clients: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function serve(handler: http.RequestListener): Promise<{ port: number; connections: () => number }> {
  const server = http.createServer(handler);
  servers.push(server);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

describe('lean HTTP client (market-data bench)', () => {
  it('reads each answer by its Content-Length, over one kept-alive connection, even when the body comes in pieces', async () => {
    const { port, connections } = await serve((req, res) => {
      const body = JSON.stringify({ path: req.url, pad: 'x'.repeat(3000) });
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      // headers, then the body in three writes a tick apart
      const third = Math.floor(body.length / 3);
      res.write(body.slice(0, third));
      setImmediate(() => {
        res.write(body.slice(third, 2 * third));
        setImmediate(() => res.end(body.slice(2 * third)));
      });
    });
    const client = new LeanHttpClient(port);
    clients.push(client);
    for (let i = 0; i < 20; i++) {
      const answer = await client.get(`/book/S${i}?levels=20`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body.toString()).path).toBe(`/book/S${i}?levels=20`);
    }
    expect((await client.get('/missing')).status).toBe(404);
    expect(connections()).toBe(1);
  });

  it('rejects an answer without Content-Length, a closed connection, a silent server (after its timeout), and a second request at once', async () => {
    const chunked = await serve((_req, res) => {
      res.write('a');
      res.end('b');
    });
    const c1 = new LeanHttpClient(chunked.port);
    clients.push(c1);
    await expect(c1.get('/')).rejects.toThrow(/without Content-Length/);
    await expect(c1.get('/')).rejects.toThrow(/without Content-Length/); // a failed client stays failed

    const closing = await serve((req) => req.socket.destroy());
    const c2 = new LeanHttpClient(closing.port);
    clients.push(c2);
    await expect(c2.get('/')).rejects.toThrow(/closed the connection/);

    const silent = await serve(() => undefined);
    const c3 = new LeanHttpClient(silent.port, 200);
    clients.push(c3);
    const first = c3.get('/slow');
    await expect(c3.get('/again')).rejects.toThrow(/one request at a time/);
    await expect(first).rejects.toThrow(/no answer to GET \/slow within 200 ms/);
  });

  it('a pool sends each request on an idle connection, opens another only while all are busy, and refuses past its bound', async () => {
    const held: http.ServerResponse[] = [];
    const { port, connections } = await serve((req, res) => {
      if (req.url === '/hold') held.push(res);
      else res.end('ok');
    });
    const pool = new LeanHttpPool(port, 2);
    clients.push(pool);
    for (let i = 0; i < 5; i++) expect((await pool.get('/quick')).status).toBe(200);
    expect(connections()).toBe(1);
    const a = pool.get('/hold');
    const b = pool.get('/hold');
    await expect(pool.get('/quick')).rejects.toThrow(/2 requests already out/);
    await expect.poll(() => held.length, { timeout: 5000 }).toBe(2);
    expect(connections()).toBe(2);
    for (const res of held) res.end('done');
    expect((await a).body.toString()).toBe('done');
    expect((await b).body.toString()).toBe('done');
  });
});
