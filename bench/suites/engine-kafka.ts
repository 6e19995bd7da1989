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
import { Engine, Stat, resolveJsonScanner, resolveJsonWriter, unpackOutputs, type EngineSummary } from '@ringmatch/engine';
import { benchRunConfig } from '../engine-config.js';
import { IDEMPOTENT_RETRY, deleteTopics, ensureTopics, loadNativeKafka, nativeKafkaLoadFailure, partitionForKey, withTimeout } from '@ringmatch/kafka';
import { brokerPid, kafkaAvailability, readTopic, uniqueTopic, type ReadRecord } from '@ringmatch/test-kit';
import { runChannelEngine, type ChannelRunResult } from '../channel/run.js';
import type { BenchGroup, BenchLine } from '../types.js';
import { round, rssMb, runsText } from '../stats.js';
import { measureGroup, median, methodFields, type Measured } from '../method.js';
import { measureRawConsume, produceBenchOrders, withBenchBroker, type RawConsumeResult } from './kafka.js';
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

/** A line's client and wire. */
interface ClientRun {
  client: KafkaClient;
  wire: 'json' | 'binary';
  /** The fastest client built here (native when it loads): its lines carry the plain names. */
  best: boolean;
  /** What scanned the JSON orders (native only on the native client, JSON wire, module built). */
  scanner: 'js' | 'native';
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
  /** Orders after the warm-up, per second of the steady window. */
  ops_per_s: number;
  /** All orders, from the first one into the ring. */
  cold_ops_per_s: number;
  total_s: number;
  summary: EngineSummary;
  phases: Record<string, number>;
  cpu: Record<string, number | null>;
}

/**
 * Runs the engine until the outputs of all `n` orders are acknowledged. The steady window starts
 * once `warm` orders are in the ring (JIT warm-up: see the notes) and counts the orders after
 * them; `cold_ops_per_s` is the whole run from the first order.
 */
async function measureEngine(
  brokers: string[],
  topic: string,
  dataDir: string,
  n: number,
  warm: number,
  timeoutMs: number,
  extra: string[] = [],
  client: 'kafkajs' | 'native' = 'kafkajs',
): Promise<EngineRun> {
  const engine = engineFor(brokers, topic, dataDir, extra, client);
  const v = new Float64Array(engine.stats);
  const start = performance.now();
  const done = engine.run();
  let coldFirst = 0;
  let first = 0;
  let atFirst = 0;
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
    if (coldFirst === 0 && v[Stat.published]! >= 1) coldFirst = performance.now();
    if (first === 0 && v[Stat.published]! >= Math.max(1, warm)) {
      first = performance.now();
      atFirst = warm > 0 ? v[Stat.published]! : 0;
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
  const measured = n - atFirst;
  const cpu = {
    engine_cpu_us_per_order: round((used.user + used.system) / measured),
    broker_cpu_us_per_order: broker0 !== null && broker1 !== null ? round(((broker1 - broker0) * 1000) / measured) : null,
  };
  // Where the time goes: all input in the ring / all matched / all outputs acknowledged (from the window's start).
  const phases = { consumed_s: round((consumed - first) / 1000), matched_s: round((matched - first) / 1000), acked_s: round((last - first) / 1000) };
  return {
    ops_per_s: measured / ((last - first) / 1000),
    cold_ops_per_s: n / ((last - coldFirst) / 1000),
    total_s: (last - start) / 1000,
    summary,
    phases,
    cpu,
  };
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

/** One measured thing of the group: every one is a line (or feeds one), by the method. */
type Item =
  | { kind: 'engine'; client: KafkaClient; wire: Wire; jsScanner: boolean }
  | { kind: 'pipe'; client: KafkaClient; wire: Wire }
  | { kind: 'raw'; wire: Wire }
  | { kind: 'channel'; wire: Wire }
  | { kind: 'paced' };

type Wire = 'json' | 'binary';
type E2e = Awaited<ReturnType<typeof endToEndLatency>>;

/** One run of an item; `figure` is what its runs are the median of (orders/s; the paced run: e2e p50). */
interface Run {
  figure: number;
  engine?: EngineRun;
  pipe?: PipeResult;
  raw?: RawConsumeResult;
  channel?: ChannelRunResult;
  e2e?: E2e;
}

/** The median of a figure over runs (null if a run lacks it). */
function medianOf<R>(runs: readonly R[], figure: (r: R) => number | null | undefined): number | null {
  const values = runs.map(figure);
  return values.some((v) => v === null || v === undefined) ? null : median(values as number[]);
}

const WIRE_TEXT: Record<Wire, string> = { json: 'JSON both ways', binary: 'binary orders in, binary output batches out' };
const WIRE_FLAGS: Record<Wire, string[]> = { json: [], binary: ['--format', 'binary', '--output-format', 'binary'] };

export const groups: BenchGroup[] = [
  {
    group: 'engine-kafka',
    async *run(ctx) {
      // Per run (a warm-up round and five measured, bench/method.ts): 250k orders measured after
      // 150k that warm the JIT up (every run is a fresh engine: new workers, new isolates), for the
      // engines, the pipes and the channel baselines alike. 1M orders, one run, before 4049275;
      // 250k with no warm-up until session 11.
      const n = ctx.quick ? 30_000 : 250_000;
      const warm = ctx.quick ? 10_000 : 150_000;
      const total = n + warm;
      const paced = { n: ctx.quick ? 3_000 : 9_000, rate: 3_000 };
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
          // The input of every run that only reads (raw consumes, pipes, channel baselines): one
          // topic per wire. An engine run writes outputs named after its input topic, so each
          // engine run gets a fresh input topic of its own (produced before its clock starts).
          const base: Record<Wire, string> = { json: topic, binary: `${topic}-bin` };
          topics.push(base.json, base.binary);
          const produced = await produceStream(kafka, base.json, total, 7, 'json');
          await produceStream(kafka, base.binary, total, 7, 'binary');
          ctx.log(`engine-kafka: produced ${total} orders per wire (JSON in ${produced.seconds.toFixed(1)} s)`);
          const clients: KafkaClient[] = (await loadNativeKafka()) ? ['native', 'kafkajs'] : ['kafkajs'];
          const nativeScanner = (await resolveJsonScanner('auto')).scanner === 'native';
          // The engines write output JSON with what --json-writer auto takes; the channel baselines too.
          const jsonWriter = (await resolveJsonWriter('auto')).writer;
          if (clients.length === 1) ctx.log(`engine-kafka: kafkajs only (${String(nativeKafkaLoadFailure())})`);
          const best = clients[0]!;
          const scannerOf = (client: KafkaClient, wire: Wire): 'js' | 'native' => (client === 'native' && wire === 'json' && nativeScanner ? 'native' : 'js');
          const items: Item[] = [];
          for (const client of clients)
            for (const wire of ['json', 'binary'] as const) {
              items.push({ kind: 'engine', client, wire, jsScanner: false });
              if (scannerOf(client, wire) === 'native') items.push({ kind: 'engine', client, wire, jsScanner: true });
            }
          for (const client of clients) for (const wire of ['json', 'binary'] as const) items.push({ kind: 'pipe', client, wire });
          items.push(
            { kind: 'raw', wire: 'json' },
            { kind: 'raw', wire: 'binary' },
            { kind: 'channel', wire: 'json' },
            { kind: 'channel', wire: 'binary' },
            { kind: 'paced' },
          );
          // The pipes publish an engine run's own output records (the first run of that client and wire).
          const outputs = new Map<string, ReadRecord[]>();
          let runNo = 0;
          const once = async (item: Item): Promise<Run> => {
            const tag = `r${runNo++}`;
            if (item.kind === 'engine') {
              const { client, wire } = item;
              const runTopic = `${topic}-${client}-${wire}${item.jsScanner ? '-js' : ''}-${tag}`;
              const own = [runTopic, `${runTopic}.trades`, `${runTopic}.reports`, `${runTopic}.dlq`];
              topics.push(...own);
              await produceStream(kafka, runTopic, total, 7, wire);
              const flags = [...WIRE_FLAGS[wire], ...(item.jsScanner ? ['--json-scanner', 'js'] : [])];
              const engine = await measureEngine(brokers, runTopic, path.join(root, `engine-${tag}`), total, warm, 300_000, flags, client);
              fs.rmSync(path.join(root, `engine-${tag}`), { recursive: true, force: true });
              const key = `${client}-${wire}`;
              if (!item.jsScanner && !outputs.has(key)) outputs.set(key, await engineOutputs(kafka, runTopic));
              else await deleteTopics(kafka, own).catch(() => undefined); // a million messages a round: not kept
              return { figure: engine.ops_per_s, engine };
            }
            if (item.kind === 'pipe') {
              const records = outputs.get(`${item.client}-${item.wire}`);
              if (!records) throw new Error(`engine-kafka: no engine outputs for the ${item.client} ${item.wire} pipe`);
              const pipe = await measurePipe(
                kafka,
                brokers,
                base[item.wire],
                total,
                warm,
                records,
                item.client,
                PARTITIONS,
                () => brokerCpuMs(brokers),
                topics,
              );
              return { figure: pipe.ops_per_s, pipe };
            }
            if (item.kind === 'raw') {
              const raw = await measureRawConsume(kafka, base[item.wire], n);
              return { figure: raw.ops_per_s, raw };
            }
            if (item.kind === 'channel') {
              const outputPrefix = `${topic}-channel-${item.wire}-${tag}`;
              topics.push(`${outputPrefix}.trades`, `${outputPrefix}.reports`);
              const channel = await runChannelEngine({
                dataDir: path.join(root, `channel-${tag}`),
                orders: total,
                seed: 0,
                symbols: 0,
                accounts: 0,
                backend: 'auto',
                timeoutMs: 300_000,
                // the client, JSON scanner and wire of the line its vs_channel divides
                kafka: {
                  brokers,
                  topic: base[item.wire],
                  groupId: uniqueTopic('bench-channel'),
                  messages: total,
                  warmOrders: warm,
                  outputPrefix,
                  client: best,
                  jsonScanner: scannerOf(best, item.wire),
                  jsonWriter,
                  format: item.wire,
                  outputFormat: item.wire,
                },
              });
              fs.rmSync(path.join(root, `channel-${tag}`), { recursive: true, force: true });
              await deleteTopics(kafka, [`${outputPrefix}.trades`, `${outputPrefix}.reports`]).catch(() => undefined);
              return { figure: channel.steadyOrders / channel.steadySeconds, channel };
            }
            const e2e = await pacedRun(kafka, brokers, path.join(root, `lat-${tag}`), best, paced, topics);
            return { figure: e2e.p50_us ?? Number.NaN, e2e };
          };
          ctx.log(`engine-kafka: ${items.length} items, ${warm} + ${n} orders a run (JIT warm-up + measured), a warm-up round then the median of the runs`);
          const { load, results } = await measureGroup(ctx, items, once, (r) => r.figure);
          return { items, results, load, produced, clients, scannerOf };
        }
        if ('skipped' in result) {
          for (const bench of [
            'engine-kafka',
            'engine-kafka:binary',
            'engine-kafka:pipe',
            'engine-kafka:pipe-binary',
            'engine-kafka:kafkajs-raw',
            'engine-kafka:channel',
            'engine-kafka:channel-binary',
          ])
            yield { bench, ops_per_s: null, p50_us: null, p99_us: null, skipped: result.skipped };
          return;
        }
        const { items, results, load, clients, scannerOf } = result;
        const find = (pred: (item: Item) => boolean): Measured<Run> | undefined => {
          const k = items.findIndex(pred);
          return k < 0 ? undefined : results[k];
        };
        const engineOf = (client: KafkaClient, wire: Wire, js = false) =>
          find((i) => i.kind === 'engine' && i.client === client && i.wire === wire && i.jsScanner === js);
        const method = (m: Measured<Run>) => methodFields(m.values, load);
        const e2e = find((i) => i.kind === 'paced')!;
        const channelOf = (wire: Wire) => find((i) => i.kind === 'channel' && i.wire === wire)!;
        const reference = engineOf(clients[0]!, 'json')!.median.engine!.summary.trades;
        const cpuTotal = (e: EngineRun): number => (e.cpu.engine_cpu_us_per_order ?? 0) + (e.cpu.broker_cpu_us_per_order ?? 0);
        const cpuOf = (m: Measured<Run>) => ({
          engine_cpu_us_per_order: medianOf(m.all, (r) => r.engine!.cpu.engine_cpu_us_per_order),
          broker_cpu_us_per_order: medianOf(m.all, (r) => r.engine!.cpu.broker_cpu_us_per_order),
          // engine process + broker, the budget (JSON <= 8 us, binary <= 4 us)
          cpu_total_us_per_order: round(median(m.all.map((r) => cpuTotal(r.engine!)))),
        });
        for (const client of clients) {
          for (const wire of ['json', 'binary'] as const) {
            const m = engineOf(client, wire)!;
            const engine = m.median.engine!;
            const binary = wire === 'binary';
            const run: ClientRun = { client, wire, best: client === clients[0], scanner: scannerOf(client, wire) };
            const pipe = find((i) => i.kind === 'pipe' && i.client === client && i.wire === wire)!;
            const raw = find((i) => i.kind === 'raw' && i.wire === wire)!;
            const cpu = cpuOf(m);
            const kafkajsTwin = run.best && client !== 'kafkajs' ? engineOf('kafkajs', wire) : undefined;
            const line: BenchLine = {
              bench: lineName('engine-kafka', run),
              ops_per_s: m.value,
              // in-process, as every p50_us/p99_us here: published into the ring -> matched, in these saturated runs
              p50_us: medianOf(m.all, (r) => r.engine!.summary.latencyP50Us),
              p99_us: medianOf(m.all, (r) => r.engine!.summary.latencyP99Us),
              latency: 'p50_us/p99_us in-process (published into the ring -> matched, saturated runs)',
              client,
              wire: WIRE_TEXT[wire],
              json_scanner: run.scanner,
              orders: n,
              warm_orders: warm,
              // the whole run, warm-up included (first order into the ring -> last output acknowledged)
              cold_ops_per_s: medianOf(m.all, (r) => r.engine!.cold_ops_per_s),
              partitions: PARTITIONS,
              trades: engine.summary.trades,
              reports: engine.summary.reports,
              same_trade_count: m.all.every((r) => r.engine!.summary.trades === reference),
              total_s: round(engine.total_s),
              wal_backend: engine.summary.walBackend,
              wal_avg_batch: engine.summary.walAvgBatch,
              ...engine.phases,
              ...cpu,
              source_stalls: engine.summary.sourceStalls,
              vs_pipe: round(m.value / pipe.value),
              vs_raw: round(m.value / raw.value),
              ...method(m),
            };
            if (kafkajsTwin) {
              line.vs_kafkajs = round(m.value / kafkajsTwin.value);
              line.cpu_vs_kafkajs = round(cpu.cpu_total_us_per_order / cpuOf(kafkajsTwin).cpu_total_us_per_order);
            }
            if (run.best) {
              // the channel baseline on this line's client, scanner and wire
              line.vs_channel = round(m.value / channelOf(wire).value);
              if (!binary) {
                line.e2e_p50_us = e2e.value;
                line.e2e_p99_us = medianOf(e2e.all, (r) => r.e2e!.p99_us);
                line.e2e_p99_us_runs = runsText(e2e.all.map((r) => r.e2e!.p99_us ?? Number.NaN));
                line.e2e_latency = `order record -> report record (Kafka CreateTime, ms resolution), paced ${paced.rate}/s, ${paced.n} orders a run`;
                line.e2e_samples = e2e.median.e2e!.samples;
                line.rss_mb = rssMb();
              }
            }
            const js = engineOf(client, wire, true);
            if (js) line.vs_js_scanner = round(m.value / js.value);
            yield line;
            if (js) {
              yield {
                bench: lineName('engine-kafka:js-scanner', run),
                ops_per_s: js.value,
                p50_us: medianOf(js.all, (r) => r.engine!.summary.latencyP50Us),
                p99_us: medianOf(js.all, (r) => r.engine!.summary.latencyP99Us),
                client,
                what: 'the line above with --json-scanner js: the JS byte scanner per message instead of the native scanner per poll',
                json_scanner: 'js',
                trades: js.median.engine!.summary.trades,
                same_trade_count: js.all.every((r) => r.engine!.summary.trades === reference),
                ...cpuOf(js),
                ...method(js),
              };
            }
            yield {
              bench: lineName('engine-kafka:pipe', run),
              ops_per_s: pipe.value,
              p50_us: null,
              p99_us: null,
              client,
              what: 'bare consume of the same orders + produce of the same output records, same client; no WAL, no matching',
              output_records: pipe.median.pipe!.output_records,
              engine_cpu_us_per_order: medianOf(pipe.all, (r) => r.pipe!.engine_cpu_us_per_order),
              broker_cpu_us_per_order: medianOf(pipe.all, (r) => r.pipe!.broker_cpu_us_per_order),
              ...method(pipe),
            };
          }
        }
        for (const wire of ['json', 'binary'] as const) {
          const raw = find((i) => i.kind === 'raw' && i.wire === wire)!;
          yield {
            bench: wire === 'json' ? 'engine-kafka:kafkajs-raw' : 'engine-kafka:kafkajs-raw-binary',
            ops_per_s: raw.value,
            p50_us: null,
            p99_us: null,
            wire: wire === 'json' ? 'JSON orders' : 'binary orders',
            orders: n,
            partitions: PARTITIONS,
            total_s: round(raw.median.raw!.total_s),
            mean_batch: Math.round(raw.median.raw!.mean_batch),
            ...method(raw),
          };
        }
        for (const wire of ['json', 'binary'] as const) {
          const ch = channelOf(wire);
          const c = ch.median.channel!;
          yield {
            bench: wire === 'json' ? 'engine-kafka:channel' : 'engine-kafka:channel-binary',
            ops_per_s: ch.value,
            p50_us: medianOf(ch.all, (r) => r.channel!.latencyP50Us),
            p99_us: medianOf(ch.all, (r) => r.channel!.latencyP99Us),
            latency: 'p50_us/p99_us in-process (poller post -> matched, saturated runs)',
            client: clients[0]!,
            json_scanner: scannerOf(clients[0]!, wire),
            wire: WIRE_TEXT[wire],
            partitions: PARTITIONS,
            orders: c.orders,
            trades: c.trades,
            same_trade_count: ch.all.every((r) => r.channel!.trades === reference),
            wal_avg_batch: c.walAvgBatch,
            total_s: round(c.seconds),
            ...method(ch),
          };
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  },
];

/**
 * The paced latency run (the fastest client, JSON): a fresh topic, the engine started, then
 * `paced.n` orders produced live at `paced.rate`/s; order record -> first report record.
 */
async function pacedRun(
  kafka: Kafka,
  brokers: string[],
  dataDir: string,
  client: KafkaClient,
  paced: { n: number; rate: number },
  topics: string[],
): Promise<E2e> {
  const latTopic = uniqueTopic('bench-ekl');
  topics.push(latTopic, `${latTopic}.trades`, `${latTopic}.reports`, `${latTopic}.dlq`);
  await ensureTopics(kafka, [{ topic: latTopic, partitions: PARTITIONS }]);
  const pm = benchMessages(paced.n, 9);
  const latEngine = engineFor(brokers, latTopic, dataDir, ['--stop-when-idle', '1500'], client);
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
  fs.rmSync(dataDir, { recursive: true, force: true });
  return e2e;
}
