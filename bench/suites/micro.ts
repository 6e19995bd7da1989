// Micro benchmarks with tinybench: the per-message and per-output building blocks of the hot path,
// each against the obvious implementation in the same run (`<bench>:<baseline>`). ops_per_s is
// tinybench's mean throughput; p50/p99 are its per-call latency percentiles (with timer overhead).
//   micro-decode-json   a JSON order message -> command (the Kafka/file fast path)  vs JSON.parse
//   micro-encode-trade  a trade -> NDJSON bytes (OutputJsonEncoder)                 vs template string + TextEncoder
//   micro-command-slot  a command -> 64-byte slot -> command                         vs structuredClone of the command
// Ring cursor operations take a few ns, far below tinybench's per-call overhead, so each of their
// tasks runs CURSOR_OPS operations per call; ops_per_s counts operations, p50/p99 are per operation.
//   micro-cursor-set-get      Sequence.set + get (a stage's cursor)          vs plain Int32Array store + load, Atomics store + load
//   micro-barrier-available   barrier.available, one dependency               vs a bare Atomics.load
//   micro-sequence-set-store  a SequenceSet sequence's set, nobody waiting    vs a bare Atomics.store
import { Bench } from 'tinybench';
import { Pipeline, SequenceSet, WaitStrategies } from '@ringmatch/ring';
import { createCommand, createTrade, decodeMessageEach, defaultSymbolTable, encodeTradeJson, OutputJsonEncoder, readCommand, writeCommand, COMMAND_SLOT_BYTES } from '@ringmatch/protocol';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { round } from '../stats.js';

const symbols = defaultSymbolTable();
const ORDER = new TextEncoder().encode('{"op":"new","symbol":"BTC-USD","orderId":123456,"account":77,"side":"buy","type":"limit","price":6500000,"qty":25}');

async function measure(ctx: BenchContext, tasks: Record<string, () => void>): Promise<Map<string, { ops: number; p50: number | null; p99: number | null }>> {
  const bench = new Bench({ time: ctx.quick ? 300 : 2000, warmupTime: ctx.quick ? 100 : 500 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out = new Map<string, { ops: number; p50: number | null; p99: number | null }>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (!r || !('throughput' in r)) throw new Error(`micro bench ${task.name} did not complete`);
    const us = (ms: number | undefined): number | null => (ms === undefined ? null : round(ms * 1000));
    out.set(task.name, { ops: Math.round(r.throughput.mean), p50: us(r.latency.p50), p99: us(r.latency.p99) });
  }
  return out;
}

const CURSOR_OPS = 1000;

/** `measure` for tasks running `ops` operations per call: figures per operation. */
async function measurePerOp(ctx: BenchContext, ops: number, tasks: Record<string, () => void>): Promise<Map<string, { ops: number; p50: number | null; p99: number | null }>> {
  const out = new Map<string, { ops: number; p50: number | null; p99: number | null }>();
  for (const [name, r] of await measure(ctx, tasks)) {
    out.set(name, { ops: r.ops * ops, p50: r.p50 === null ? null : round(r.p50 / ops), p99: r.p99 === null ? null : round(r.p99 / ops) });
  }
  return out;
}

/** The bench line (with its ratio to each baseline) and one line per baseline. */
function cursorLines(group: string, baselines: string[], results: Map<string, { ops: number; p50: number | null; p99: number | null }>): BenchLine[] {
  const main = results.get(group)!;
  const head: BenchLine = { bench: group, ops_per_s: main.ops, p50_us: main.p50, p99_us: main.p99, ops_per_call: CURSOR_OPS };
  for (const b of baselines) head[`vs_${b}`] = round(main.ops / results.get(b)!.ops);
  return [head, ...baselines.map((b) => ({ bench: `${group}:${b}`, ops_per_s: results.get(b)!.ops, p50_us: results.get(b)!.p50, p99_us: results.get(b)!.p99, ops_per_call: CURSOR_OPS }))];
}

function lines(group: string, baseline: string, results: Map<string, { ops: number; p50: number | null; p99: number | null }>): BenchLine[] {
  const main = results.get(group)!;
  const base = results.get(baseline)!;
  return [
    { bench: group, ops_per_s: main.ops, p50_us: main.p50, p99_us: main.p99, [`vs_${baseline}`]: round(main.ops / base.ops) },
    { bench: `${group}:${baseline}`, ops_per_s: base.ops, p50_us: base.p50, p99_us: base.p99 },
  ];
}

export const groups: BenchGroup[] = [
  {
    group: 'micro-decode-json',
    async *run(ctx) {
      const scratch = createCommand();
      const options = { symbols, sourceStream: 0, sourcePosition: 0 };
      const decoder = new TextDecoder();
      let sink = 0;
      const results = await measure(ctx, {
        'micro-decode-json': () => {
          decodeMessageEach(ORDER, 'json', options, scratch, (c) => {
            sink += c.qty;
          });
        },
        'json-parse': () => {
          sink += (JSON.parse(decoder.decode(ORDER)) as { qty: number }).qty;
        },
      });
      if (sink === 0) throw new Error('nothing decoded');
      yield* lines('micro-decode-json', 'json-parse', results);
    },
  },
  {
    group: 'micro-encode-trade',
    async *run(ctx) {
      const trade = createTrade({ seq: 1234567, timestamp: 1_700_000_000_000, makerOrderId: 991, takerOrderId: 992, price: 6500000, qty: 3, tradeId: 4242, symbolId: 0, makerAccountId: 5, takerAccountId: 6 });
      const encoder = new OutputJsonEncoder(symbols);
      const out = new Uint8Array(64 * 1024);
      const text = new TextEncoder();
      let at = 0;
      const results = await measure(ctx, {
        'micro-encode-trade': () => {
          if (at + encoder.maxBytes > out.length) at = 0;
          at = encoder.writeTrade(out, at, trade, 0, true);
        },
        'template-string': () => {
          if (at + encoder.maxBytes > out.length) at = 0;
          at += text.encodeInto(`${encodeTradeJson(trade, symbols)}\n`, out.subarray(at)).written;
        },
      });
      yield* lines('micro-encode-trade', 'template-string', results);
    },
  },
  {
    group: 'micro-command-slot',
    async *run(ctx) {
      const cmd = createCommand();
      decodeMessageEach(ORDER, 'json', { symbols, sourceStream: 0, sourcePosition: 0 }, cmd, () => undefined);
      const into = createCommand();
      const slot = new Uint8Array(COMMAND_SLOT_BYTES);
      let sink = 0;
      const results = await measure(ctx, {
        'micro-command-slot': () => {
          writeCommand(slot, 0, cmd);
          sink += readCommand(slot, 0, into).price;
        },
        'structured-clone': () => {
          sink += (structuredClone(cmd) as { price: number }).price;
        },
      });
      if (sink === 0) throw new Error('nothing copied');
      yield* lines('micro-command-slot', 'structured-clone', results);
    },
  },
  {
    group: 'micro-cursor-set-get',
    async *run(ctx) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.blocking() }).then('a').build();
      const cursor = ring.stageSequence('a');
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      let v = 0;
      let sink = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-cursor-set-get': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            cursor.set(++v);
            sink += cursor.get();
          }
        },
        'int32-store-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            i32[0] = ++v;
            sink += i32[0]!;
          }
        },
        'atomics-store-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            Atomics.store(i32, 0, ++v);
            sink += Atomics.load(i32, 0);
          }
        },
      });
      if (sink === 0) throw new Error('nothing stored');
      yield* cursorLines('micro-cursor-set-get', ['int32-store-load', 'atomics-store-load'], results);
    },
  },
  {
    group: 'micro-barrier-available',
    async *run(ctx) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.blocking() }).then('a').build();
      const seq = ring.sequencer();
      seq.publish(0, seq.next(100));
      const barrier = ring.stage('a').barrier;
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      i32[0] = 99;
      let sink = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-barrier-available': () => {
          for (let k = 0; k < CURSOR_OPS; k++) sink += barrier.available(50);
        },
        'atomics-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) sink += Atomics.load(i32, 0);
        },
      });
      if (sink === 0) throw new Error('nothing read');
      yield* cursorLines('micro-barrier-available', ['atomics-load'], results);
    },
  },
  {
    group: 'micro-sequence-set-store',
    async *run(ctx) {
      const set = SequenceSet.create(['committed']);
      const committed = set.sequence('committed');
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      let v = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-sequence-set-store': () => {
          for (let k = 0; k < CURSOR_OPS; k++) committed.set(++v);
        },
        'atomics-store': () => {
          for (let k = 0; k < CURSOR_OPS; k++) Atomics.store(i32, 0, ++v);
        },
      });
      if (committed.get() === -1 || committed.waiters() !== 0) throw new Error('sequence not set, or someone waits');
      yield* cursorLines('micro-sequence-set-store', ['atomics-store'], results);
    },
  },
];
