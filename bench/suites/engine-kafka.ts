// engine-kafka: orders/s end to end through the real broker (Kafka orders -> poller -> durable WAL
// -> books -> packed, acknowledged trades/reports in Kafka). Each wire (JSON both ways; binary both
// ways) runs on each Kafka client built here: librdkafka (@ringmatch/native-kafka) carries the
// plain names (`engine-kafka`, `engine-kafka:binary`) when it loads, kafkajs the `kafkajs` ones
// (`engine-kafka:kafkajs`, `engine-kafka:binary-kafkajs`; the plain names when it is all there is).
// Each engine line is measured against its I/O floor with the same client (`:pipe...`,
// engine-kafka-pipe.ts: `vs_pipe`), against a bare kafkajs eachBatch consume (`:kafkajs-raw`,
// `vs_raw`), and the JSON line against the channel baseline engine fed from Kafka (`:channel`: same
// client, scanner, WAL, books and Kafka sink; postMessage between stages). kafkajs runs with the two
// speed-ups of packages/kafka/src/kafkajs-speedups.ts (native CRC32C, no zero-fill on encoder
// growth), baselines included. Throughput is steady state (first input to last output
// acknowledged; the group join is in `total_s`); CPU per order is this process (every engine
// thread) and the broker over that span. Latency (the JSON line of the fastest client): a second,
// paced run while a producer feeds the topic live: order record timestamp (producer) to the
// timestamp of the packed report record carrying its first report (both CreateTime, ms).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, defaultSymbolTable, encodeMessage } from '@ringmatch/protocol';
import { Engine, Stat, resolveJsonScanner, unpackOutputs, type EngineSummary } from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import { IDEMPOTENT_RETRY, deleteTopics, ensureTopics, loadNativeKafka, nativeKafkaLoadFailure, partitionForKey, withTimeout } from '@ringmatch/kafka';
import { brokerPid, kafkaAvailability, readTopic, uniqueTopic } from '@ringmatch/test-kit';
import { runChannelEngine } from '../channel/run.js';
import type { BenchGroup, BenchLine } from '../types.js';
import { round, rssMb } from '../stats.js';
import { measureRawConsume, produceBenchOrders, withBenchBroker } from './kafka.js';
import { engineOutputs, measurePipe, type PipeResult } from './engine-kafka-pipe.js';

const PARTITIONS = 4;

interface Messages {
  values: Buffer[];
  keys: string[];
  partitions: number[];
}

/** The seeded generator's orders as JSON (or binary) messages keyed by symbol (default partitioner). */
function benchMessages(n: number, seed: number, format: 'json' | 'binary' = 'json'): Messages {
  const stream = new OrderStream(seed, format);
  const out: Messages = { values: [], keys: [], partitions: [] };
  for (let i = 0; i < n; i++) {
    out.values.push(stream.value(i));
    out.keys.push(stream.key(i));
    out.partitions.push(stream.partition(i));
  }
  return out;
}

/**
 * The same messages made one at a time, in order, as a topic is produced: the full runs' million
 * orders per topic are never all held in this process, whose heap is the engine's (it runs in
 * process) and whose CPU is measured.
 */
class OrderStream {
  private readonly symbols = defaultSymbolTable();
  private readonly generator: OrderFlowGenerator;
  private readonly cmd = createCommand();
  private index = -1;
  private current = { value: Buffer.alloc(0), key: '', partition: 0 };

  constructor(
    seed: number,
    private readonly format: 'json' | 'binary',
  ) {
    this.generator = new OrderFlowGenerator({ seed, symbols: this.symbols, accounts: 1000 });
  }

  value(i: number): Buffer {
    return this.at(i).value;
  }
  key(i: number): string {
    return this.at(i).key;
  }
  partition(i: number): number {
    return this.at(i).partition;
  }

  private at(i: number): { value: Buffer; key: string; partition: number } {
    if (i === this.index) return this.current;
    if (i !== this.index + 1) throw new Error(`OrderStream: message ${i} asked after ${this.index} (in order only)`);
    this.generator.next(this.cmd);
    const key = this.symbols.nameOf(this.cmd.symbolId) ?? String(this.cmd.symbolId);
    const value = this.format === 'json' ? Buffer.from(commandToJson(this.cmd, this.symbols)) : Buffer.from(encodeMessage(this.cmd, 'binary'));
    this.index = i;
    this.current = { value, key, partition: partitionForKey(key, PARTITIONS) };
    return this.current;
  }
}

/** Produces the seeded stream's first n orders to `topic`, made as they are sent. */
function produceStream(kafka: Kafka, topic: string, n: number, seed: number, format: 'json' | 'binary'): ReturnType<typeof produceBenchOrders> {
  const stream = new OrderStream(seed, format);
  return produceBenchOrders(kafka, topic, {
    n,
    partitions: PARTITIONS,
    encode: (i) => stream.value(i),
    key: (i) => stream.key(i),
    partition: (i) => stream.partition(i),
  });
}

function engineFor(brokers: string[], topic: string, dataDir: string, extra: string[] = [], client: 'kafkajs' | 'native' = 'kafkajs'): Engine {
  const config = benchRunConfig(dataDir, [
    '--source',
    'kafka',
    '--brokers',
    brokers.join(','),
    '--topic',
    topic,
    '--group',
    uniqueTopic('bench-engine'),
    '--kafka-client',
    client,
    ...extra,
  ]);
  return new Engine(config, { log: () => undefined });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type KafkaClient = 'kafkajs' | 'native';

interface ClientRun {
  client: KafkaClient;
  wire: 'json' | 'binary';
  engine: EngineRun;
  pipe: PipeResult;
  /** The fastest client built here (native when it loads): its lines carry the plain names. */
  best: boolean;
  /** What scanned the JSON orders (native only on the native client, JSON wire, module built). */
  scanner: 'js' | 'native';
  /** Native client, JSON, native scanner: the same run with --json-scanner js (same-run A/B). */
  jsScanner?: EngineRun;
}

/** `engine-kafka`, `engine-kafka:binary`, `engine-kafka:kafkajs`, `engine-kafka:binary-kafkajs` (and the same under `:pipe`). */
function lineName(base: string, run: ClientRun): string {
  const parts = [run.wire === 'binary' ? 'binary' : '', run.best ? '' : 'kafkajs'].filter(Boolean).join('-');
  if (!parts) return base;
  return base.includes(':') ? `${base}-${parts}` : `${base}:${parts}`;
}

/** CPU time (ms) the broker process has used so far, from /proc (null if not our script's broker). */
function brokerCpuMs(brokers: string[]): number | null {
  const pid = brokerPid(Number(brokers[0]?.split(':')[1]));
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz clock ticks
  } catch {
    return null;
  }
}

interface EngineRun {
  ops_per_s: number;
  total_s: number;
  summary: EngineSummary;
  phases: Record<string, number>;
  cpu: Record<string, number | null>;
}

/** Runs the engine until the outputs of `n` orders are acknowledged; steady-state rate. */
async function measureEngine(
  brokers: string[],
  topic: string,
  dataDir: string,
  n: number,
  timeoutMs: number,
  extra: string[] = [],
  client: 'kafkajs' | 'native' = 'kafkajs',
): Promise<EngineRun> {
  const engine = engineFor(brokers, topic, dataDir, extra, client);
  const v = new Float64Array(engine.stats);
  const start = performance.now();
  const done = engine.run();
  let first = 0;
  let last = 0;
  let consumed = 0;
  let matched = 0;
  const deadline = start + timeoutMs;
  let failed: unknown = null;
  // CPU over the measured span: this process (every engine worker is a thread of it) and the broker.
  let cpu0 = process.cpuUsage();
  let broker0: number | null = null;
  done.catch((e: unknown) => (failed = e));
  while (!failed) {
    if (first === 0 && v[Stat.published]! >= 1) {
      first = performance.now();
      cpu0 = process.cpuUsage();
      broker0 = brokerCpuMs(brokers);
    }
    if (consumed === 0 && v[Stat.published]! >= n) consumed = performance.now();
    if (matched === 0 && v[Stat.matched]! >= n) matched = performance.now();
    if ((engine.progress()?.outputsDurable ?? -1) >= n) {
      last = performance.now();
      break;
    }
    if (performance.now() > deadline) {
      engine.stop('bench timeout');
      throw new Error(`engine-kafka: outputs of ${n} orders not acknowledged within ${timeoutMs} ms (${JSON.stringify(engine.progress())})`);
    }
    await sleep(2);
  }
  const used = process.cpuUsage(cpu0);
  const broker1 = brokerCpuMs(brokers);
  engine.stop('bench done');
  const summary = await done;
  const cpu = {
    engine_cpu_us_per_order: round((used.user + used.system) / n),
    broker_cpu_us_per_order: broker0 !== null && broker1 !== null ? round(((broker1 - broker0) * 1000) / n) : null,
  };
  // Where the time goes: all input in the ring / all matched / all outputs acknowledged.
  const phases = { consumed_s: round((consumed - first) / 1000), matched_s: round((matched - first) / 1000), acked_s: round((last - first) / 1000) };
  return { ops_per_s: n / ((last - first) / 1000), total_s: (last - start) / 1000, summary, phases, cpu };
}

/** Produces `values` at `rate` msgs/s (chunks every 10 ms) while the engine runs. */
async function producePaced(kafka: Kafka, topic: string, m: Messages, rate: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: IDEMPOTENT_RETRY });
  await withTimeout(producer.connect(), 30_000, 'paced producer connect');
  const started = performance.now();
  try {
    for (let i = 0; i < m.values.length; ) {
      const due = Math.min(m.values.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      if (due > i) {
        const messages = [];
        for (; i < due; i++) messages.push({ key: m.keys[i]!, value: m.values[i]!, partition: m.partitions[i]! });
        await withTimeout(producer.send({ topic, acks: -1, messages }), 30_000, 'paced produce');
      }
      await sleep(10);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Order record timestamp -> first report record timestamp, per order id (ms; p50/p99 in us). */
async function endToEndLatency(kafka: Kafka, topic: string): Promise<{ p50_us: number | null; p99_us: number | null; samples: number }> {
  const orders = await readTopic(kafka, topic, { timeoutMs: 60_000 });
  const sentAt = new Map<number, number>();
  for (const r of orders) {
    const id = (JSON.parse(r.value!.toString()) as { orderId?: number }).orderId;
    if (id !== undefined) sentAt.set(id, r.timestamp);
  }
  const latencies: number[] = [];
  const seen = new Set<number>();
  for (const r of await readTopic(kafka, `${topic}.reports`, { timeoutMs: 60_000 })) {
    for (const line of unpackOutputs(r.value, r.headers as never)) {
      const id = Number(/"orderId":(\d+)/.exec(line)?.[1]);
      if (seen.has(id) || !sentAt.has(id)) continue;
      seen.add(id);
      latencies.push(r.timestamp - sentAt.get(id)!);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number): number | null =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 1000 : null;
  return { p50_us: at(50), p99_us: at(99), samples: latencies.length };
}

export const groups: BenchGroup[] = [
  {
    group: 'engine-kafka',
    async *run(ctx) {
      const n = ctx.quick ? 60_000 : 1_000_000;
      const paced = { n: ctx.quick ? 6_000 : 30_000, rate: 3_000 };
      const avail = kafkaAvailability();
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-bench-engine-kafka-'));
      const topics: string[] = [];
      try {
        const result = await withBenchBroker(ctx, async (kafka) => {
          try {
            return await measureAll(kafka);
          } finally {
            await deleteTopics(kafka, topics).catch(() => undefined);
          }
        });
        async function measureAll(kafka: Kafka) {
          if (!avail.ok) throw new Error('unreachable');
          const brokers = avail.brokers;
          const topic = uniqueTopic('bench-eko');
          const channelPrefix = `${topic}-channel`;
          topics.push(topic, `${topic}.trades`, `${topic}.reports`, `${topic}.dlq`, `${channelPrefix}.trades`, `${channelPrefix}.reports`);
          const produced = await produceStream(kafka, topic, n, 7, 'json');
          ctx.log(`engine-kafka: produced ${n} orders in ${produced.seconds.toFixed(1)} s; raw consume`);
          const raw = await measureRawConsume(kafka, topic, n);
          // The same orders on the binary wire both ways (input codec and output batches), against
          // a raw consume of those binary messages: what the engine costs when JSON does not.
          const binTopic = `${topic}-bin`;
          topics.push(binTopic);
          await produceStream(kafka, binTopic, n, 7, 'binary');
          ctx.log(`engine-kafka: binary wire: raw consume`);
          const binRaw = await measureRawConsume(kafka, binTopic, n);
          // Every client and wire: an engine run on a topic of its own (a topic's outputs, once
          // written, make a fresh engine refuse it), then the pipe floor with the same client and
          // that run's own output records.
          const clients: KafkaClient[] = (await loadNativeKafka()) ? ['native', 'kafkajs'] : ['kafkajs'];
          const nativeScanner = (await resolveJsonScanner('auto')).scanner === 'native';
          if (clients.length === 1) ctx.log(`engine-kafka: kafkajs only (${String(nativeKafkaLoadFailure())})`);
          const runs: ClientRun[] = [];
          for (const client of clients) {
            for (const wire of ['json', 'binary'] as const) {
              const runTopic = `${topic}-${client}-${wire}`;
              topics.push(runTopic, `${runTopic}.trades`, `${runTopic}.reports`, `${runTopic}.dlq`);
              await produceStream(kafka, runTopic, n, 7, wire);
              ctx.log(`engine-kafka: ${client} client, ${wire} wire: engine, then the pipe floor`);
              const flags = wire === 'binary' ? ['--format', 'binary', '--output-format', 'binary'] : [];
              const engine = await measureEngine(brokers, runTopic, path.join(root, `engine-${client}-${wire}`), n, 300_000, flags, client);
              const outputs = await engineOutputs(kafka, runTopic);
              const pipe = await measurePipe(kafka, brokers, runTopic, n, outputs, client, PARTITIONS, () => brokerCpuMs(brokers), topics);
              const scanner = client === 'native' && wire === 'json' && nativeScanner ? 'native' : 'js';
              const run: ClientRun = { client, wire, engine, pipe, best: client === clients[0], scanner };
              if (scanner === 'native') {
                const jsTopic = `${runTopic}-js`;
                topics.push(jsTopic, `${jsTopic}.trades`, `${jsTopic}.reports`, `${jsTopic}.dlq`);
                await produceStream(kafka, jsTopic, n, 7, wire);
                ctx.log(`engine-kafka: ${client} client, ${wire} wire: the engine again with --json-scanner js`);
                run.jsScanner = await measureEngine(
                  brokers,
                  jsTopic,
                  path.join(root, `engine-${client}-${wire}-js`),
                  n,
                  300_000,
                  ['--json-scanner', 'js'],
                  client,
                );
              }
              runs.push(run);
            }
          }
          ctx.log(`engine-kafka: channel baseline`);
          const channel = await runChannelEngine({
            dataDir: path.join(root, 'channel'),
            orders: n,
            seed: 0,
            symbols: 0,
            accounts: 0,
            backend: 'auto',
            timeoutMs: 300_000,
            // the client and JSON scanner of the line it is compared with (vs_channel)
            kafka: {
              brokers,
              topic,
              groupId: uniqueTopic('bench-channel'),
              messages: n,
              outputPrefix: channelPrefix,
              client: runs[0]!.client,
              jsonScanner: runs[0]!.scanner,
            },
          });
          ctx.log(`engine-kafka: paced latency run (${paced.n} orders at ${paced.rate}/s)`);
          const latTopic = uniqueTopic('bench-ekl');
          topics.push(latTopic, `${latTopic}.trades`, `${latTopic}.reports`, `${latTopic}.dlq`);
          await ensureTopics(kafka, [{ topic: latTopic, partitions: PARTITIONS }]);
          const pm = benchMessages(paced.n, 9);
          const latEngine = engineFor(brokers, latTopic, path.join(root, 'lat'), ['--stop-when-idle', '1500'], runs[0]!.client);
          const latDone = latEngine.run();
          // The group join takes seconds: pace the orders only once the engine consumes (the
          // first order goes alone and must be published into the ring first).
          await producePaced(kafka, latTopic, { values: pm.values.slice(0, 1), keys: pm.keys.slice(0, 1), partitions: pm.partitions.slice(0, 1) }, paced.rate);
          const lv = new Float64Array(latEngine.stats);
          const joinDeadline = performance.now() + 60_000;
          while (lv[Stat.published]! < 1) {
            if (performance.now() > joinDeadline) throw new Error('paced engine did not start consuming within 60 s');
            await sleep(5);
          }
          await producePaced(kafka, latTopic, { values: pm.values.slice(1), keys: pm.keys.slice(1), partitions: pm.partitions.slice(1) }, paced.rate);
          await withTimeout(latDone, 120_000, 'paced engine run');
          const e2e = await endToEndLatency(kafka, latTopic);
          return { raw, runs, channel, e2e, produced, binRaw };
        }
        if ('skipped' in result) {
          for (const bench of [
            'engine-kafka',
            'engine-kafka:binary',
            'engine-kafka:pipe',
            'engine-kafka:pipe-binary',
            'engine-kafka:kafkajs-raw',
            'engine-kafka:channel',
          ])
            yield { bench, ops_per_s: null, p50_us: null, p99_us: null, skipped: result.skipped };
          return;
        }
        const { raw, runs, channel, e2e, binRaw } = result;
        const channelOps = n / channel.steadySeconds;
        const reference = runs[0]!.engine.summary.trades;
        for (const run of runs) {
          const { engine, pipe, wire, client } = run;
          const binary = wire === 'binary';
          const kafkajsTwin = run.best && client !== 'kafkajs' ? runs.find((r) => r.client === 'kafkajs' && r.wire === wire) : undefined;
          const total = (engine.cpu.engine_cpu_us_per_order ?? 0) + (engine.cpu.broker_cpu_us_per_order ?? 0);
          const line: BenchLine = {
            bench: lineName('engine-kafka', run),
            ops_per_s: engine.ops_per_s,
            p50_us: run.best && !binary ? e2e.p50_us : null,
            p99_us: run.best && !binary ? e2e.p99_us : null,
            client,
            wire: binary ? 'binary orders in, binary output batches out' : 'JSON both ways',
            json_scanner: run.scanner,
            ring_p50_us: engine.summary.latencyP50Us,
            ring_p99_us: engine.summary.latencyP99Us,
            orders: n,
            partitions: PARTITIONS,
            trades: engine.summary.trades,
            reports: engine.summary.reports,
            same_trade_count: engine.summary.trades === reference,
            total_s: round(engine.total_s),
            wal_backend: engine.summary.walBackend,
            wal_avg_batch: engine.summary.walAvgBatch,
            ...engine.phases,
            ...engine.cpu,
            // engine process + broker, the budget (JSON <= 8 us, binary <= 4 us)
            cpu_total_us_per_order: round(total),
            source_stalls: engine.summary.sourceStalls,
            vs_pipe: round(engine.ops_per_s / pipe.ops_per_s),
            vs_raw: round(engine.ops_per_s / (binary ? binRaw : raw).ops_per_s),
          };
          if (kafkajsTwin) {
            line.vs_kafkajs = round(engine.ops_per_s / kafkajsTwin.engine.ops_per_s);
            line.cpu_vs_kafkajs = round(
              total / ((kafkajsTwin.engine.cpu.engine_cpu_us_per_order ?? 0) + (kafkajsTwin.engine.cpu.broker_cpu_us_per_order ?? 0)),
            );
          }
          if (run.best && !binary) {
            line.latency = `order record -> report record (Kafka CreateTime, ms resolution), paced ${paced.rate}/s`;
            line.latency_samples = e2e.samples;
            line.vs_channel = round(engine.ops_per_s / channelOps);
            line.rss_mb = rssMb();
          }
          const js = run.jsScanner;
          if (js) line.vs_js_scanner = round(engine.ops_per_s / js.ops_per_s);
          yield line;
          if (js) {
            yield {
              bench: lineName('engine-kafka:js-scanner', run),
              ops_per_s: js.ops_per_s,
              p50_us: null,
              p99_us: null,
              client,
              what: 'the line above with --json-scanner js: the JS byte scanner per message instead of the native scanner per poll',
              json_scanner: 'js',
              trades: js.summary.trades,
              same_trade_count: js.summary.trades === reference,
              ...js.cpu,
              cpu_total_us_per_order: round((js.cpu.engine_cpu_us_per_order ?? 0) + (js.cpu.broker_cpu_us_per_order ?? 0)),
            };
          }
          yield {
            bench: lineName('engine-kafka:pipe', run),
            ops_per_s: pipe.ops_per_s,
            p50_us: null,
            p99_us: null,
            client,
            what: 'bare consume of the same orders + produce of the same output records, same client; no WAL, no matching',
            output_records: pipe.output_records,
            engine_cpu_us_per_order: pipe.engine_cpu_us_per_order,
            broker_cpu_us_per_order: pipe.broker_cpu_us_per_order,
          };
        }
        yield {
          bench: 'engine-kafka:kafkajs-raw',
          ops_per_s: raw.ops_per_s,
          p50_us: null,
          p99_us: null,
          orders: n,
          partitions: PARTITIONS,
          total_s: round(raw.total_s),
          mean_batch: Math.round(raw.mean_batch),
        };
        yield {
          bench: 'engine-kafka:channel',
          ops_per_s: channelOps,
          p50_us: channel.latencyP50Us,
          p99_us: channel.latencyP99Us,
          latency: 'poller post -> matched (saturated, in-process)',
          client: runs[0]!.client,
          json_scanner: runs[0]!.scanner,
          partitions: PARTITIONS,
          orders: channel.orders,
          trades: channel.trades,
          same_trade_count: channel.trades === reference,
          wal_avg_batch: channel.walAvgBatch,
          total_s: round(channel.seconds),
        };
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
