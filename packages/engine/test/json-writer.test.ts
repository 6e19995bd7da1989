// The native JSON writer (@ringmatch/native's OutputJsonWriter) against the JS OutputJsonEncoder it
// mirrors: on random trades and reports (every enum byte, named and unnamed symbols, negative and
// 2^53-sized integers, reports with a source), record values and numbered file lines are the same
// bytes. A slot with a field that is not a safe integer stops a run before it, and SlotJsonRuns
// has JS write that one, so the whole text still equals the JS encoder's; a run out of room stops
// and goes on in the next buffer. Then how --json-writer resolves.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OUTPUT_SLOT_BYTES,
  OutputJsonEncoder,
  OutputKind,
  createReport,
  createTrade,
  defaultSymbolTable,
  readOutput,
  writeReport,
  writeTrade,
  type ExecutionReport,
  type Trade,
} from '@ringmatch/protocol';
import { createNativeWriter, resolveJsonWriter, type NativeOutputJsonWriter } from '../src/json-writer.js';
import { SlotJsonRuns } from '../src/slot-json-runs.js';
import { runCli, tempDirs } from './helpers.js';
import fs from 'node:fs';

const symbols = defaultSymbolTable();
const encoder = new OutputJsonEncoder(symbols);
const expectNative = process.env.RINGMATCH_EXPECT_NATIVE === '1';
const loaded = await createNativeWriter(encoder).catch((error: unknown) => error as Error);
const native: NativeOutputJsonWriter | null = loaded instanceof Error ? null : loaded;
const dec = new TextDecoder();

const safe = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.maxSafeInteger().map((v) => v),
  fc.constantFrom(0, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), 1e15 + 7),
);
const natural = fc.integer({ min: 0, max: 2 ** 48 }); // where the slot keeps fewer bits (u32 account, source position)
const byte = fc.integer({ min: 0, max: 255 });
/** Named symbols (1..8 in the default table) and unnamed ids. */
const symbolId = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 65_535 }));

const report = fc.record({
  seq: safe,
  timestamp: safe,
  symbolId,
  orderId: safe,
  accountId: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  status: byte,
  side: byte,
  type: byte,
  tif: byte,
  price: safe,
  qty: safe,
  cumQty: safe,
  leavesQty: safe,
  lastQty: safe,
  lastPrice: safe,
  tradeId: safe,
  reason: byte,
  field: byte,
  source: fc.option(fc.record({ stream: fc.integer({ min: -32_768, max: 32_767 }), position: natural }), { nil: null }),
});
const trade = fc.record({
  seq: safe,
  timestamp: safe,
  tradeId: safe,
  symbolId,
  price: safe,
  qty: safe,
  makerOrderId: safe,
  takerOrderId: safe,
  makerAccountId: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  takerAccountId: safe,
  takerSide: byte,
});
type ReportCase = typeof report extends fc.Arbitrary<infer T> ? T : never;
type TradeCase = typeof trade extends fc.Arbitrary<infer T> ? T : never;
const output = fc.oneof(
  report.map((r) => ({ kind: 'report' as const, r })),
  trade.map((t) => ({ kind: 'trade' as const, t })),
);
type OutputCase = { kind: 'report'; r: ReportCase } | { kind: 'trade'; t: TradeCase };

/** The cases in output slots. */
function slotsOf(cases: readonly OutputCase[]): Uint8Array {
  const ring = new Uint8Array(cases.length * OUTPUT_SLOT_BYTES);
  cases.forEach((c, i) => {
    if (c.kind === 'trade') writeTrade(ring, i * OUTPUT_SLOT_BYTES, createTrade(c.t));
    else {
      const { source, ...fields } = c.r;
      const r: ExecutionReport = createReport({ ...fields, sourcePosition: source ? source.position : -1, sourceStream: source ? source.stream : -1 });
      writeReport(ring, i * OUTPUT_SLOT_BYTES, r);
    }
  });
  return ring;
}

/** What the JS encoder writes for the slots (record values: newline-separated; lines: numbered, each ended). */
function jsText(ring: Uint8Array, count: number, indexes: Int32Array | null): string {
  const out = new Uint8Array(count * (encoder.maxBytes + 1) + 8);
  const view = new DataView(out.buffer);
  const r = createReport();
  const t: Trade = createTrade();
  let o = 0;
  for (let i = 0; i < count; i++) {
    if (indexes === null && i > 0) out[o++] = 10;
    const kind = readOutput(ring, i * OUTPUT_SLOT_BYTES, r, t);
    const n = indexes ? indexes[i]! : -1;
    o = kind === OutputKind.Trade ? encoder.writeTrade(view, o, t, n, indexes !== null) : encoder.writeReport(view, o, r, n, indexes !== null);
  }
  return dec.decode(out.subarray(0, o));
}

/** What SlotJsonRuns writes for the slots, into buffers of `room` bytes (the next one when full). */
function runsText(writer: NativeOutputJsonWriter, ring: Uint8Array, count: number, indexes: Int32Array | null, room: number): string {
  const runs = new SlotJsonRuns(writer, encoder, count, indexes !== null);
  for (let i = 0; i < count; i++) runs.push(ring, i * OUTPUT_SLOT_BYTES, indexes ? indexes[i] : 0);
  const parts: string[] = [];
  let lead = false;
  for (;;) {
    const out = new Uint8Array(room);
    const done = runs.writeInto(out, new DataView(out.buffer), 0, lead);
    parts.push(dec.decode(out.subarray(0, runs.end)));
    if (done) return parts.join('');
    expect(runs.end, 'a buffer with room for an output takes one').toBeGreaterThan(0);
    lead = indexes === null; // the next buffer continues the same record text
  }
}

describe.runIf(native !== null)('native JSON writer against the JS encoder', () => {
  const writer = native!;

  it('the text of each trade and report is the same bytes (fast-check), as record values and as numbered lines', () => {
    fc.assert(
      fc.property(
        fc.array(output, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 40, maxLength: 40 }),
        (cases, ns) => {
          const ring = slotsOf(cases);
          const offsets = Int32Array.from(cases, (_, i) => i * OUTPUT_SLOT_BYTES);
          const indexes = Int32Array.from(ns.slice(0, cases.length));
          const progress = new Float64Array(1);
          for (const numbered of [null, indexes]) {
            const out = new Uint8Array(cases.length * (writer.maxBytes + 1));
            expect(writer.writeRun(ring, offsets, numbered, 0, cases.length, out, 0, false, progress)).toBe(cases.length);
            expect(dec.decode(out.subarray(0, progress[0]))).toBe(jsText(ring, cases.length, numbered));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a run starts at `from`, with a newline first when `lead`, and writes at `at`', () => {
    const ring = slotsOf(fc.sample(output, { numRuns: 6, seed: 4 }));
    const offsets = Int32Array.from({ length: 6 }, (_, i) => i * OUTPUT_SLOT_BYTES);
    const out = new Uint8Array(8 * writer.maxBytes).fill(0x2a);
    const progress = new Float64Array(1);
    expect(writer.writeRun(ring, offsets, null, 2, 3, out, 5, true, progress)).toBe(3);
    expect(dec.decode(out.subarray(0, 5))).toBe('*****'); // nothing before `at`
    const all = jsText(ring, 6, null).split('\n');
    expect(dec.decode(out.subarray(5, progress[0]))).toBe(`\n${all.slice(2, 5).join('\n')}`);
  });

  it('stops before a field that is not a safe integer, and SlotJsonRuns has JS write it: the same text as the JS encoder', () => {
    const cases = fc.sample(output, { numRuns: 9, seed: 7 });
    const ring = slotsOf(cases);
    // Slot 2's byte 32 (a trade's qty, a report's cumQty) becomes 2^53, the first unsafe integer;
    // slot 4's price (byte 24 in both kinds) 2^60, slot 6's 12.5: JS prints them its own way.
    const view = new DataView(ring.buffer);
    view.setFloat64(2 * OUTPUT_SLOT_BYTES + 32, 2 ** 53, true);
    view.setFloat64(4 * OUTPUT_SLOT_BYTES + 24, 2 ** 60, true);
    view.setFloat64(6 * OUTPUT_SLOT_BYTES + 24, 12.5, true);
    const offsets = Int32Array.from({ length: 9 }, (_, i) => i * OUTPUT_SLOT_BYTES);
    const progress = new Float64Array(1);
    const out = new Uint8Array(10 * writer.maxBytes);
    expect(writer.writeRun(ring, offsets, null, 0, 9, out, 0, false, progress)).toBe(2);
    expect(writer.writeRun(ring, offsets, null, 2, 7, out, progress[0]!, true, progress)).toBe(0);
    expect(writer.writeRun(ring, offsets, null, 3, 6, out, progress[0]!, true, progress)).toBe(1);
    const indexes = Int32Array.from({ length: 9 }, (_, i) => i % 3);
    for (const numbered of [null, indexes]) expect(runsText(writer, ring, 9, numbered, 20 * writer.maxBytes)).toBe(jsText(ring, 9, numbered));
  });

  it('out of room: a run stops with maxBytes + 1 bytes left; the queue goes on in the next buffer, text unchanged', () => {
    const cases = fc.sample(output, { numRuns: 50, seed: 11 });
    const ring = slotsOf(cases);
    const offsets = Int32Array.from({ length: 50 }, (_, i) => i * OUTPUT_SLOT_BYTES);
    const progress = new Float64Array(1);
    expect(writer.writeRun(ring, offsets, null, 0, 50, new Uint8Array(writer.maxBytes), 0, false, progress)).toBe(0);
    expect(progress[0]).toBe(0);
    const indexes = Int32Array.from({ length: 50 }, (_, i) => i);
    for (const numbered of [null, indexes]) expect(runsText(writer, ring, 50, numbered, 3 * writer.maxBytes + 50)).toBe(jsText(ring, 50, numbered));
  });

  it('a slot of another kind (a mark, an empty slot) is not written; bad ranges throw', () => {
    const ring = new Uint8Array(2 * OUTPUT_SLOT_BYTES); // kind 0: empty
    const out = new Uint8Array(4 * writer.maxBytes);
    const progress = new Float64Array(1);
    expect(writer.writeRun(ring, Int32Array.of(0, 96), null, 0, 2, out, 0, false, progress)).toBe(0);
    expect(() => writer.writeRun(ring, Int32Array.of(0), null, 0, 2, out, 0, false, progress)).toThrow(/bad range/);
    expect(() => writer.writeRun(ring, Int32Array.of(0), Int32Array.of(), 0, 1, out, 0, false, progress)).toThrow(/bad range/);
    writeTrade(ring, 0, createTrade({ seq: 1 }));
    expect(() => writer.writeRun(ring, Int32Array.of(150), null, 0, 1, out, 0, false, progress)).toThrow(/outside the ring/);
  });
});

describe.runIf(native !== null)('engine runs with either writer', () => {
  const dir = tempDirs();
  it('an embedded run writes the same trades.ndjson and reports.ndjson with --json-writer js and native, and says which it used', async () => {
    const files: Record<string, Buffer[]> = {};
    for (const writer of ['js', 'native']) {
      const data = path.join(dir(), 'data');
      const r = await runCli(['run', '--progress-ms', '0', '--data-dir', data, '--orders', '60000', '--reports', '--no-depth', '--json-writer', writer]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`json writer: ${writer} `);
      files[writer] = ['trades.ndjson', 'reports.ndjson'].map((f) => fs.readFileSync(path.join(data, f)));
    }
    expect(files.native![1]!.length).toBeGreaterThan(10_000_000); // about 100k reports
    expect(files.native![0]!.equals(files.js![0]!)).toBe(true);
    expect(files.native![1]!.equals(files.js![1]!)).toBe(true);
  }, 120_000);
});

describe('--json-writer resolution', () => {
  it(expectNative ? 'RINGMATCH_EXPECT_NATIVE=1: the native writer loaded' : 'absent or present: auto falls back to the JS encoder', async () => {
    const auto = await resolveJsonWriter('auto');
    if (expectNative) {
      expect(loaded).not.toBeInstanceOf(Error);
      expect(auto).toEqual({ writer: 'native', line: 'json writer: native (@ringmatch/native)' });
    } else if (native === null) {
      expect(auto).toMatchObject({ writer: 'js' });
      expect(auto.line).toMatch(/^json writer: js \(native not loaded: /);
      await expect(resolveJsonWriter('native')).rejects.toThrow(/--json-writer native: @ringmatch\/native does not load/);
    } else expect(auto.writer).toBe('native');
    expect(await resolveJsonWriter('js')).toEqual({ writer: 'js', line: 'json writer: js (--json-writer js)' });
  });
});
