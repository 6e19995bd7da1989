// Micro benchmarks with tinybench: the per-message and per-output building blocks of the hot path,
// each against the obvious implementation in the same run (`<bench>:<baseline>`). ops_per_s is
// tinybench's mean throughput; p50/p99 are its per-call latency percentiles (with timer overhead).
//   micro-decode-json   a JSON order message -> command (the Kafka/file fast path)  vs JSON.parse
//   micro-encode-trade  a trade -> NDJSON bytes (OutputJsonEncoder)                 vs template string + TextEncoder
//   micro-command-slot  a command -> 64-byte slot -> command                         vs structuredClone of the command
import { Bench } from 'tinybench';
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
      const options = { symbols, partition: 0, offset: 0 };
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
      decodeMessageEach(ORDER, 'json', { symbols, partition: 0, offset: 0 }, cmd, () => undefined);
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
];
