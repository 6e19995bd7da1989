// Commands for the JSON fast-path tests: valid commands of every kind, and rewrites of their JSON
// text that vary its shape (some stay valid, some do not). Shared by the JS scanner's tests and the
// native scanner's differential test (packages/engine/test/json-scanner.test.ts).
import fc from 'fast-check';
import { CommandKind, OrderType, createCommand, defaultSymbolTable, type Command } from '@ringmatch/protocol';

export const symbols = defaultSymbolTable();
export const names = symbols.list().map((d) => d.name);
const big = fc.integer({ min: 10 ** 15, max: Number.MAX_SAFE_INTEGER }); // 16 digits: microsecond timestamps
const safe = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  big,
  big.map((v) => -v),
);

export const valid = fc
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

/** Rewrites of a JSON object text that keep it valid JSON but vary its shape. */
export const variation = fc.constantFrom(
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
