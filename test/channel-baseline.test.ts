// The channel baseline (bench/channel) is only worth measuring against if it does the same work:
// for the same input it must write exactly the ring engine's trade log, and on Kafka publish the
// same outputs to as many partitions of its output topics, partitioned the same way, on the JSON
// wire and on the binary wire both ways (binary orders in, binary output batches out).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-run.js';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, defaultSymbolTable, encodeMessage, isOutputBatch } from '@ringmatch/protocol';
import { ensureTopics, partitionCount, partitionForKey } from '@ringmatch/kafka';
import { resolveJsonScanner, resolveJsonWriter, unpackOutputs } from '@ringmatch/engine';
import { ensureBroker, kafkaAvailability, kafkaClientsUnderTest, produceTo, readTopic, uniqueTopic, type TestBroker } from '@ringmatch/test-kit';
// The compiled baseline: its workers and piscina task are loaded from files beside it.
import { runChannelEngine } from '../bench/dist/channel/run.js';

const dirs: string[] = [];
const available = kafkaAvailability();
const clients = await kafkaClientsUnderTest();
let broker: TestBroker | undefined;
beforeAll(async () => {
  if (available.ok) broker = await ensureBroker();
}, 240_000);
afterAll(async () => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  await broker?.release();
}, 120_000);

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-channel-'));
  dirs.push(d);
  return d;
}

function readLines(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

describe('channel baseline', () => {
  it('produces exactly the trades of the ring engine for the same input', async () => {
    const ringDir = tempDir();
    const channelDir = tempDir();
    const r = await runCli(['run', '--data-dir', ringDir, '--orders', '20000', '--progress-ms', '0'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const channel = await runChannelEngine({ dataDir: channelDir, orders: 20000, seed: 1, symbols: 8, accounts: 1000, backend: 'fs', timeoutMs: 60_000 });
    const ringTrades = readLines(path.join(ringDir, 'trades.ndjson'));
    expect(ringTrades.length).toBeGreaterThan(100);
    expect(channel.trades).toBe(ringTrades.length);
    expect(readLines(channel.tradesFile)).toEqual(ringTrades);
  }, 60_000);
});

const PARTITIONS = 4;

/** Seeded orders (JSON or binary messages) keyed by symbol, on PARTITIONS partitions as the engine-kafka bench produces them. */
async function produceOrders(topic: string, count: number, format: 'json' | 'binary' = 'json'): Promise<void> {
  const symbols = defaultSymbolTable();
  const generator = new OrderFlowGenerator({ seed: 5, symbols, accounts: 300 });
  const cmd = createCommand();
  const byPartition: Array<Array<string | Buffer>> = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < count; i++) {
    generator.next(cmd);
    const value = format === 'json' ? commandToJson(cmd, symbols) : Buffer.from(encodeMessage(cmd, 'binary'));
    byPartition[partitionForKey(symbols.nameOf(cmd.symbolId)!, PARTITIONS)]!.push(value);
  }
  await ensureTopics(broker!.kafka, [{ topic, partitions: PARTITIONS }]);
  for (let p = 0; p < PARTITIONS; p++) await produceTo(broker!.kafka, topic, p, byPartition[p]!);
}

/**
 * The output lines of a topic per partition. The engine sequence and trade id are numbered across
 * partitions, in the order the partitions happened to be read: left out. Everything else (each
 * symbol's trades and reports, in order, and the partition they land in) does not depend on it.
 */
async function outputsByPartition(topic: string): Promise<string[][]> {
  const out: string[][] = Array.from({ length: await partitionCount(broker!.kafka, topic) }, () => []);
  for (const r of await readTopic(broker!.kafka, topic, { timeoutMs: 60_000 })) {
    for (const line of unpackOutputs(r.value, r.headers as never)) out[r.partition]!.push(line.replace(/"(seq|tradeId)":\d+/g, '"$1":_'));
  }
  return out;
}

/** Every record of the topic is a binary output batch (0xB8), and there are some. */
async function allBinaryBatches(topic: string): Promise<boolean> {
  const records = await readTopic(broker!.kafka, topic, { timeoutMs: 60_000 });
  return records.length > 0 && records.every((r) => r.value !== null && isOutputBatch(r.value));
}

const wires = clients.flatMap((client) => (['json', 'binary'] as const).map((wire) => [client, wire] as const));

(available.ok ? describe : describe.skip).each(wires)('channel baseline on Kafka (%s client, %s wire)', (client, wire) => {
  it('publishes the outputs of the ring engine, to as many partitions of its output topics, each output in the same partition', async () => {
    const topic = uniqueTopic('channel-orders');
    const count = 8000;
    await produceOrders(topic, count, wire);
    const wireFlags = wire === 'binary' ? ['--format', 'binary', '--output-format', 'binary'] : [];
    const ringDir = tempDir();
    const r = await runCli(
      [
        'run',
        '--data-dir',
        ringDir,
        '--progress-ms',
        '0',
        '--source',
        'kafka',
        '--brokers',
        broker!.brokers.join(','),
        '--topic',
        topic,
        '--kafka-client',
        client,
        '--stop-when-idle',
        '1000',
        ...wireFlags,
      ],
      120_000,
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const scanner = client === 'native' && wire === 'json' ? (await resolveJsonScanner('auto')).scanner : 'js';
    const outputPrefix = `${topic}-channel`;
    const channel = await runChannelEngine({
      dataDir: tempDir(),
      orders: count,
      seed: 0,
      symbols: 0,
      accounts: 0,
      backend: 'fs',
      timeoutMs: 120_000,
      kafka: {
        brokers: broker!.brokers,
        topic,
        groupId: uniqueTopic('channel'),
        messages: count,
        // the bench's steady window: it starts once this many orders are posted
        warmOrders: Math.floor(count / 3),
        outputPrefix,
        client,
        jsonScanner: scanner,
        jsonWriter: (await resolveJsonWriter('auto')).writer,
        format: wire,
        outputFormat: wire,
      },
    });
    expect(channel.orders).toBe(count);
    // The window counts the orders posted after the mark: at most the last two thirds, and most of them.
    expect(channel.steadyOrders).toBeLessThanOrEqual(count - Math.floor(count / 3));
    expect(channel.steadyOrders).toBeGreaterThan(count / 3);
    expect(channel.steadySeconds).toBeLessThan(channel.seconds);
    const ringTrades = await outputsByPartition(`${topic}.trades`);
    expect(ringTrades).toHaveLength(PARTITIONS);
    expect(ringTrades.flat().length).toBeGreaterThan(100);
    expect(channel.trades).toBe(ringTrades.flat().length);
    expect(await outputsByPartition(`${outputPrefix}.trades`)).toEqual(ringTrades);
    expect(await outputsByPartition(`${outputPrefix}.reports`)).toEqual(await outputsByPartition(`${topic}.reports`));
    if (wire === 'binary') {
      // the binary wire out, on both sides (the comparison above decodes either)
      for (const t of [`${topic}.trades`, `${outputPrefix}.trades`, `${topic}.reports`, `${outputPrefix}.reports`])
        expect(await allBinaryBatches(t), t).toBe(true);
    }
  }, 240_000);
});
