// The JSON fast path (decodeJsonCommandFast) against the general path (JSON.parse +
// commandFromJson): whenever the fast path accepts, it must produce exactly the general path's
// command; it must accept the canonical encoding of every valid command (or it would silently
// never run); and it must step aside for everything the general path rejects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandToJson, createCommand, decodeJsonCommandFast, decodeMessage, type Command } from '@ringmatch/protocol';
import { names, symbols, valid, variation } from './json-cases.js';

const enc = new TextEncoder();

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
