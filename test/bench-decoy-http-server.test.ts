// The market-data bench's decoy server (bench/decoy-http-server.ts), as the bench starts it: a
// process of its own that answers every GET with a body of the asked length, and a usage error
// for a bad length.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LeanHttpClient } from '../bench/dist/lean-http-client.js';

const DECOY = fileURLToPath(new URL('../bench/dist/decoy-http-server.js', import.meta.url));

describe('decoy HTTP server (market-data bench)', () => {
  it('answers every GET with a JSON body of exactly the asked length, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [DECOY, '1500'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const guard = setTimeout(() => reject(new Error('the decoy did not listen within 10 s')), 10_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening (\d+)/.exec(out);
          if (m) {
            clearTimeout(guard);
            resolve(Number(m[1]));
          }
        });
      });
      const client = new LeanHttpClient(port);
      for (const path of ['/book/SYM0001?levels=20', '/anything']) {
        const answer = await client.get(path);
        expect(answer.status).toBe(200);
        expect(answer.body.length).toBe(1500);
        expect(typeof JSON.parse(answer.body.toString())).toBe('string');
      }
      client.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 20_000);

  it('a bad length is a usage error, exit 2', () => {
    const r = spawnSync(process.execPath, [DECOY, 'many'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: decoy-http-server\.js BYTES/);
  });
});
