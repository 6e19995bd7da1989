// Micro benchmarks with tinybench: the per-message and per-output building blocks of the hot path,
// each against the obvious implementation in the same run (`<bench>:<baseline>`). ops_per_s is
// tinybench's mean throughput and p50/p99 its per-call latency percentiles (with timer overhead),
// each the median of the runs (bench/micro/measure.ts: the method of every line).
//   micro-decode-json   a JSON order message -> command (the Kafka/file fast path)  vs JSON.parse
//   micro-encode-trade  a trade -> NDJSON bytes (OutputJsonEncoder)                 vs template string + TextEncoder
//   micro-command-slot  a command -> 64-byte slot -> command                         vs structuredClone of the command
// The ring's cursor operations are in micro-ring.ts, the book's in micro-book.ts.
import {
  createCommand,
  createTrade,
  decodeMessageEach,
  defaultSymbolTable,
  encodeTradeJson,
  OutputJsonEncoder,
  readCommand,
  writeCommand,
  COMMAND_SLOT_BYTES,
} from '@ringmatch/protocol';
import type { BenchGroup } from '../types.js';
import { lines, measure } from '../micro/measure.js';

const symbols = defaultSymbolTable();
const ORDER = new TextEncoder().encode('{"op":"new","symbol":"BTC-USD","orderId":123456,"account":77,"side":"buy","type":"limit","price":6500000,"qty":25}');

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
      const trade = createTrade({
        seq: 1234567,
        timestamp: 1_700_000_000_000,
        makerOrderId: 991,
        takerOrderId: 992,
        price: 6500000,
        qty: 3,
        tradeId: 4242,
        symbolId: 0,
        makerAccountId: 5,
        takerAccountId: 6,
      });
      const encoder = new OutputJsonEncoder(symbols);
      const out = new Uint8Array(64 * 1024);
      const view = new DataView(out.buffer);
      const text = new TextEncoder();
      let at = 0;
      const results = await measure(ctx, {
        'micro-encode-trade': () => {
          if (at + encoder.maxBytes > out.length) at = 0;
          at = encoder.writeTrade(view, at, trade, 0, true);
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
];
