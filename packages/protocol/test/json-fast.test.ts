// The JSON fast path (decodeJsonCommandFast) against the general path (JSON.parse +
// commandFromJson): whenever the fast path accepts, it must produce exactly the general path's
// command; it must accept the canonical encoding of every valid command (or it would silently
// never run); and it must step aside for everything the general path rejects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommandKind,
  OrderType,
  commandToJson,
  createCommand,
  decodeJsonCommandFast,
  decodeMessage,
  defaultSymbolTable,
  type Command,
} from '@ringmatch/protocol';

const symbols = defaultSymbolTable();
const names = symbols.list().map((d) => d.name);
const enc = new TextEncoder();
const big = fc.integer({ min: 10 ** 15, max: Number.MAX_SAFE_INTEGER }); // 16 digits: microsecond timestamps
const safe = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  big,
  big.map((v) => -v),
);

const valid = fc
  .record({
    kind: fc.constantFrom(CommandKind.New, CommandKind.Cancel, CommandKind.Amend),
    side: fc.constantFrom(0, 1),
    type: fc.constantFrom(OrderType.Limit, OrderType.Market, OrderType.Stop, OrderType.StopLimit),
    tif: fc.constantFrom(0, 1, 2, 3),
    stp: fc.constantFrom(0, 1, 2, 3, 4),
    symbolId: fc.integer({ min: 1, max: names.length }),
    orderId: fc.oneof(fc.integer({ min: 0, max: 10 ** 6 }), big),
    accountId: fc.integer({ min: 0, max: 0xffffffff }),
    price: safe,
    qty: safe,
    stopPrice: safe,
    timestamp: fc.oneof(fc.integer({ min: 0, max: 10 ** 6 }), big),
  })
  .map((r) => createCommand(r as Partial<Command>));

/** The general path's single command, or the error it reports. */
function general(text: string): Command | Error {
  try {
    const out = decodeMessage(enc.encode(text), 'json', { symbols, sourceStream: 3, sourcePosition: 9 });
    return out.length === 1 ? out[0]! : new Error(`${out.length} commands`);
  } catch (e) {
    return e as Error;
  }
}

/** Bytes around a message in a larger buffer that would change the result if the scan read them. */
const BEFORE = enc.encode('{"op":"new","qty":1}\n{');
const AFTER = enc.encode('}, "qty": 5}\n{"op"');

function fast(text: string): Command | null {
  const opts = { symbols, sourceStream: 3, sourcePosition: 9 };
  const into = createCommand({ price: 777, reason: 5 }); // stale values must all be overwritten
  const whole = decodeJsonCommandFast(enc.encode(text), into, opts) ? into : null;
  // The same message as a range of a larger buffer (how the file source reads lines): same answer.
  const message = enc.encode(text);
  const buffer = new Uint8Array(BEFORE.length + message.length + AFTER.length);
  buffer.set(BEFORE);
  buffer.set(message, BEFORE.length);
  buffer.set(AFTER, BEFORE.length + message.length);
  const inRange = createCommand({ price: 777, reason: 5 });
  const ranged = decodeJsonCommandFast(buffer, inRange, opts, BEFORE.length, BEFORE.length + message.length) ? inRange : null;
  expect(ranged).toEqual(whole);
  return whole;
}

/** Rewrites of a JSON object text that keep it valid JSON but vary its shape. */
const variation = fc.constantFrom(
  (o: Record<string, unknown>) => JSON.stringify(o),
  (o: Record<string, unknown>) => JSON.stringify(o, null, 2),
  (o: Record<string, unknown>) => ` \t${JSON.stringify(Object.fromEntries(Object.entries(o).reverse()))}\n`,
  (o: Record<string, unknown>) => JSON.stringify({ ...o, note: 'x', extra: 5 }),
  (o: Record<string, unknown>) =>
    JSON.stringify({ ...o, side: typeof o.side === 'string' ? o.side.toUpperCase() : o.side, op: typeof o.op === 'string' ? o.op.toUpperCase() : o.op }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, symbolId: symbols.idOf(String(o.symbol)), symbol: undefined }),
  (o: Record<string, unknown>) => JSON.stringify(o).replace(/}$/, `,"qty":${JSON.stringify(o.qty ?? 1)}}`), // duplicate key
  (o: Record<string, unknown>) => JSON.stringify({ ...o, price: typeof o.price === 'number' ? o.price + 0.5 : 1.5 }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, qty: 1e3 }).replace('"qty":1000', '"qty":1e3'),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, ts: null }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, account: String(o.account) }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, orderId: -1 }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, symbol: 'NOPE-USD' }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, symbol: 'caf\u00e9' }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, type: 'stop_market', stopPrice: 5 }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, tif: 'day' }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, qty: undefined, price: undefined }),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, op: undefined }),
  (o: Record<string, unknown>) => JSON.stringify({ batch: [o] }),
  (o: Record<string, unknown>) => JSON.stringify([o]),
  (o: Record<string, unknown>) => JSON.stringify({ ...o, nested: { a: [1, true] } }),
  (o: Record<string, unknown>) => JSON.stringify(o).replace(/"$/, '"'),
  (o: Record<string, unknown>) => `${JSON.stringify(o)} x`,
  (o: Record<string, unknown>) => JSON.stringify(o).replace('"account":', '"account": 0'),
  (o: Record<string, unknown>) => JSON.stringify(o).replace('"op":"', '"op":"\\u006e'),
  (o: Record<string, unknown>) => JSON.stringify(o).replace(/"ts":\d+/, '"ts":9007199254740993'), // 2^53 + 1: not safe
  (o: Record<string, unknown>) => JSON.stringify(o).replace(/"ts":\d+/, '"ts":12345678901234567'),
);

describe('JSON fast path', () => {
  it('accepts the canonical encoding of every valid command, with exactly the general result', () => {
    fc.assert(
      fc.property(valid, (cmd) => {
        const text = commandToJson(cmd, symbols);
        const expected = general(text);
        expect(expected).not.toBeInstanceOf(Error);
        expect(fast(text)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('on varied and broken shapes: accepts only what the general path accepts, and agrees with it', () => {
    let accepted = 0;
    fc.assert(
      fc.property(valid, variation, (cmd, vary) => {
        const text = vary(JSON.parse(commandToJson(cmd, symbols)) as Record<string, unknown>);
        const expected = general(text);
        const got = fast(text);
        if (got !== null) {
          accepted++;
          expect(expected).not.toBeInstanceOf(Error);
          expect(got).toEqual(expected);
        }
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(500); // whitespace, reordering, unknown keys, upper case stay fast
  });

  it('steps aside for arbitrary bytes and JSON values, never accepting what the general path rejects', () => {
    const check = (text: string): void => {
      const got = fast(text);
      if (got !== null) expect(got).toEqual(general(text));
    };
    fc.assert(fc.property(fc.json(), check), { numRuns: 3000 });
    fc.assert(fc.property(fc.string(), check), { numRuns: 2000 });
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('new', 'cancel', 'amend', 'buy', 'sell', 'limit', 'market', 'stop', 'stop_limit', 'ioc', ...names),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            op: field,
            symbol: field,
            symbolId: field,
            orderId: field,
            account: field,
            side: field,
            type: field,
            tif: field,
            stp: field,
            price: field,
            qty: field,
            stopPrice: field,
            ts: field,
          },
          { requiredKeys: [] },
        ),
        (o) => check(JSON.stringify(o)),
      ),
      { numRuns: 5000 },
    );
  });
});
