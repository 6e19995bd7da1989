// Scale-out on a real broker: two engine processes in one consumer group on a 2-partition orders
// topic (orders keyed by symbol, default partitioner), each with its own data dir. Once both
// members hold one partition each, the orders are produced; when every trade is out, the
// per-symbol trade streams (price, qty, maker and taker order ids, in order) must equal a
// single file-source run of the same orders.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, defaultSymbolTable } from '@ringmatch/protocol';
import { AssignerProtocol, IDEMPOTENT_RETRY, ensureTopics, topicOffsets, withTimeout } from '@ringmatch/kafka';
import { unpackOutputs } from '@ringmatch/engine';
import { ensureBroker, kafkaAvailability, kafkaClientsUnderTest, readTopic, uniqueTopic, waitFor, type TestBroker } from '@ringmatch/test-kit';

const CLI = fileURLToPath(new URL('../packages/engine/dist/cli.js', import.meta.url));
const available = kafkaAvailability();
if (!available.ok && process.env.CI) throw new Error(`CI must not skip the Kafka scale-out test: ${available.reason}`);
if (!available.ok) process.stderr.write(`\n!!! SKIPPING KAFKA SCALE-OUT TEST: ${available.reason} !!!\n\n`);

let broker: TestBroker;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-kafka-scaleout-'));
const children: ChildProcess[] = [];
beforeAll(async () => {
  if (available.ok) broker = await ensureBroker();
}, 240_000);
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await broker?.release();
  fs.rmSync(root, { recursive: true, force: true });
}, 120_000);

interface Trade {
  symbol: string;
  price: number;
  qty: number;
  makerOrderId: number;
  takerOrderId: number;
}
const tradeKey = (t: Trade): string => `${t.price}/${t.qty}/${t.makerOrderId}/${t.takerOrderId}`;

function perSymbol(lines: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of lines) {
    const t = JSON.parse(line) as Trade;
    let list = out.get(t.symbol);
    if (!list) out.set(t.symbol, (list = []));
    list.push(tradeKey(t));
  }
  return out;
}

function orderMessages(count: number, seed: number): Array<{ key: string; value: string }> {
  const symbols = defaultSymbolTable();
  const generator = new OrderFlowGenerator({ seed, symbols, accounts: 200 });
  const cmd = createCommand();
  const out: Array<{ key: string; value: string }> = [];
  for (let i = 0; i < count; i++) {
    generator.next(cmd);
    out.push({ key: symbols.nameOf(cmd.symbolId)!, value: commandToJson(cmd, symbols) });
  }
  return out;
}

function run(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  // Quiet unless the caller asks for progress lines (a flag may be given once).
  const progress = args.includes('--progress-ms') ? [] : ['--progress-ms', '0'];
  const child = spawn(process.execPath, [CLI, 'run', ...progress, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

async function outputLines(topic: string): Promise<string[]> {
  const records = await readTopic(broker.kafka, topic, { timeoutMs: 60_000 });
  return records.flatMap((r) => unpackOutputs(r.value, r.headers as never));
}

/** The per-symbol trades of one file-source engine run over `values` (the reference), and how many. */
async function referenceTrades(values: Array<{ value: string }>, dir: string): Promise<{ expected: Map<string, string[]>; count: number }> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'orders.ndjson'), `${values.map((v) => v.value).join('\n')}\n`);
  const ref = run(['--data-dir', path.join(dir, 'data'), '--source', `ndjson:${path.join(dir, 'orders.ndjson')}`]);
  const out = await withTimeout(ref.exited, 120_000, 'reference run');
  expect(out.code, out.stderr).toBe(0);
  const expected = perSymbol(
    fs
      .readFileSync(path.join(dir, 'data', 'trades.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean),
  );
  return { expected, count: [...expected.values()].reduce((n, l) => n + l.length, 0) };
}

/** Produces `values[from, to)` to `topic`, keyed by symbol (kafkajs' default partitioner picks the partition). */
async function produce(topic: string, values: Array<{ key: string; value: string }>, from = 0, to = values.length): Promise<void> {
  const producer = broker.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: IDEMPOTENT_RETRY });
  await producer.connect();
  try {
    for (let i = from; i < to; i += 1000)
      await withTimeout(producer.send({ topic, acks: -1, messages: values.slice(i, Math.min(to, i + 1000)) }), 30_000, 'produce orders');
  } finally {
    await producer.disconnect();
  }
}

/** Waits until `group` is stable with `members` members that all hold an assignment; returns each member's topics and partitions. */
async function stableGroup(group: string, members: number): Promise<Array<Record<string, number[]>>> {
  const admin = broker.kafka.admin();
  await admin.connect();
  let assignments: Array<Record<string, number[]>> = [];
  try {
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([group]);
        const g = groups[0];
        if (g === undefined || g.state !== 'Stable' || g.members.length !== members || !g.members.every((m) => m.memberAssignment.length > 0)) return false;
        assignments = g.members.map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {});
        return true;
      },
      120_000,
      `${members} stable member(s) in the group`,
      250,
    );
  } finally {
    await admin.disconnect();
  }
  return assignments;
}

/** Polls `topic.trades` until it holds `count` trades; fails at once if an engine exits first. */
async function tradesWhenAllOut(topic: string, count: number, engines: Array<ReturnType<typeof run>>, timeoutMs: number): Promise<string[]> {
  const failed = Promise.race(engines.map((e) => e.exited));
  let lines: string[] = [];
  await waitFor(
    async () => {
      const early = await Promise.race([failed, Promise.resolve(null)]);
      if (early) throw new Error(`an engine exited early (${early.code ?? early.signal}): ${early.stderr.slice(-3000)}`);
      lines = await outputLines(`${topic}.trades`);
      return lines.length >= count;
    },
    timeoutMs,
    `${count} trades in ${topic}.trades`,
    500,
  );
  return lines;
}

/** An engine of `group` reading `topic` on the given client. */
function kafkaArgs(client: string, topic: string, group: string): string[] {
  return ['--source', 'kafka', '--kafka-client', client, '--brokers', broker.brokers.join(','), '--topic', topic, '--group', group, '--ring-size', '4096'];
}

const d = available.ok ? describe : describe.skip;
const clients = available.ok ? await kafkaClientsUnderTest() : ['kafkajs'];

d.each(clients)('scale-out on Kafka (%s client)', (client) => {
  it('two engines in one group, one partition each: per-symbol trades equal a single file-source run', async () => {
    const values = orderMessages(10_000, 31);
    // Reference: one engine, file source, same orders in the same order.
    const { expected, count: expectedCount } = await referenceTrades(values, path.join(root, client, 'ref'));
    expect(expectedCount).toBeGreaterThan(500);
    expect(expected.size).toBeGreaterThan(2);

    const topic = uniqueTopic('scale');
    const group = uniqueTopic('scale-group');
    await ensureTopics(broker.kafka, [{ topic, partitions: 2 }]);
    const common = kafkaArgs(client, topic, group);
    const a = run([...common, '--data-dir', path.join(root, client, 'a')]);
    const b = run([...common, '--data-dir', path.join(root, client, 'b')]);

    // Both members must hold one partition each before any order exists (a partition that
    // moves later would be read from its start by its new owner: see the README).
    await stableGroup(group, 2);
    await produce(topic, values);

    let lines = await tradesWhenAllOut(topic, expectedCount, [a, b], 180_000);
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);

    lines = await outputLines(`${topic}.trades`);
    expect(lines.length).toBe(expectedCount);
    const actual = perSymbol(lines);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [symbol, list] of expected) expect(actual.get(symbol), symbol).toEqual(list);
    // Each output partition had one writer: its symbols all hash to the same input partition.
    const records = await readTopic(broker.kafka, `${topic}.trades`, { timeoutMs: 60_000 });
    expect(new Set(records.map((r) => r.partition)).size).toBe(2);
  }, 420_000);

  it('rebalance: a second engine joining mid-stream refuses a partition the first processed; the first resumes it, trades exactly once', async () => {
    const values = orderMessages(6_000, 37);
    const { expected, count: expectedCount } = await referenceTrades(values, path.join(root, client, 'ref2'));

    const topic = uniqueTopic('rebal');
    const group = uniqueTopic('rebal-group');
    await ensureTopics(broker.kafka, [{ topic, partitions: 2 }]);
    // The first half now, the second once B has been refused: B joins mid-stream by construction,
    // however fast A runs, and A then finishes the stream with both partitions.
    const half = values.length / 2;
    await produce(topic, values, 0, half);
    const common = kafkaArgs(client, topic, group);
    // A alone, paced so that B joins mid-stream.
    const a = run([...common, '--data-dir', path.join(root, client, 'ra'), '--rate', '500', '--progress-ms', '50']);
    // A has processed orders of every partition (its reports are in each): whichever partition B
    // is given, A processed it. (librdkafka may drain one partition before the next.)
    await waitFor(
      async () => {
        if (a.child.exitCode !== null) return true;
        const reports = await topicOffsets(broker.kafka, `${topic}.reports`);
        return reports.size === 2 && [...reports.values()].every((r) => r.high > r.low);
      },
      120_000,
      'engine A publishing reports in both partitions',
      50,
    );
    expect(a.child.exitCode).toBe(null);
    const b = run([...common, '--data-dir', path.join(root, client, 'rb')]);
    const bOut = await withTimeout(b.exited, 120_000, 'engine B refusing its partition');
    expect(bOut.code).toBe(1);
    expect(bOut.stderr).toMatch(/another engine processed them/);
    // an operator's topology slip: one line with the way out, no stack
    expect(bOut.stderr).toMatch(/^ringmatch: partition\(s\) \d+ of \S+ were assigned to this engine/m);
    expect(bOut.stderr).not.toMatch(/FATAL|\n\s+at /);
    await produce(topic, values, half);

    let lines: string[] = [];
    await waitFor(
      async () => {
        if (a.child.exitCode !== null) throw new Error(`engine A exited (${a.child.exitCode})`);
        lines = await outputLines(`${topic}.trades`);
        return lines.length >= expectedCount;
      },
      240_000,
      `${expectedCount} trades`,
      500,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    lines = await outputLines(`${topic}.trades`);
    expect(lines.length).toBe(expectedCount);
    const actual = perSymbol(lines);
    for (const [symbol, list] of expected) expect(actual.get(symbol), symbol).toEqual(list);
  }, 420_000);
});

// Engines of different orders topics in one consumer group. kafkajs' own assigner dealt every
// partition of both topics across both members (each engine got one partition of the other's
// topic, which nobody read, and ended idle with half its trades, exit 0); the group's round-robin
// now gives a partition only to a member subscribed to its topic. The kafkajs engine joins first, so
// it leads the group and runs the assignment; with the native client built, the second engine is
// librdkafka (their common protocol, "roundrobin": the two clients can share a group).
const pairs: Array<[string, string]> = [['kafkajs', 'kafkajs'], ...(clients.includes('native') ? [['kafkajs', 'native'] as [string, string]] : [])];
d.each(pairs)('one group, two orders topics (%s leads, %s joins)', (leader, joiner) => {
  it('each engine holds all of its own topic and none of the other, and publishes every trade of its topic', async () => {
    const values = orderMessages(4_000, 43);
    const { expected, count } = await referenceTrades(values, path.join(root, `${leader}-${joiner}`, 'ref'));
    const group = uniqueTopic('shared-group');
    const topics = [uniqueTopic('topic-a'), uniqueTopic('topic-b')];
    await ensureTopics(
      broker.kafka,
      topics.map((topic) => ({ topic, partitions: 2 })),
    );
    const dir = path.join(root, `${leader}-${joiner}`);
    const a = run([...kafkaArgs(leader, topics[0]!, group), '--data-dir', path.join(dir, 'a')]);
    await stableGroup(group, 1);
    const b = run([...kafkaArgs(joiner, topics[1]!, group), '--data-dir', path.join(dir, 'b')]);
    const assignments = await stableGroup(group, 2);
    const sorted = assignments.map((m) => JSON.stringify(Object.fromEntries(Object.entries(m).map(([t, ps]) => [t, [...ps].sort()])))).sort();
    expect(sorted).toEqual(topics.map((t) => JSON.stringify({ [t]: [0, 1] })).sort());

    for (const topic of topics) await produce(topic, values);
    for (const topic of topics) {
      const lines = await tradesWhenAllOut(topic, count, [a, b], 180_000);
      expect(lines.length, topic).toBe(count);
      const actual = perSymbol(lines);
      for (const [symbol, list] of expected) expect(actual.get(symbol), `${topic} ${symbol}`).toEqual(list);
    }
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
  }, 420_000);
});
