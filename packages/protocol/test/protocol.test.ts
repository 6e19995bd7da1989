import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeMessageEach,
  COMMAND_SLOT_BYTES,
  OUTPUT_SLOT_BYTES,
  SLOT_SIZE,
  CommandKind,
  DecodeError,
  ExecStatus,
  Field,
  OrderType,
  OutputKind,
  Reason,
  Side,
  StpMode,
  TimeInForce,
  createCommand,
  createReport,
  createTrade,
  decodeMessage,
  decodeMessageLenient,
  defaultSymbolTable,
  encodeMessage,
  encodeReportJson,
  encodeTradeJson,
  invalidCommand,
  parseOutputJson,
  readCommand,
  readOutput,
  readCommandSeq,
  writeCommand,
  writeReport,
  writeTrade,
  SymbolTable,
  type Command,
  type ExecutionReport,
} from '@ringmatch/protocol';

const symbols = defaultSymbolTable();
const safeInt = fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 });
const nonNeg = fc.integer({ min: 0, max: 2 ** 53 - 1 });

const commandArb: fc.Arbitrary<Command> = fc
  .record({
    seq: nonNeg,
    kind: fc.constantFrom(CommandKind.New, CommandKind.Cancel, CommandKind.Amend),
    side: fc.constantFrom(Side.Buy, Side.Sell),
    type: fc.constantFrom(OrderType.Limit, OrderType.Market, OrderType.Stop, OrderType.StopLimit),
    tif: fc.constantFrom(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.PostOnly),
    stp: fc.constantFrom(StpMode.Default, StpMode.None, StpMode.CancelNewest, StpMode.CancelOldest, StpMode.CancelBoth),
    symbolId: fc.integer({ min: 1, max: 0xffff }),
    orderId: nonNeg,
    accountId: fc.integer({ min: 0, max: 0xffffffff }),
    price: safeInt,
    qty: safeInt,
    stopPrice: safeInt,
    timestamp: nonNeg,
    sourceStream: fc.integer({ min: -1, max: 0x7fff }),
    sourcePosition: fc.integer({ min: -1, max: 2 ** 48 - 2 }),
  })
  .map((r) => createCommand(r as Partial<Command>));

/** What a wire codec preserves: non-New commands drop order attributes; stop price only for stops. */
function wireNormal(c: Command): Command {
  const n = createCommand({ ...c, seq: 0, sourceStream: -1, sourcePosition: -1 });
  if (c.kind !== CommandKind.New) {
    n.side = Side.Buy;
    n.type = OrderType.Limit;
    n.tif = TimeInForce.GTC;
    n.stp = StpMode.Default;
    n.stopPrice = 0;
    if (c.kind === CommandKind.Cancel) {
      n.price = 0;
      n.qty = 0;
    }
  } else if (c.type !== OrderType.Stop && c.type !== OrderType.StopLimit) n.stopPrice = 0;
  return n;
}

describe('command slot', () => {
  it('has the documented sizes', () => {
    expect(COMMAND_SLOT_BYTES).toBe(64);
    expect(SLOT_SIZE).toBe(64);
    expect(OUTPUT_SLOT_BYTES).toBe(96);
  });

  it('round-trips every command kind through a shared buffer at any slot', () => {
    const ring = new Uint8Array(new SharedArrayBuffer(COMMAND_SLOT_BYTES * 8));
    const into = createCommand();
    fc.assert(
      fc.property(commandArb, fc.integer({ min: 0, max: 7 }), (cmd, slot) => {
        writeCommand(ring, slot * 64, cmd);
        readCommand(ring, slot * 64, into);
        expect(into).toEqual(cmd);
        expect(readCommandSeq(ring, slot * 64)).toBe(cmd.seq);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips Invalid commands with reason, field, recovered ids and Kafka position', () => {
    const buf = new Uint8Array(128);
    const bad = invalidCommand(new DecodeError(Reason.NotInteger, Field.Price, 3), 7, 123456789012, { orderId: 42, accountId: 9, symbolId: 2 });
    bad.seq = 99;
    writeCommand(buf, 64, bad);
    const back = readCommand(buf, 64, createCommand());
    expect(back).toEqual(bad);
    expect(back.kind).toBe(CommandKind.Invalid);
    expect(back.reason).toBe(Reason.NotInteger);
    expect(back.field).toBe(Field.Price);
    expect([back.sourceStream, back.sourcePosition, back.orderId]).toEqual([7, 123456789012, 42]);
  });

  it('does not write outside its 64 bytes', () => {
    const buf = new Uint8Array(64 * 3).fill(0xaa);
    writeCommand(buf, 64, createCommand({ orderId: 2 ** 53 - 1, price: -5, sourcePosition: 2 ** 48 - 2 }));
    expect(buf.subarray(0, 64).every((b) => b === 0xaa)).toBe(true);
    expect(buf.subarray(128).every((b) => b === 0xaa)).toBe(true);
  });
});

describe('output slot', () => {
  it('round-trips reports and trades', () => {
    const buf = new Uint8Array(OUTPUT_SLOT_BYTES * 2);
    const r = createReport();
    const t = createTrade();
    fc.assert(
      fc.property(
        fc.record({
          seq: nonNeg,
          timestamp: nonNeg,
          status: fc.integer({ min: 1, max: 8 }),
          reason: fc.integer({ min: 0, max: 255 }),
          field: fc.integer({ min: 0, max: 15 }),
          symbolId: fc.integer({ min: 1, max: 0xffff }),
          orderId: nonNeg,
          accountId: fc.integer({ min: 0, max: 0xffffffff }),
          side: fc.constantFrom(0, 1),
          type: fc.integer({ min: 0, max: 3 }),
          tif: fc.integer({ min: 0, max: 3 }),
          price: safeInt,
          qty: nonNeg,
          cumQty: nonNeg,
          leavesQty: nonNeg,
          lastQty: nonNeg,
          lastPrice: safeInt,
          tradeId: nonNeg,
        }),
        (init) => {
          const rep = createReport(init as Partial<ExecutionReport>);
          writeReport(buf, OUTPUT_SLOT_BYTES, rep);
          expect(readOutput(buf, OUTPUT_SLOT_BYTES, r, t)).toBe(OutputKind.Report);
          expect(r).toEqual(rep);
        },
      ),
      { numRuns: 1000 },
    );
    const trade = createTrade({
      seq: 5,
      timestamp: 6,
      tradeId: 7,
      symbolId: 3,
      price: 100,
      qty: 4,
      makerOrderId: 2 ** 53 - 1,
      takerOrderId: 11,
      makerAccountId: 0xffffffff,
      takerAccountId: 2,
      takerSide: Side.Sell,
    });
    writeTrade(buf, 0, trade);
    expect(readOutput(buf, 0, r, t)).toBe(OutputKind.Trade);
    expect(t).toEqual(trade);
  });

  it("carries a reject's source position in the slot (where a reject has no tradeId), and only when set", () => {
    const buf = new Uint8Array(OUTPUT_SLOT_BYTES);
    const r = createReport();
    const t = createTrade();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fff }), fc.integer({ min: 0, max: 2 ** 48 - 2 }), nonNeg, (partition, offset, orderId) => {
        const rep = createReport({
          seq: 9,
          status: ExecStatus.Rejected,
          reason: Reason.Malformed,
          field: Field.Message,
          orderId,
          sourceStream: partition,
          sourcePosition: offset,
        });
        writeReport(buf, 0, rep);
        expect(readOutput(buf, 0, r, t)).toBe(OutputKind.Report);
        expect(r).toEqual(rep);
      }),
      { numRuns: 500 },
    );
    // A report without a source (every other report) reads back -1 / -1 and keeps its tradeId,
    // after a slot that had one: nothing leaks from the previous use of the slot.
    const fill = createReport({ status: ExecStatus.Filled, tradeId: 77, lastQty: 1 });
    writeReport(buf, 0, fill);
    expect(readOutput(buf, 0, r, t)).toBe(OutputKind.Report);
    expect(r).toEqual(fill);
    expect([r.sourceStream, r.sourcePosition, r.tradeId]).toEqual([-1, -1, 77]);
  });

  it('JSON output encoders have stable field order, reason text and parse back', () => {
    const rep = createReport({
      seq: 3,
      status: ExecStatus.Rejected,
      reason: Reason.PostOnlyWouldCross,
      symbolId: 1,
      orderId: 9,
      accountId: 4,
      price: 100,
      qty: 5,
    });
    const line = encodeReportJson(rep, symbols);
    expect(line.startsWith('{"type":"report","seq":3,"ts":0,"symbol":"BTC-USD","symbolId":1,"orderId":9')).toBe(true);
    expect(JSON.parse(line).reason).toBe('post-only order would cross');
    expect(parseOutputJson(line)).toEqual({ kind: OutputKind.Report, report: rep });
    const dec = createReport({ status: ExecStatus.Rejected, reason: Reason.MissingField, field: Field.Qty });
    expect(JSON.parse(encodeReportJson(dec)).field).toBe('qty');
    expect(parseOutputJson(encodeReportJson(dec)).kind).toBe(OutputKind.Report);
    expect(JSON.parse(encodeReportJson(dec))).not.toHaveProperty('source');
    // Undecodable input: the reject says where it came from, last, and parses back.
    const bad = createReport({
      seq: 4,
      status: ExecStatus.Rejected,
      reason: Reason.Malformed,
      field: Field.Message,
      sourceStream: 2,
      sourcePosition: 123456789012,
    });
    const badLine = encodeReportJson(bad);
    expect(badLine.endsWith(',"reason":"malformed message","field":"message","source":{"partition":2,"offset":123456789012}}')).toBe(true);
    expect(parseOutputJson(badLine)).toEqual({ kind: OutputKind.Report, report: bad });
    expect(() => parseOutputJson(badLine.replace('"offset":123456789012', '"offset":"x"'))).toThrow(/source/);
    const trade = createTrade({
      seq: 1,
      tradeId: 2,
      symbolId: 2,
      price: 7,
      qty: 1,
      makerOrderId: 3,
      takerOrderId: 4,
      makerAccountId: 5,
      takerAccountId: 6,
      takerSide: Side.Sell,
    });
    const tl = encodeTradeJson(trade, symbols);
    expect(Object.keys(JSON.parse(tl))).toEqual([
      'type',
      'seq',
      'ts',
      'tradeId',
      'symbol',
      'symbolId',
      'price',
      'qty',
      'makerOrderId',
      'takerOrderId',
      'makerAccount',
      'takerAccount',
      'takerSide',
    ]);
    expect(parseOutputJson(tl)).toEqual({ kind: OutputKind.Trade, trade });
  });
});

describe('wire codecs', () => {
  it('round-trips single commands and batches in JSON and binary', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 20 }), fc.boolean(), (cmds, byName) => {
        const expected = cmds.map(wireNormal);
        const table = byName ? symbols : undefined;
        const forJson = byName ? cmds.map((c) => createCommand({ ...c, symbolId: 1 + (c.symbolId % 8) })) : cmds;
        const jsonExpected = forJson.map(wireNormal);
        expect(decodeMessage(encodeMessage(forJson, 'json', table), 'json', { symbols })).toEqual(jsonExpected);
        expect(decodeMessage(encodeMessage(cmds, 'binary'), 'binary')).toEqual(expected);
        expect(decodeMessage(encodeMessage(forJson[0]!, 'json', table), 'json', { symbols })).toEqual([jsonExpected[0]]);
      }),
      { numRuns: 500 },
    );
  });

  it('stamps the source position', () => {
    const msg = encodeMessage(createCommand({ kind: CommandKind.Cancel, symbolId: 1, orderId: 5 }), 'json');
    const [c] = decodeMessage(msg, 'json', { sourceStream: 3, sourcePosition: 77 });
    expect([c!.sourceStream, c!.sourcePosition]).toEqual([3, 77]);
  });

  it('reports field-level errors', () => {
    const enc = new TextEncoder();
    const err = (text: string): DecodeError => {
      try {
        decodeMessage(enc.encode(text), 'json', { symbols });
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
        return e as DecodeError;
      }
      throw new Error('no error');
    };
    const base = { op: 'new', symbol: 'BTC-USD', orderId: 1, account: 2, side: 'buy', price: 100, qty: 1 };
    expect(decodeMessage(enc.encode(JSON.stringify(base)), 'json', { symbols })[0]!.price).toBe(100);
    expect(err('{')).toMatchObject({ reason: Reason.Malformed, field: Field.Message });
    expect(err(JSON.stringify({ ...base, price: 100.5 }))).toMatchObject({ reason: Reason.NotInteger, field: Field.Price });
    expect(err(JSON.stringify({ ...base, price: '100' }))).toMatchObject({ reason: Reason.WrongType, field: Field.Price });
    expect(err(JSON.stringify({ ...base, qty: 2 ** 60 }))).toMatchObject({ reason: Reason.OutOfRange, field: Field.Qty });
    expect(err(JSON.stringify({ ...base, side: 'up' }))).toMatchObject({ reason: Reason.UnknownEnum, field: Field.Side });
    expect(err(JSON.stringify({ ...base, symbol: 'NOPE' }))).toMatchObject({ reason: Reason.UnknownSymbolName, field: Field.Symbol });
    expect(err(JSON.stringify({ ...base, orderId: undefined }))).toMatchObject({ reason: Reason.MissingField, field: Field.OrderId });
    expect(err(JSON.stringify([base, { ...base, account: -1 }]))).toMatchObject({ reason: Reason.OutOfRange, field: Field.Account, index: 1 });
    expect(err('[]')).toMatchObject({ reason: Reason.EmptyBatch });
    expect(err('{"op":"amend","symbolId":1,"orderId":1,"account":1}')).toMatchObject({ reason: Reason.MissingField });
    expect(err('{"op":"new","symbolId":1,"orderId":1,"account":1,"side":"buy","type":"stop","qty":1}')).toMatchObject({
      reason: Reason.MissingField,
      field: Field.StopPrice,
    });
    expect(err('{"op":"x"}').message).toContain('op');
  });

  it('lenient decoding turns each bad command into an Invalid command, dropping nothing', () => {
    const enc = new TextEncoder();
    const good = { op: 'cancel', symbol: 'ETH-USD', orderId: 1, account: 2 };
    const bad = { op: 'new', symbol: 'ETH-USD', orderId: 7, account: 3, side: 'buy', price: 1.5, qty: 1 };
    const out = decodeMessageLenient(enc.encode(JSON.stringify([good, bad, good])), 'json', { symbols, sourceStream: 1, sourcePosition: 10 });
    expect(out.map((c) => c.kind)).toEqual([CommandKind.Cancel, CommandKind.Invalid, CommandKind.Cancel]);
    expect(out[1]).toMatchObject({ reason: Reason.NotInteger, field: Field.Price, orderId: 7, accountId: 3, symbolId: 2, sourceStream: 1, sourcePosition: 10 });
    const garbage = decodeMessageLenient(enc.encode('not json'), 'json', { sourceStream: 0, sourcePosition: 5 });
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatchObject({ kind: CommandKind.Invalid, reason: Reason.Malformed, sourcePosition: 5 });
    const bin = encodeMessage([createCommand({ kind: CommandKind.Cancel, symbolId: 1, orderId: 3 })], 'binary');
    expect(decodeMessageLenient(bin.subarray(0, bin.length - 1), 'binary')).toMatchObject([{ kind: CommandKind.Invalid, reason: Reason.Truncated }]);
  });

  it('invalid UTF-8 anywhere in a JSON message is Malformed, with or without a scratch command (the fast path)', () => {
    const enc = new TextEncoder();
    const text = '{"op":"new","symbol":"BTC-USD","orderId":7,"account":3,"side":"buy","price":100,"qty":1,"note":"ok"}';
    const good = enc.encode(text);
    const scratch = createCommand();
    expect(decodeMessageEach(good, 'json', { symbols }, scratch, () => {})).toBe(1);
    expect(scratch.kind).toBe(CommandKind.New);
    const badBytes = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]; // invalid, truncated, surrogate, overlong
    for (const bytes of badBytes) {
      for (const at of [text.indexOf('BTC') + 1, text.indexOf('"ok"') + 1, text.indexOf('"buy"') + 2]) {
        const bad = new Uint8Array([...good.subarray(0, at), ...bytes, ...good.subarray(at)]);
        const expected = { kind: CommandKind.Invalid, reason: Reason.Malformed, field: Field.Message, sourceStream: 0, sourcePosition: 41 };
        expect(decodeMessageLenient(bad, 'json', { symbols, sourceStream: 0, sourcePosition: 41 })).toMatchObject([expected]);
        const each: Command[] = [];
        decodeMessageEach(bad, 'json', { symbols, sourceStream: 0, sourcePosition: 41 }, scratch, (c) => each.push({ ...c }));
        expect(each).toMatchObject([expected]);
        expect(() => decodeMessage(bad, 'json', { symbols })).toThrow(/invalid UTF-8/);
      }
    }
  });

  it('fuzzed input never throws anything but DecodeError', () => {
    const enc = new TextEncoder();
    const scratch = createCommand();
    const check = (bytes: Uint8Array): void => {
      for (const format of ['json', 'binary'] as const) {
        try {
          decodeMessage(bytes, format, { symbols });
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          expect(typeof e.reason).toBe('number');
        }
        const lenient = decodeMessageLenient(bytes, format, { symbols });
        expect(lenient.length).toBeGreaterThan(0);
        // The allocation-free form (one reused scratch command) emits exactly the same commands.
        const each: unknown[] = [];
        expect(decodeMessageEach(bytes, format, { symbols }, scratch, (c) => each.push({ ...c }))).toBe(lenient.length);
        expect(each).toEqual(lenient);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => check(b)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.json(), (j) => check(enc.encode(j))),
      { numRuns: 3000 },
    );
    // Mutations of valid messages (bit flips, truncation) hit the deeper validation paths.
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(255))), fc.nat(), (cmds, flips, cut) => {
        for (const format of ['json', 'binary'] as const) {
          const b = encodeMessage(cmds, format).slice();
          for (const [i, x] of flips) b[i % b.length] = x;
          check(b.subarray(0, b.length - (cut % 3)));
        }
      }),
      { numRuns: 3000 },
    );
    // JSON objects with wrong-typed fields.
    const anyVal = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object());
    fc.assert(
      fc.property(
        fc.record(
          {
            op: fc.oneof(fc.constantFrom('new', 'cancel', 'amend'), anyVal),
            symbol: fc.oneof(fc.constant('BTC-USD'), anyVal),
            orderId: anyVal,
            account: anyVal,
            side: anyVal,
            type: anyVal,
            tif: anyVal,
            price: anyVal,
            qty: anyVal,
            stopPrice: anyVal,
            ts: anyVal,
          },
          { requiredKeys: [] },
        ),
        (o) => check(enc.encode(JSON.stringify(o))),
      ),
      { numRuns: 3000 },
    );
  });

  it('symbol table maps names and ids and validates definitions', () => {
    expect(symbols.idOf('BTC-USD')).toBe(1);
    expect(symbols.byId(7)).toMatchObject({ name: 'EUR-USD', tickSize: 5, lotSize: 1000 });
    expect(symbols.idOf('x')).toBe(-1);
    expect(() => new SymbolTable([{ id: 1, name: 'A', tickSize: 0, lotSize: 1 }])).toThrow(RangeError);
    expect(
      () =>
        new SymbolTable([
          { id: 1, name: 'A', tickSize: 1, lotSize: 1 },
          { id: 1, name: 'B', tickSize: 1, lotSize: 1 },
        ]),
    ).toThrow(RangeError);
  });
});
