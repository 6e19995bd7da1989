// The market-data bench's decoy: an HTTP server in a process of its own that answers every GET
// with a fixed JSON body as long as the engine's /book answer. Polling it costs the machine what
// polling the engine does (a client, a server, loopback TCP) without touching the engine, so the
// bench can tell what the engine's answers cost its matcher from what a client on the same two
// cores costs. Run as `node decoy-http-server.js BYTES`; prints `listening PORT`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const bytes = Number(process.argv[2]);
if (!Number.isInteger(bytes) || bytes < 2) {
  process.stderr.write('usage: decoy-http-server.js BYTES (the answer length, at least 2)\n');
  process.exit(2);
}
const body = `"${'x'.repeat(bytes - 2)}"`;
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': body.length }).end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
