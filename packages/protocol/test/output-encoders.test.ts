import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OUTPUT_BATCH_HEADER_BYTES,
  OUTPUT_SLOT_BYTES,
  OutputBatchError,
  OutputJsonEncoder,
  OutputKind,
  DepthKind,
  Side,
  createDepthUpdate,
  createReport,
  createTrade,
  decodeOutputBatch,
  defaultSymbolTable,
  encodeDepthJson,
  encodeReportJson,
  encodeTradeJson,
  isOutputBatch,
  syntheticSymbolTable,
  parseDepthJson,
  readDepth,
  writeDepth,
  writeOutputBatchHeader,
  writeReport,
  writeTrade,
} from '@ringmatch/protocol';
import type { DepthUpdate, ExecutionReport, Trade } from '@ringmatch/protocol';

const int = (max: number) => fc.integer({ min: 0, max });
const safe = fc.oneof(int(1000), int(2 ** 31 + 5), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

describe('OutputJsonEncoder, trades', () => {
  it('writes exactly the bytes of {"n":n, + encodeTradeJson + newline', () => {
    for (const symbols of [defaultSymbolTable(), syntheticSymbolTable(40), undefined]) {
      const encoder = new OutputJsonEncoder(symbols);
      const out = new Uint8Array(4096);
      fc.assert(
        fc.property(
          int(70),
          safe,
          safe,
          safe,
          int(45),
          safe,
          safe,
          safe,
          safe,
          safe,
          safe,
          fc.constantFrom(0, 1),
          int(1000),
          (symbolId, seq, ts, tradeId, n, price, qty, maker, taker, makerAccount, takerAccount, side, at) => {
            const t = createTrade({
              symbolId,
              seq,
              timestamp: ts,
              tradeId,
              price,
              qty,
              makerOrderId: maker,
              takerOrderId: taker,
              makerAccountId: makerAccount % 2 ** 32,
              takerAccountId: takerAccount,
              takerSide: side as 0 | 1,
            });
            const end = encoder.writeTrade(new DataView(out.buffer), at, t, n, true);
            expect(end - at).toBeLessThanOrEqual(encoder.maxBytes);
            const expected = `{"n":${n},${encodeTradeJson(t, symbols).slice(1)}\n`;
            expect(Buffer.from(out.subarray(at, end)).toString('utf8')).toBe(expected);
          },
        ),
        { numRuns: 2000 },
      );
    }
  });
});

const u8 = int(255);
const anyReport = fc.record({
  seq: safe,
  timestamp: safe,
  symbolId: int(70),
  orderId: safe,
  accountId: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  status: u8,
  side: u8,
  type: u8,
  tif: u8,
  price: safe,
  stopPrice: safe,
  qty: safe,
  cumQty: safe,
  leavesQty: safe,
  lastQty: safe,
  lastPrice: safe,
  tradeId: safe,
  reason: u8,
  field: u8,
});
/** No source (-1 / -1, every report but a reject of undecodable input) or a Kafka-sized one. */
const anySource = fc.oneof(
  fc.constant({ sourceStream: -1, sourcePosition: -1 }),
  fc.record({ sourceStream: fc.integer({ min: 0, max: 0x7fff }), sourcePosition: fc.oneof(int(1000), fc.integer({ min: 0, max: 2 ** 48 - 2 })) }),
);
/** A report as the book makes them: a source only on a reject, which has no tradeId. */
const bookReport = fc.tuple(anyReport, anySource).map(([r, src]) => (src.sourcePosition >= 0 ? { ...r, ...src, status: 2, tradeId: 0 } : r));

describe('OutputJsonEncoder, reports', () => {
  it('writes exactly the bytes of encodeReportJson / encodeTradeJson, with and without "n" and newline', () => {
    for (const symbols of [defaultSymbolTable(), syntheticSymbolTable(40), undefined]) {
      const encoder = new OutputJsonEncoder(symbols);
      const out = new Uint8Array(8192);
      fc.assert(
        fc.property(anyReport, anySource, fc.integer({ min: -1, max: 50 }), fc.boolean(), int(1000), (fields, source, n, newline, at) => {
          const r = createReport({ ...fields, ...source } as Partial<ExecutionReport>);
          const end = encoder.writeReport(new DataView(out.buffer), at, r, n, newline);
          expect(end - at).toBeLessThanOrEqual(encoder.maxBytes);
          const body = encodeReportJson(r, symbols);
          const expected = (n >= 0 ? `{"n":${n},${body.slice(1)}` : body) + (newline ? '\n' : '');
          expect(Buffer.from(out.subarray(at, end)).toString('utf8')).toBe(expected);
          const parsed = JSON.parse(Buffer.from(out.subarray(at, end)).toString('utf8'));
          expect(parsed).toMatchObject({ seq: r.seq, orderId: r.orderId });
          expect(parsed.source).toEqual(r.sourcePosition >= 0 ? { partition: r.sourceStream, offset: r.sourcePosition } : undefined);
        }),
        { numRuns: 2000 },
      );
      const t = createTrade({
        seq: 5,
        timestamp: 6,
        tradeId: 7,
        symbolId: 1,
        price: 100,
        qty: 3,
        makerOrderId: 1,
        takerOrderId: 2,
        makerAccountId: 3,
        takerAccountId: 4,
        takerSide: 1,
      });
      const end = encoder.writeTrade(new DataView(out.buffer), 0, t);
      expect(Buffer.from(out.subarray(0, end)).toString('utf8')).toBe(encodeTradeJson(t, symbols));
    }
  });
});

describe('binary output batch', () => {
  function batchOf(outputs: Array<{ report?: ExecutionReport; trade?: Trade }>): Uint8Array {
    const bytes = new Uint8Array(OUTPUT_BATCH_HEADER_BYTES + outputs.length * OUTPUT_SLOT_BYTES);
    writeOutputBatchHeader(bytes, 0, outputs.length);
    outputs.forEach((o, i) => {
      const at = OUTPUT_BATCH_HEADER_BYTES + i * OUTPUT_SLOT_BYTES;
      if (o.report) writeReport(bytes, at, o.report);
      else writeTrade(bytes, at, o.trade!);
    });
    return bytes;
  }

  it('round-trips reports and trades in order (report stopPrice is not carried, as in the output slot)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            bookReport.map((r) => ({ report: createReport({ ...r, side: r.side & 1, type: r.type & 3, tif: r.tif & 3 } as Partial<ExecutionReport>) })),
            fc.record({ seq: safe, price: safe, qty: safe, symbolId: int(70) }).map((t) => ({ trade: createTrade(t) })),
          ),
          { maxLength: 40 },
        ),
        (outputs) => {
          const bytes = batchOf(outputs);
          expect(isOutputBatch(bytes)).toBe(true);
          const decoded = decodeOutputBatch(bytes);
          expect(decoded).toHaveLength(outputs.length);
          decoded.forEach((d, i) => {
            const o = outputs[i]!;
            if (o.report) expect(d).toEqual({ kind: OutputKind.Report, report: { ...o.report, stopPrice: 0 } });
            else expect(d).toEqual({ kind: OutputKind.Trade, trade: o.trade });
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes version 2 and still reads version 1 (whose slots never carry a source)', () => {
    const report = createReport({ seq: 3, status: 4, tradeId: 12, lastQty: 1 });
    const bytes = batchOf([{ report }]);
    expect(bytes[1]).toBe(2);
    bytes[1] = 1;
    expect(decodeOutputBatch(bytes)).toEqual([{ kind: OutputKind.Report, report }]);
  });

  it('rejects a wrong magic, version, size or slot kind with a reason', () => {
    const good = batchOf([{ trade: createTrade({ seq: 1, price: 2, qty: 3 }) }]);
    expect(isOutputBatch(Buffer.from('{"type":"trade"}'))).toBe(false);
    expect(() => decodeOutputBatch(Buffer.from('{"type":"trade"}'))).toThrow(/magic/);
    const version = good.slice();
    version[1] = 9;
    expect(() => decodeOutputBatch(version)).toThrow(/version 9/);
    expect(() => decodeOutputBatch(good.subarray(0, good.length - 1))).toThrow(OutputBatchError);
    const kind = good.slice();
    kind[OUTPUT_BATCH_HEADER_BYTES + 78] = 7;
    expect(() => decodeOutputBatch(kind)).toThrow(/unknown kind 7/);
  });
});

describe('depth stream lines', () => {
  const depthUpdate = fc.record({
    seq: safe,
    symbolId: int(70),
    kind: fc.constantFrom(DepthKind.Level, DepthKind.Snapshot),
    side: fc.constantFrom(Side.Buy, Side.Sell),
    price: safe,
    qty: safe,
    orders: int(2 ** 32 - 1),
    bids: int(1000),
    asks: int(1000),
  });
  /** What a line of each kind carries (a level has no level counts, a snapshot no level). */
  const carried = (d: DepthUpdate): DepthUpdate =>
    d.kind === DepthKind.Snapshot
      ? createDepthUpdate({ seq: d.seq, symbolId: d.symbolId, kind: d.kind, bids: d.bids, asks: d.asks })
      : { ...d, bids: 0, asks: 0 };

  it('the encoder writes exactly {"n":n, + encodeDepthJson + newline, which parses back; the slot and the binary batch round-trip', () => {
    for (const symbols of [defaultSymbolTable(), syntheticSymbolTable(40), undefined]) {
      const encoder = new OutputJsonEncoder(symbols);
      const out = new Uint8Array(4096);
      const slot = new Uint8Array(OUTPUT_BATCH_HEADER_BYTES + OUTPUT_SLOT_BYTES);
      fc.assert(
        fc.property(depthUpdate, int(45), int(1000), (d, n, at) => {
          const end = encoder.writeDepth(new DataView(out.buffer), at, d, n, true);
          const text = new TextDecoder().decode(out.subarray(at, end));
          const json = encodeDepthJson(d, symbols);
          expect(text).toBe(`{"n":${n},${json.slice(1)}\n`);
          expect(end - at).toBeLessThanOrEqual(encoder.maxBytes);
          expect(encoder.writeDepth(new DataView(out.buffer), 0, d)).toBe(json.length);
          expect(parseDepthJson(json)).toEqual(carried(d));
          writeDepth(slot, OUTPUT_BATCH_HEADER_BYTES, d);
          expect(readDepth(slot, OUTPUT_BATCH_HEADER_BYTES, createDepthUpdate())).toEqual(d);
          writeOutputBatchHeader(slot, 0, 1);
          expect(decodeOutputBatch(slot)).toEqual([{ kind: OutputKind.Depth, depth: d }]);
        }),
        { numRuns: 400 },
      );
    }
  });

  it('bad depth lines are refused', () => {
    expect(() => parseDepthJson('{"type":"level","seq":1,"symbolId":1,"side":"up","price":1,"qty":1,"orders":1}')).toThrow(TypeError);
    expect(() => parseDepthJson('{"type":"level","seq":1,"symbolId":1,"side":"buy","price":-1,"qty":1,"orders":1}')).toThrow(TypeError);
    expect(() => parseDepthJson('{"type":"trade","seq":1}')).toThrow(TypeError);
  });
});
