import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradeLineEncoder, createTrade, defaultSymbolTable, encodeTradeJson, syntheticSymbolTable } from '@ringmatch/protocol';

const int = (max: number) => fc.integer({ min: 0, max });
const safe = fc.oneof(int(1000), int(2 ** 31 + 5), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

describe('TradeLineEncoder', () => {
  it('writes exactly the bytes of {"n":n, + encodeTradeJson + newline', () => {
    for (const symbols of [defaultSymbolTable(), syntheticSymbolTable(40), undefined]) {
      const encoder = new TradeLineEncoder(symbols);
      const out = new Uint8Array(4096);
      fc.assert(
        fc.property(int(70), safe, safe, safe, int(45), safe, safe, safe, safe, safe, safe, fc.constantFrom(0, 1), int(1000),
          (symbolId, seq, ts, tradeId, n, price, qty, maker, taker, makerAccount, takerAccount, side, at) => {
            const t = createTrade({ symbolId, seq, timestamp: ts, tradeId, price, qty, makerOrderId: maker, takerOrderId: taker, makerAccountId: makerAccount % 2 ** 32, takerAccountId: takerAccount, takerSide: side as 0 | 1 });
            const end = encoder.write(out, at, n, t);
            expect(end - at).toBeLessThanOrEqual(encoder.maxLineBytes);
            const expected = `{"n":${n},${encodeTradeJson(t, symbols).slice(1)}\n`;
            expect(Buffer.from(out.subarray(at, end)).toString('utf8')).toBe(expected);
          }),
        { numRuns: 2000 },
      );
    }
  });
});
