// The market-data bench's decoy server (bench/decoy-http-server.ts), started as the bench does (decoy-process.ts): a
// process of its own that answers every GET with a body of the asked length, and a usage error
// for a bad length.
import { describe, expect, it } from 'vitest';
import { startDecoy } from '../bench/dist/decoy-process.js';
import { LeanHttpClient } from '../bench/dist/lean-http-client.js';

describe('decoy HTTP server (market-data bench)', () => {
  it('answers every GET with a JSON body of exactly the asked length, and stops on SIGTERM', async () => {
    const { child, port: listening } = startDecoy(1500);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await listening;
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

  it('a bad length is a usage error, exit 2', async () => {
    await expect(startDecoy('many').port).rejects.toThrow(/exited with 2: usage: decoy-http-server\.js BYTES/);
  });
});
