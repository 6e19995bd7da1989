// Broker restart while the engine runs (real broker of its own, on a private port, so restarting
// it never disturbs other test files): orders flow, the broker is stopped and restarted (same
// data) mid-stream, more orders are produced after it; the engine reconnects on both sides and the
// trades topic ends with every trade exactly once, in the order of a file-source run.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, defaultSymbolTable } from '@ringmatch/protocol';
import { createKafka, ensureTopics, logLevel, withTimeout } from '@ringmatch/kafka';
import { unpackOutputs } from '@ringmatch/engine';
import { canStartBroker, kafkaClientsUnderTest, produceTo, readTopic, startBroker, stopBroker, uniqueTopic, waitFor } from '@ringmatch/test-kit';

const CLI = fileURLToPath(new URL('../packages/engine/dist/cli.js', import.meta.url));
const PORT = Number(process.env.RINGMATCH_KAFKA_ENGINE_RESTART_PORT ?? 19292);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-engine-broker-restart-'));
const children: ChildProcess[] = [];
const clients = canStartBroker() ? await kafkaClientsUnderTest() : [];

function orderMessages(count: number, seed: number): string[] {
  const symbols = defaultSymbolTable();
  const generator = new OrderFlowGenerator({ seed, symbols, accounts: 200 });
  const cmd = createCommand();
  return Array.from({ length: count }, () => commandToJson(generator.next(cmd), symbols));
}

function run(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const state = { stderr: '', matched: 0 };
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    state.stderr = (state.stderr + text).slice(-30_000);
    for (const m of text.matchAll(/matched=(\d+)/g)) state.matched = Number(m[1]);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, state, exited };
}

describe.skipIf(!canStartBroker())('engine rides out a broker restart (real broker)', () => {
  beforeAll(async () => {
    await startBroker({ port: PORT, heap: '384m' });
  }, 900_000);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await stopBroker({ port: PORT });
    fs.rmSync(root, { recursive: true, force: true });
  }, 90_000);

  it.each(clients)(
    'stop + restart the broker mid-stream: every trade exactly once, engine still healthy (%s client)',
    async (client) => {
      const brokers = `127.0.0.1:${PORT}`;
      // quiet: refused connections while the broker is down are expected
      const kafka = createKafka({ brokers, clientId: 'engine-restart-test', logLevel: logLevel.NOTHING });
      const values = orderMessages(12_000, 41);
      const half = 6_000;

      const refDir = path.join(root, client, 'ref');
      fs.mkdirSync(refDir, { recursive: true });
      fs.writeFileSync(path.join(refDir, 'orders.ndjson'), `${values.join('\n')}\n`);
      const ref = run(['--progress-ms', '0', '--data-dir', path.join(refDir, 'data'), '--source', `ndjson:${path.join(refDir, 'orders.ndjson')}`]);
      expect((await withTimeout(ref.exited, 120_000, 'reference run')).code, ref.state.stderr).toBe(0);
      const expected = fs
        .readFileSync(path.join(refDir, 'data', 'trades.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\{"n":\d+,/, '{'));
      expect(expected.length).toBeGreaterThan(500);

      const topic = uniqueTopic('restart-orders');
      await ensureTopics(kafka, [{ topic, partitions: 1 }]);
      await produceTo(kafka, topic, 0, values.slice(0, half));
      // Paced so that the restart lands mid-stream.
      const engine = run([
        '--progress-ms',
        '50',
        '--ring-size',
        '4096',
        '--data-dir',
        path.join(root, client, 'engine'),
        '--source',
        'kafka',
        '--kafka-client',
        client,
        '--brokers',
        brokers,
        '--topic',
        topic,
        '--rate',
        '1500',
      ]);
      await waitFor(() => engine.state.matched >= 1500 || engine.child.exitCode !== null, 120_000, 'engine matching orders', 50);
      expect(engine.child.exitCode, engine.state.stderr.slice(-3000)).toBe(null);
      const matchedAtStop = engine.state.matched;

      await stopBroker({ port: PORT, keepData: true });
      await new Promise((r) => setTimeout(r, 5000)); // down long enough for the clients to hit errors
      await startBroker({ port: PORT, heap: '384m' });
      expect(engine.child.exitCode, engine.state.stderr.slice(-3000)).toBe(null);
      expect(matchedAtStop).toBeLessThan(half); // the restart really was mid-stream

      await produceTo(kafka, topic, 0, values.slice(half), { timeoutMs: 60_000 });
      let lines: string[] = [];
      await waitFor(
        async () => {
          if (engine.child.exitCode !== null) throw new Error(`engine exited (${engine.child.exitCode}): ${engine.state.stderr.slice(-3000)}`);
          if (engine.state.matched < values.length) return false;
          lines = (await readTopic(kafka, `${topic}.trades`, { timeoutMs: 60_000 })).flatMap((r) => unpackOutputs(r.value, r.headers as never));
          return lines.length >= expected.length;
        },
        240_000,
        'all trades after the restart',
        500,
      );

      engine.child.kill('SIGTERM'); // clean shutdown: the publisher is healthy after the restart
      const exit = await withTimeout(engine.exited, 120_000, 'engine shutdown');
      expect(exit.code, engine.state.stderr.slice(-3000)).toBe(0);
      lines = (await readTopic(kafka, `${topic}.trades`, { timeoutMs: 60_000 })).flatMap((r) => unpackOutputs(r.value, r.headers as never));
      expect(lines.length).toBe(expected.length);
      expect(lines).toEqual(expected);
    },
    600_000,
  );
});
