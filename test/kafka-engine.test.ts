// The engine on a real Kafka broker: end to end against the file source, malformed messages to
// the dead-letter topic, SIGKILL crash/restart with exactly-once output, two engines in one group.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, defaultSymbolTable, encodeMessage, isOutputBatch } from '@ringmatch/protocol';
import { ensureTopics, parseDeadLetter, partitionForKey } from '@ringmatch/kafka';
import { unpackOutputs } from '@ringmatch/engine';
import {
  depthDisagreement,
  ensureBroker,
  kafkaAvailability,
  kafkaClientsUnderTest,
  produceTo,
  readTopic,
  setTopicConfig,
  uniqueTopic,
  type KafkaClientName,
  type TestBroker,
} from '@ringmatch/test-kit';

const CLI = fileURLToPath(new URL('../packages/engine/dist/cli.js', import.meta.url));
const available = kafkaAvailability();
if (!available.ok && process.env.CI) throw new Error(`CI must not skip the Kafka engine tests: ${available.reason}`);
if (!available.ok) process.stderr.write(`\n!!! SKIPPING KAFKA ENGINE TESTS: ${available.reason} !!!\n\n`);
const clients = await kafkaClientsUnderTest();

let broker: TestBroker;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-kafka-engine-'));
beforeAll(async () => {
  if (available.ok) broker = await ensureBroker();
}, 240_000);
afterAll(async () => {
  await broker?.release();
  fs.rmSync(root, { recursive: true, force: true });
}, 120_000);

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function engine(client: KafkaClientName, args: string[], timeoutMs: number, killAfterMatched?: { matched: number; delayMs: number }): Promise<Outcome> {
  return new Promise((resolve) => {
    const common = ['--progress-ms', '50', '--ring-size', '4096', '--brokers', broker.brokers.join(','), '--kafka-client', client];
    const child = spawn(process.execPath, [CLI, 'run', ...common, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      const m = /matched=(\d+)/.exec(text);
      if (killAfterMatched && !armed && m && Number(m[1]) >= killAfterMatched.matched) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), killAfterMatched.delayMs);
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** JSON order messages from the seeded generator, with malformed ones mixed in at fixed places. */
function orderMessages(count: number, seed: number): string[] {
  const symbols = defaultSymbolTable();
  const generator = new OrderFlowGenerator({ seed, symbols, accounts: 200 });
  const cmd = createCommand();
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    values.push(commandToJson(generator.next(cmd), symbols));
    if (i % 5000 === 17) values.push(i % 2 ? '{"op":"new","symbol":"AAPL","qty":"ten"}' : 'not json at all');
  }
  return values;
}

const references = new Map<string, Promise<string[]>>();

/** The trades the file source produces for the same messages (the reference; computed once per name, both clients share it). */
function referenceTrades(values: string[], name: string): Promise<string[]> {
  let trades = references.get(name);
  if (!trades) references.set(name, (trades = fileSourceTrades(values, name)));
  return trades;
}

async function fileSourceTrades(values: string[], name: string): Promise<string[]> {
  const dir = path.join(root, `ref-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'orders.ndjson');
  fs.writeFileSync(file, `${values.join('\n')}\n`);
  const r = await new Promise<Outcome>((resolve) => {
    // The JS JSON writer, reports too: a Kafka run (native writer wherever it is built) is held to its bytes.
    const args = ['run', '--progress-ms', '0', '--data-dir', path.join(dir, 'data'), '--source', `ndjson:${file}`, '--reports', '--json-writer', 'js'];
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  expect(r.code, r.stderr).toBe(0);
  return referenceLines(name, 'trades.ndjson');
}

/** The output JSON lines of a topic (records are packed: NDJSON, count header checked), in order. */
async function outputsIn(topic: string): Promise<string[]> {
  const records = await readTopic(broker.kafka, topic, { timeoutMs: 60_000 });
  return records.flatMap((r) => unpackOutputs(r.value, r.headers as never));
}

/** A file of the file-source reference run `name` (reports.ndjson, book.ndjson), lines without "n"; after referenceTrades(..., name). */
function referenceLines(name: string, file: string): string[] {
  return fs
    .readFileSync(path.join(root, `ref-${name}`, 'data', file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\{"n":\d+,/, '{'));
}

/** What an offline replay of a run's WAL publishes as the depth stream (`ringmatch replay --depth --from-start`). */
function replayedDepth(dataDir: string): string[] {
  const out = execFileSync(process.execPath, [CLI, 'replay', '--data-dir', dataDir, '--depth', '--from-start'], { encoding: 'utf8', timeout: 60_000 });
  return out.split('\n').filter(Boolean);
}

/**
 * <topic>.book of a Kafka run against the file-source reference: its own journal batches, so it
 * must agree with the reference's stream (the same books wherever both publish, and at the end)
 * and equal, line for line, what a replay of its own WAL publishes.
 */
async function expectDepth(topic: string, dataDir: string, reference: string[], what = ''): Promise<void> {
  const depth = await outputsIn(`${topic}.book`);
  expect(depthDisagreement(depth, reference), what).toBeNull();
  expect(depth, what).toEqual(replayedDepth(dataDir));
}

async function tradesIn(topic: string): Promise<string[]> {
  return outputsIn(`${topic}.trades`);
}

const d = available.ok ? describe : describe.skip;

d.each(clients)('engine on Kafka (%s client)', (client) => {
  it('consumes orders from Kafka and publishes exactly the trades and reports of the file source; bad messages go to the DLQ', async () => {
    const topic = uniqueTopic('orders');
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
    const values = orderMessages(12_000, 11);
    await produceTo(broker.kafka, topic, 0, values);
    const expected = await referenceTrades(values, 'e2e');
    const r = await engine(client, ['--data-dir', path.join(root, client, 'e2e'), '--source', 'kafka', '--topic', topic, '--stop-when-idle', '1000'], 120_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    // On the native client the JSON messages go through the native scanner wherever it is built (CI builds it).
    if (client === 'native' && process.env.RINGMATCH_EXPECT_NATIVE === '1') expect(r.stderr).toContain('json scanner: native');
    if (process.env.RINGMATCH_EXPECT_NATIVE === '1') expect(r.stderr).toContain('json writer: native');
    expect(await tradesIn(topic)).toEqual(expected);
    // Every report too, byte for byte, against the file source's JS-written reports.
    expect(await outputsIn(`${topic}.reports`)).toEqual(referenceLines('e2e', 'reports.ndjson'));
    // The depth stream: <topic>.book agrees with the file source's book.ndjson.
    const depth = referenceLines('e2e', 'book.ndjson');
    expect(depth.length).toBeGreaterThan(500);
    await expectDepth(topic, path.join(root, client, 'e2e'), depth);
    // Every malformed message: a dead letter with its bytes and position, and a REJECTED report.
    const letters = (await readTopic(broker.kafka, `${topic}.dlq`)).map((rec) => parseDeadLetter(rec as never));
    const bad = values.map((v, offset) => ({ v, offset })).filter(({ v }) => v === 'not json at all' || v.includes('"ten"'));
    expect(letters.map((l) => [l.offset, l.value?.toString()])).toEqual(bad.map(({ v, offset }) => [offset, v]));
    for (const l of letters) expect(l.reason.length).toBeGreaterThan(0);
    const reports = (await outputsIn(`${topic}.reports`)).map(
      (line) => JSON.parse(line) as { status: string; reasonCode: number; reason: string; seq: number },
    );
    // Decode failures (reason codes 64+) are REJECTED in sequence: one per malformed message.
    const rejectedDecode = reports.filter((x) => x.status === 'rejected' && x.reasonCode >= 64);
    expect(rejectedDecode.length).toBe(bad.length);
    for (const x of rejectedDecode) expect(x.reason.length).toBeGreaterThan(0);
  }, 240_000);

  it('binary wire both ways (binary orders in, binary output batches out): the trades of the file source; bad binary messages rejected', async () => {
    const topic = uniqueTopic('orders-bin');
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
    const symbols = defaultSymbolTable();
    const generator = new OrderFlowGenerator({ seed: 31, symbols, accounts: 200 });
    const cmd = createCommand();
    const binary: Buffer[] = [];
    const json: string[] = []; // the same messages for the file-source reference (same sequences)
    for (let i = 0; i < 6000; i++) {
      generator.next(cmd);
      binary.push(Buffer.from(encodeMessage(cmd, 'binary')));
      json.push(commandToJson(cmd, symbols));
      if (i % 1500 === 7) {
        binary.push(Buffer.from([0xb7, 1, 1, 0, 9, 9])); // a truncated binary command
        json.push('not json at all');
      }
    }
    await produceTo(broker.kafka, topic, 0, binary);
    const expected = await referenceTrades(json, 'binary');
    const r = await engine(
      client,
      [
        '--data-dir',
        path.join(root, client, 'binary'),
        '--source',
        'kafka',
        '--topic',
        topic,
        '--format',
        'binary',
        '--output-format',
        'binary',
        '--stop-when-idle',
        '1000',
      ],
      120_000,
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const records = await readTopic(broker.kafka, `${topic}.trades`, { timeoutMs: 60_000 });
    expect(records.length).toBeGreaterThan(0);
    for (const rec of records) expect(isOutputBatch(rec.value!)).toBe(true);
    expect(await tradesIn(topic)).toEqual(expected);
    await expectDepth(topic, path.join(root, client, 'binary'), referenceLines('binary', 'book.ndjson'));
    const reports = (await outputsIn(`${topic}.reports`)).map((line) => JSON.parse(line) as { status: string; reasonCode: number });
    expect(reports.filter((x) => x.status === 'rejected' && x.reasonCode >= 64)).toHaveLength(4);
    expect((await readTopic(broker.kafka, `${topic}.dlq`)).length).toBe(4);
  }, 240_000);

  it('output topics that take only small record batches: records sized to their max.message.bytes, every output there; too small for one output: a refusal naming the topic', async () => {
    const values = orderMessages(12_000, 11);
    const expected = await referenceTrades(values, 'e2e');
    const outputTopics = (topic: string, limit: number) =>
      ['trades', 'reports', 'book'].map((kind) => ({ topic: `${topic}.${kind}`, partitions: 1, configs: { 'max.message.bytes': String(limit) } }));
    const limit = 40_000; // packs of 2,048 JSON or 6,144 binary outputs are 0.5-0.9 MB
    for (const format of ['json', 'binary'] as const) {
      const topic = uniqueTopic(`orders-limit-${format}`);
      await ensureTopics(broker.kafka, [{ topic, partitions: 1 }, ...outputTopics(topic, limit)]);
      await produceTo(broker.kafka, topic, 0, values);
      const dataDir = path.join(root, client, `limit-${format}`);
      const r = await engine(
        client,
        ['--data-dir', dataDir, '--source', 'kafka', '--topic', topic, '--output-format', format, '--stop-when-idle', '1000'],
        120_000,
      );
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      for (const kind of ['trades', 'reports', 'book']) {
        const records = await readTopic(broker.kafka, `${topic}.${kind}`, { timeoutMs: 60_000 });
        expect(records.length, `${format} ${kind}`).toBeGreaterThan(1);
        for (const record of records) expect(record.value!.length, `${format} ${kind}`).toBeLessThan(limit);
      }
      expect(await tradesIn(topic)).toEqual(expected);
      if (format === 'json') expect(await outputsIn(`${topic}.reports`)).toEqual(referenceLines('e2e', 'reports.ndjson'));
      await expectDepth(topic, dataDir, referenceLines('e2e', 'book.ndjson'), format);
    }
    // A limit below one output and its framing: refused at start, one line and no stack; once the
    // operator raises it, the same data dir publishes every output of what was matched before.
    const topic = uniqueTopic('orders-limit-tiny');
    const few = values.slice(0, 300);
    await ensureTopics(broker.kafka, [{ topic, partitions: 1 }, ...outputTopics(topic, 300)]);
    await produceTo(broker.kafka, topic, 0, few);
    const args = ['--data-dir', path.join(root, client, 'limit-tiny'), '--source', 'kafka', '--topic', topic, '--stop-when-idle', '1000'];
    const refused = await engine(client, args, 120_000);
    expect(refused.signal).toBeNull();
    expect(refused.code).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines.at(-1), refused.stderr).toMatch(
      new RegExp(`^ringmatch: output topic ${topic}\\.\\w+ accepts record batches of at most 300 bytes \\(max\\.message\\.bytes\\).*raise it`),
    );
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    expect(await readTopic(broker.kafka, `${topic}.trades`, { timeoutMs: 10_000 })).toEqual([]);
    await setTopicConfig(
      broker.kafka,
      outputTopics(topic, 0).map((t) => t.topic),
      'max.message.bytes',
      '1048588',
    );
    const resumed = await engine(client, args, 120_000);
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0);
    const fewTrades = await referenceTrades(few, 'limit-tiny');
    expect(fewTrades.length).toBeGreaterThan(10);
    expect(await tradesIn(topic)).toEqual(fewTrades);
  }, 300_000);

  it('SIGKILL at random points, restart: the output topics hold each trade and depth line exactly once (10 runs, JSON and binary output)', async () => {
    const values = orderMessages(8_000, 23);
    const expected = await referenceTrades(values, 'crash');
    const expectedDepth = referenceLines('crash', 'book.ndjson');
    let seed = Number(process.env.RINGMATCH_CRASH_SEED ?? Date.now() % 100_000);
    const firstSeed = seed; // what RINGMATCH_CRASH_SEED replays
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let run = 0; run < 10; run++) {
      const topic = uniqueTopic(`crash${run}`);
      await ensureTopics(broker.kafka, [{ topic, partitions: 1 }]);
      await produceTo(broker.kafka, topic, 0, values);
      const dataDir = path.join(root, client, `crash-${run}`);
      // Odd runs publish binary output batches: the restart rule reads positions from headers only.
      const args = [
        '--data-dir',
        dataDir,
        '--source',
        'kafka',
        '--topic',
        topic,
        '--rate',
        '6000',
        '--snapshot-every',
        '2000',
        '--output-format',
        run % 2 ? 'binary' : 'json',
      ];
      const killed = await engine(client, args, 120_000, { matched: 1 + Math.floor(random() * 6000), delayMs: Math.floor(random() * 200) });
      expect(killed.signal === 'SIGKILL' || killed.code === 0, killed.stderr.slice(-2000)).toBe(true);
      const final = await engine(client, [...args, '--stop-when-idle', '1000'], 120_000);
      expect(final.code, `run ${run}, RINGMATCH_CRASH_SEED=${firstSeed}: ${final.stderr.slice(-3000)}`).toBe(0);
      const actual = await tradesIn(topic);
      expect(actual.length, `run ${run}`).toBe(expected.length);
      expect(actual, `run ${run}`).toEqual(expected);
      await expectDepth(topic, dataDir, expectedDepth, `run ${run}`);
    }
  }, 900_000);

  it('3 partitions, SIGKILL with frequent snapshots, restart: every symbol ends with the outputs of an uninterrupted run, none twice (4 runs)', async () => {
    // Sequences depend on how partitions interleave, but each symbol lives in one partition and is
    // matched in that partition's order: per symbol, the trades and reports (without seq and the
    // global trade id) are the same in every run. Outputs of several partitions and both topics
    // leave in packs out of sequence order, which snapshots must not run ahead of.
    const partitions = 3;
    const symbols = defaultSymbolTable();
    const values = orderMessages(6_000, 41).filter((v) => v.startsWith('{"op"'));
    const keyOf = (v: string): string => (JSON.parse(v) as { symbol: string }).symbol;
    async function produceAll(topic: string): Promise<void> {
      await ensureTopics(broker.kafka, [{ topic, partitions }]);
      for (let p = 0; p < partitions; p++)
        await produceTo(
          broker.kafka,
          topic,
          p,
          values.filter((v) => partitionForKey(keyOf(v), partitions) === p),
        );
    }
    /** Per symbol: its outputs in order, as text without the run-dependent fields; and any position seen twice. */
    async function perSymbol(topic: string): Promise<{ bySymbol: Map<string, string[]>; repeated: string[] }> {
      const bySymbol = new Map<string, string[]>();
      const seen = new Set<string>();
      const repeated: string[] = [];
      for (const kind of ['trades', 'reports']) {
        for (const line of await outputsIn(`${topic}.${kind}`)) {
          const o = JSON.parse(line) as Record<string, unknown>;
          const position = `${kind}:${String(o.seq)}:${String(o.orderId ?? o.tradeId)}:${String(o.status ?? '')}:${String(o.cumQty ?? '')}:${String(o.makerOrderId ?? '')}`;
          if (seen.has(position)) repeated.push(position);
          seen.add(position);
          const { seq: _seq, tradeId: _tradeId, ...stable } = o;
          const symbol = String(o.symbol);
          if (!bySymbol.has(symbol)) bySymbol.set(symbol, []);
          bySymbol.get(symbol)!.push(`${kind} ${JSON.stringify(stable)}`);
        }
      }
      return { bySymbol, repeated };
    }
    const refTopic = uniqueTopic('mp-ref');
    await produceAll(refTopic);
    const ref = await engine(
      client,
      ['--data-dir', path.join(root, client, 'mp-ref'), '--source', 'kafka', '--topic', refTopic, '--stop-when-idle', '1000'],
      120_000,
    );
    expect(ref.code, ref.stderr.slice(-2000)).toBe(0);
    const expected = await perSymbol(refTopic);
    expect(expected.repeated).toEqual([]);
    expect(expected.bySymbol.size).toBeGreaterThan(2);
    let seed = Number(process.env.RINGMATCH_CRASH_SEED ?? Date.now() % 100_000) + 7;
    const firstSeed = seed - 7; // what RINGMATCH_CRASH_SEED replays
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let run = 0; run < 4; run++) {
      const topic = uniqueTopic(`mp${run}`);
      await produceAll(topic);
      const args = [
        '--data-dir',
        path.join(root, client, `mp-${run}`),
        '--source',
        'kafka',
        '--topic',
        topic,
        '--rate',
        '8000',
        '--snapshot-every',
        '300',
        '--output-format',
        run % 2 ? 'binary' : 'json',
      ];
      const kill = { matched: 500 + Math.floor(random() * 4500), delayMs: Math.floor(random() * 100) };
      const killed = await engine(client, args, 120_000, kill);
      expect(killed.signal === 'SIGKILL' || killed.code === 0, killed.stderr.slice(-2000)).toBe(true);
      const final = await engine(client, [...args, '--stop-when-idle', '1000'], 120_000);
      expect(final.code, `run ${run}, RINGMATCH_CRASH_SEED=${firstSeed}: ${final.stderr.slice(-3000)}`).toBe(0);
      const actual = await perSymbol(topic);
      // The seed and the killed run's point in every message: a failure must be replayable (RINGMATCH_CRASH_SEED).
      const at = `run ${run}, RINGMATCH_CRASH_SEED=${firstSeed}, killed ${kill.delayMs} ms after ${kill.matched} matched`;
      expect(actual.repeated, at).toEqual([]);
      for (const symbol of new Set([...expected.bySymbol.keys(), ...actual.bySymbol.keys()])) {
        expect(actual.bySymbol.get(symbol), `${at}: ${symbols.idOf(symbol)} ${symbol}`).toEqual(expected.bySymbol.get(symbol));
      }
    }
  }, 600_000);
});
