// Starts the market-data bench's decoy HTTP server (decoy-http-server.ts) as a process of its own
// and learns its port from the line it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DECOY_SERVER = fileURLToPath(new URL('./decoy-http-server.js', import.meta.url));

/** A decoy process answering `bytes`-long bodies; `port` resolves once it listens (rejects after 10 s, or if it exits first). */
export function startDecoy(bytes: number | string): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, [DECOY_SERVER, String(bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const guard = setTimeout(() => reject(new Error('the decoy server did not listen within 10 s')), 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(guard);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`the decoy server exited with ${code}: ${err.trim()}`));
    });
  });
  return { child, port };
}
