// The native JSON scanner (@ringmatch/native's CommandScanner) against the JS byte scanner it
// mirrors: on every line, it takes exactly the lines the JS fast path takes and writes the same
// slot bytes; it stops before any other line, so the JS path owns every error. Each line goes
// through each of its paths: general, compact, and a shape learned from earlier lines. Then the file reader
// over both (the same staged commands, line counts and rejects on a messy file), and the records of
// a native Kafka poll buffer (the same slots, stops before other messages and other partitions).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_SLOT_BYTES, SymbolTable, commandToJson, createCommand, decodeJsonCommandFast, writeCommand, type Command } from '@ringmatch/protocol';
import { CommandStaging, NdjsonCommandReader } from '@ringmatch/engine';
import { NATIVE_RECORD_HEADER, NativeRecordReader } from '@ringmatch/kafka';
import { createNativeScanner, resolveJsonScanner, type NativeCommandScanner } from '../src/json-scanner.js';
import { symbols, valid, variation } from '../../protocol/test/json-cases.js';

const enc = new TextEncoder();
const expectNative = process.env.RINGMATCH_EXPECT_NATIVE === '1';
const loaded = await createNativeScanner(symbols).catch((error: unknown) => error as Error);
const native: NativeCommandScanner | null = loaded instanceof Error ? null : loaded;
/** A line number above 2^32, so the slot's high position bits are checked too. */
const LINE = 2 ** 40 + 7;
const SOURCE_STREAM = 0;

/** The JS fast path's slot for one line, or null when it steps aside. */
function jsSlot(line: Uint8Array, lineNumber: number): Uint8Array | null {
  const into = createCommand();
  if (!decodeJsonCommandFast(line, into, { symbols, sourceStream: SOURCE_STREAM, sourcePosition: lineNumber })) return null;
  const slot = new Uint8Array(COMMAND_SLOT_BYTES);
  writeCommand(slot, 0, into);
  return slot;
}

/**
 * Bytes after a line in the padded layout: more than the native scanner's compact path needs past a
 * line's start before it reads the line (288), made of bytes that would change its answer if it took
 * them as part of the line.
 */
const PADDING = enc.encode('"0123456789,:}{ '.repeat(20));

/** The native scanner's slot for `line` and a newline, followed by `after` in the buffer; null when it stops before it. */
function scanOne(scanner: NativeCommandScanner, line: Uint8Array, lineNumber: number, after: Uint8Array): Uint8Array | null {
  const input = new Uint8Array(line.length + 1 + after.length);
  input.set(line);
  input[line.length] = 0x0a;
  input.set(after, line.length + 1);
  const out = new Uint8Array(COMMAND_SLOT_BYTES).fill(0xee); // stale bytes must all be overwritten
  const progress = new Float64Array(2);
  const slots = scanner.scanLines(input, 0, input.length, lineNumber, SOURCE_STREAM, out, 0, 1, progress);
  if (slots === 0) {
    expect([...progress]).toEqual([0, 0]);
    return null;
  }
  expect(slots).toBe(1);
  expect([...progress]).toEqual([line.length + 1, 1]);
  return out;
}

/**
 * The native scanner's slot for one line, or null when it stops before it. The line is read three
 * times: last in its buffer (the general path: too few bytes follow it for the unchecked reads of
 * the other two), then twice with padding after it. The first padded read tries the shapes learned
 * from earlier lines and then the compact path, which learns this line's shape when it takes it; the
 * second then reads a line taken by its own shape. All three must give the same answer.
 */
function nativeSlot(scanner: NativeCommandScanner, line: Uint8Array, lineNumber: number): Uint8Array | null {
  const alone = scanOne(scanner, line, lineNumber, new Uint8Array(0));
  expect(scanOne(scanner, line, lineNumber, PADDING)).toEqual(alone);
  expect(scanOne(scanner, line, lineNumber, PADDING)).toEqual(alone);
  return alone;
}

/** Native and JS agree on `text` as one line (raw newlines in it are JSON whitespace: made spaces). */
function agree(scanner: NativeCommandScanner, text: string): boolean {
  if (/^[ \t\r\n]*$/.test(text)) return false; // a blank line: the reader skips it, it holds no command
  const line = enc.encode(text.replaceAll('\n', ' '));
  const js = jsSlot(line, LINE);
  expect(nativeSlot(scanner, line, LINE)).toEqual(js);
  return js !== null;
}

describe.runIf(native !== null)('native JSON scanner against the JS scanner', () => {
  const scanner = native!;

  it('takes the canonical line of every valid command, with the same slot bytes', () => {
    fc.assert(
      fc.property(valid, (cmd) => {
        expect(agree(scanner, commandToJson(cmd, symbols))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('on varied and broken shapes: takes exactly what the JS fast path takes, with the same bytes', () => {
    let taken = 0;
    fc.assert(
      fc.property(valid, variation, (cmd, vary) => {
        if (agree(scanner, vary(JSON.parse(commandToJson(cmd, symbols)) as Record<string, unknown>))) taken++;
      }),
      { numRuns: 5000 },
    );
    expect(taken).toBeGreaterThan(500);
  });

  it('on arbitrary JSON values and strings', () => {
    fc.assert(
      fc.property(fc.json(), (text) => void agree(scanner, text)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => void agree(scanner, text)),
      { numRuns: 2000 },
    );
  });

  it('on integer and enum edges', () => {
    const base = '{"op":"new","symbol":"BTC-USD","orderId":1,"account":2,"side":"buy","price":100,"qty":3';
    const edges = [
      `${base}}`,
      `${base},"ts":9007199254740991}`,
      `${base},"ts":-9007199254740991}`,
      `${base},"ts":9007199254740992}`,
      `${base},"ts":1234567890123456}`,
      `${base},"ts":12345678901234567}`,
      `${base},"ts":-0}`,
      `${base},"ts":0}`,
      `${base},"ts":01}`,
      `${base},"ts":1.0}`,
      `${base},"ts":1e2}`,
      `${base},"ts":1E2}`,
      `${base},"ts":-}`,
      `${base},"tif":"POST_ONLY","stp":"Cancel_Both","type":"LIMIT"}`,
      `${base},"type":"stop_market","stopPrice":5}`,
      `${base},"type":"stop_limit","stopPrice":5}`,
      `${base},"type":"stop_limit"}`,
      `${base},"type":"market"}`,
      `${base},"type":1}`,
      `${base},"tif":"cancel_newest_x"}`,
      `${base},"symbolId":2}`,
      `${base},"batch":1}`,
      // a layout learned from a market order, then orders of that layout that need the keys it lacks
      '{"op":"new","symbol":"BTC-USD","orderId":1,"account":2,"side":"buy","type":"market","qty":3}',
      '{"op":"new","symbol":"BTC-USD","orderId":1,"account":2,"side":"buy","type":"limit","qty":3}',
      '{"op":"new","symbol":"BTC-USD","orderId":1,"account":2,"side":"buy","type":"stop","qty":3}',
      '{"op":"new","symbol":"BTC-USD","orderId":1,"account":2,"side":"buy","type":"stop_limit","qty":3}',
      '{"op":"cancel","symbolId":65535,"orderId":7,"account":4294967295}',
      '{"op":"cancel","symbolId":65536,"orderId":7,"account":1}',
      '{"op":"cancel","symbolId":0,"orderId":7,"account":1}',
      '{"op":"cancel","symbol":3,"orderId":7,"account":1}',
      '{"op":"cancel","symbol":65536,"orderId":7,"account":1}',
      '{"op":"cancel","symbolId":1,"orderId":7,"account":1}\r ',
      '{"op":"cancel","symbol":3,"orderId":7,"account":1,"side":"nope"}',
      '{"op":"cancel","symbol":0,"orderId":7,"account":1}',
      '{"op":"cancel","symbolId":1,"orderId":7,"account":4294967296}',
      '{"op":"amend","symbolId":1,"orderId":7,"account":1}',
      '{"op":"amend","symbolId":1,"orderId":7,"account":1,"qty":-3}',
      '{"op":"amend","symbolId":1,"orderId":7,"account":1,"price":"5"}',
      '{"op":"Amend","symbolId":1,"orderId":7,"account":1,"price":5} \t',
      '{ "op" : "cancel" , "symbolId" : 1 , "orderId" : 7 , "account" : 1 }',
      '{"op":"cancel","symbolId":1,"orderId":7,"account":1,"note":"a\\"b"}',
      '{"op":"cancel","symbolId":1,"orderId":7,"account":1,"x":{}}',
      '{"op":"cancel","symbolId":1,"orderId":7,"account":1}}',
      '{}',
    ];
    const taken = edges.filter((text) => agree(scanner, text)).length;
    expect(taken).toBeGreaterThan(10);
  });

  it('over one buffer of many lines: key orders that change from line to line, spacing, symbol names around 16 bytes', async () => {
    // The scanner reads 16 bytes at a time and guesses each key from the line before: names of 15, 16
    // and 40 bytes, numbers next to the window's edge, and key orders that change every few lines.
    const table = new SymbolTable([
      { id: 1, name: 'A', tickSize: 1, lotSize: 1 },
      { id: 2, name: 'FIFTEEN-BYTES-X', tickSize: 1, lotSize: 1 },
      { id: 3, name: 'SIXTEEN-BYTES-XY', tickSize: 1, lotSize: 1 },
      { id: 4, name: 'A-FORTY-BYTE-SYMBOL-NAME-FOR-LONG-LOOKUP', tickSize: 1, lotSize: 1 },
      { id: 300, name: 'SYM-300', tickSize: 1, lotSize: 1 },
    ]);
    const many = await createNativeScanner(table);
    const style = fc.constantFrom('canonical', 'reversed', 'spaced', 'colon-spaced', 'upper', 'symbolId', 'tab-crlf');
    const styled = (cmd: Command, how: string): string => {
      const o = JSON.parse(commandToJson(cmd, table)) as Record<string, unknown>;
      switch (how) {
        case 'reversed':
          return JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
        case 'spaced':
          return JSON.stringify(o).replaceAll(',"', ', "').replaceAll('":', '": ');
        case 'colon-spaced':
          return JSON.stringify(o).replaceAll('":', '" :');
        case 'upper':
          return JSON.stringify({ ...o, op: String(o.op).toUpperCase(), side: typeof o.side === 'string' ? o.side.toUpperCase() : o.side });
        case 'symbolId':
          return JSON.stringify({ ...o, symbol: undefined, symbolId: cmd.symbolId });
        case 'tab-crlf':
          return `\t${JSON.stringify(o)} \r`;
        default:
          return JSON.stringify(o);
      }
    };
    const cmdFor = valid.map((cmd) => ({ ...cmd, symbolId: [1, 2, 3, 4, 300][cmd.symbolId % 5]! }) as Command);
    fc.assert(
      fc.property(fc.array(fc.tuple(cmdFor, style, fc.nat(3)), { minLength: 1, maxLength: 60 }), (items) => {
        // Runs of a style, so a key order holds for a few lines and then changes.
        const texts = items.map(([cmd, how, run], i) => styled(cmd, run === 0 || i === 0 ? how : items[i - 1]![1]));
        const input = enc.encode(`${texts.join('\n')}\n`);
        const out = new Uint8Array(texts.length * COMMAND_SLOT_BYTES);
        const progress = new Float64Array(2);
        const taken = many.scanLines(input, 0, input.length, LINE, SOURCE_STREAM, out, 0, texts.length, progress);
        let expected = 0;
        for (const text of texts) {
          const into = createCommand();
          if (!decodeJsonCommandFast(enc.encode(text), into, { symbols: table, sourceStream: SOURCE_STREAM, sourcePosition: LINE + expected })) break;
          const slot = new Uint8Array(COMMAND_SLOT_BYTES);
          writeCommand(slot, 0, into);
          expect(out.subarray(expected * COMMAND_SLOT_BYTES, (expected + 1) * COMMAND_SLOT_BYTES)).toEqual(slot);
          expected++;
        }
        expect(taken).toBe(expected);
        expect(progress[1]).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('takes whole lines in order: blanks counted, CRLF, a stop before the first other line, the slot limit', () => {
    const a = commandToJson(createCommand({ kind: 1, symbolId: 1, orderId: 1, accountId: 1, price: 10, qty: 1 }), symbols);
    const b = commandToJson(createCommand({ kind: 2, symbolId: 2, orderId: 1, accountId: 1 }), symbols);
    const text = `xx\n${a}\r\n \t\r\n\n${b}\n{"batch":[${a}]}\n${a}\n${a}`;
    const input = enc.encode(text);
    const from = 3; // after "xx\n"
    const out = new Uint8Array(8 * COMMAND_SLOT_BYTES);
    const progress = new Float64Array(2);
    // From line 10: a (CRLF), two blank lines, b, then the batch line stops it.
    expect(scanner.scanLines(input, from, input.length, 10, 0, out, 2, 8, progress)).toBe(2);
    const batchAt = text.indexOf('{"batch"');
    expect([...progress]).toEqual([batchAt, 4]);
    expect(out.subarray(2 * COMMAND_SLOT_BYTES, 3 * COMMAND_SLOT_BYTES)).toEqual(jsSlot(enc.encode(a), 10));
    expect(out.subarray(3 * COMMAND_SLOT_BYTES, 4 * COMMAND_SLOT_BYTES)).toEqual(jsSlot(enc.encode(b), 13));
    expect(out.subarray(0, 2 * COMMAND_SLOT_BYTES).every((byte) => byte === 0)).toBe(true); // before outSlot: untouched
    // After the batch line: one a, then the unended last line stays for the JS path.
    const afterBatch = text.indexOf('\n', batchAt) + 1;
    expect(scanner.scanLines(input, afterBatch, input.length, 15, 0, out, 0, 8, progress)).toBe(1);
    expect([...progress]).toEqual([afterBatch + a.length + 1, 1]);
    // The slot limit, and the room left in `out`, both stop it.
    expect(scanner.scanLines(input, from, input.length, 10, 0, out, 0, 1, progress)).toBe(1);
    expect([...progress]).toEqual([from + a.length + 2, 1]);
    expect(scanner.scanLines(input, from, input.length, 10, 0, out, 7, 8, progress)).toBe(1);
    expect(() => scanner.scanLines(input, 5, 2, 0, 0, out, 0, 8, progress)).toThrow(/bad range/);
  });

  it('numbers the slots from firstSeq when given one (claimed ring slots), else writes sequence 0', () => {
    const a = commandToJson(createCommand({ kind: 1, symbolId: 1, orderId: 1, accountId: 1, price: 10, qty: 1 }), symbols);
    const b = commandToJson(createCommand({ kind: 2, symbolId: 2, orderId: 1, accountId: 1 }), symbols);
    const input = enc.encode(`${a}\n\n${b}\n${a}\n`);
    const out = new Uint8Array(6 * COMMAND_SLOT_BYTES);
    const view = new DataView(out.buffer);
    const seqs = () => [0, 1, 2, 3, 4, 5].map((k) => view.getFloat64(k * COMMAND_SLOT_BYTES, true));
    const progress = new Float64Array(2);
    const first = 2 ** 40 + 3; // above 2^32: the whole double is written
    expect(scanner.scanLines(input, 0, input.length, 0, 0, out, 2, 8, progress, first)).toBe(3);
    expect(seqs()).toEqual([0, 0, first, first + 1, first + 2, 0]); // the blank line takes no number
    // The rest of each slot is the unnumbered slot's.
    const plain = new Uint8Array(6 * COMMAND_SLOT_BYTES);
    expect(scanner.scanLines(input, 0, input.length, 0, 0, plain, 2, 8, progress)).toBe(3);
    for (let k = 2; k < 5; k++) {
      expect(plain.subarray(k * COMMAND_SLOT_BYTES, k * COMMAND_SLOT_BYTES + 8).every((byte) => byte === 0)).toBe(true);
      expect(out.subarray(k * COMMAND_SLOT_BYTES + 8, (k + 1) * COMMAND_SLOT_BYTES)).toEqual(
        plain.subarray(k * COMMAND_SLOT_BYTES + 8, (k + 1) * COMMAND_SLOT_BYTES),
      );
    }
    for (const bad of [-1, 1.5, 2 ** 53 + 2, Number.NaN])
      expect(() => scanner.scanLines(input, 0, input.length, 0, 0, out, 0, 8, progress, bad)).toThrow(/first sequence/);
  });
});

/** A native Kafka poll buffer (packages/kafka/src/native-records.ts) of `records`. */
function pollBuffer(records: Array<{ partition: number; offset: number; key: string | null; value: Uint8Array | null }>): Uint8Array {
  const size = records.reduce((n, r) => n + NATIVE_RECORD_HEADER + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);
  const buffer = new Uint8Array(size + 16); // bytes after the records must not be read as one
  const view = new DataView(buffer.buffer);
  let at = 0;
  for (const r of records) {
    view.setUint32(at, r.partition, true);
    view.setFloat64(at + 4, r.offset, true);
    view.setFloat64(at + 12, 1_700_000_000_000, true);
    view.setInt32(at + 20, r.key === null ? -1 : r.key.length, true);
    view.setInt32(at + 24, r.value === null ? -1 : r.value.length, true);
    at += NATIVE_RECORD_HEADER;
    if (r.key !== null) at += enc.encodeInto(r.key, buffer.subarray(at)).written;
    if (r.value !== null) {
      buffer.set(r.value, at);
      at += r.value.length;
    }
  }
  return buffer;
}

describe.runIf(native !== null)('native JSON scanner on Kafka poll records', () => {
  const scanner = native!;

  it('takes each plainly valid message of a partition it may take, with the JS slot, and stops before any other', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(valid, variation, fc.nat(5), fc.nat(3)), { minLength: 1, maxLength: 40 }), (items) => {
        const records = items.map(([cmd, vary, pick, partition], i) => {
          const canonical = commandToJson(cmd, symbols);
          const text = pick < 4 ? canonical : pick === 4 ? vary(JSON.parse(canonical) as Record<string, unknown>) : `[${canonical}]`;
          return { partition, offset: 2 ** 33 + i * 3, key: i % 2 === 0 ? 'k' : null, value: enc.encode(text) };
        });
        const takes = new Uint8Array(8);
        takes.set([1, 1, 0, 1]); // partition 2 is not ours to take here
        const nextOffsets = new Float64Array(8);
        const out = new Uint8Array(64 * COMMAND_SLOT_BYTES);
        const progress = new Float64Array(2);
        const buffer = pollBuffer(records);
        const taken = scanner.scanRecords(buffer, 0, records.length, takes, nextOffsets, out, 0, 64, progress);
        // The JS rule: take while the partition may be taken and the fast path takes the value.
        let expected = 0;
        let end = 0;
        for (const r of records) {
          if (takes[r.partition] !== 1) break;
          const into = createCommand();
          if (!decodeJsonCommandFast(r.value, into, { symbols, sourceStream: r.partition, sourcePosition: r.offset })) break;
          const slot = new Uint8Array(COMMAND_SLOT_BYTES);
          writeCommand(slot, 0, into);
          expect(out.subarray(expected * COMMAND_SLOT_BYTES, (expected + 1) * COMMAND_SLOT_BYTES)).toEqual(slot);
          expected++;
          end += NATIVE_RECORD_HEADER + (r.key?.length ?? 0) + r.value.length;
        }
        expect(taken).toBe(expected);
        expect([...progress]).toEqual([end, expected]);
        for (let p = 0; p < 4; p++) {
          const last = records.slice(0, expected).findLast((r) => r.partition === p);
          expect(nextOffsets[p]).toBe(last ? last.offset + 1 : 0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the poll reader goes on with the record the scanner stopped at', () => {
    const line = (id: number) => enc.encode(commandToJson(createCommand({ kind: 2, symbolId: 1, orderId: id, accountId: 1 }), symbols));
    const buffer = pollBuffer([
      { partition: 1, offset: 5, key: 'a', value: line(1) },
      { partition: 1, offset: 6, key: null, value: line(2) },
      { partition: 1, offset: 7, key: null, value: enc.encode('not json') },
      { partition: 1, offset: 8, key: 'b', value: line(4) },
    ]);
    const reader = new NativeRecordReader(buffer).reset(4);
    expect(reader.next()).toBe(true);
    const progress = new Float64Array(2);
    const taken = scanner.scanRecords(
      buffer,
      reader.recordStart,
      reader.remaining + 1,
      Uint8Array.of(0, 1),
      new Float64Array(2),
      new Uint8Array(256),
      0,
      4,
      progress,
    );
    expect(taken).toBe(2);
    reader.skipTaken(taken, progress[0]!);
    expect(reader.next()).toBe(true);
    expect([reader.offset, Buffer.from(reader.value()!).toString()]).toEqual([7, 'not json']);
    expect(reader.next()).toBe(true);
    expect([reader.offset, Buffer.from(reader.key()!).toString(), reader.remaining]).toEqual([8, 'b', 0]);
    expect(reader.next()).toBe(false);
    expect(() => reader.skipTaken(2, 0)).toThrow(RangeError);
  });

  it('stops at a null value, at the record and slot limits, and reads only `count` records', () => {
    const line = (id: number) => enc.encode(commandToJson(createCommand({ kind: 2, symbolId: 1, orderId: id, accountId: 1 }), symbols));
    const buffer = pollBuffer([
      { partition: 0, offset: 10, key: null, value: line(1) },
      { partition: 0, offset: 11, key: 'x', value: line(2) },
      { partition: 0, offset: 12, key: null, value: null },
      { partition: 0, offset: 13, key: null, value: line(4) },
    ]);
    const takes = Uint8Array.of(1);
    const nextOffsets = new Float64Array(1);
    const out = new Uint8Array(8 * COMMAND_SLOT_BYTES);
    const progress = new Float64Array(2);
    expect(scanner.scanRecords(buffer, 0, 4, takes, nextOffsets, out, 0, 8, progress)).toBe(2);
    expect(nextOffsets[0]).toBe(12);
    expect(scanner.scanRecords(buffer, 0, 1, takes, nextOffsets, out, 0, 8, progress)).toBe(1); // count
    expect(progress[0]).toBe(NATIVE_RECORD_HEADER + line(1).length);
    expect(scanner.scanRecords(buffer, 0, 4, takes, nextOffsets, out, 7, 8, progress)).toBe(1); // room in `out`
    expect(scanner.scanRecords(buffer, 0, 4, takes, nextOffsets, out, 0, 0, progress)).toBe(0); // maxSlots
    expect(() => scanner.scanRecords(buffer, 0, 4, takes, new Float64Array(0), out, 0, 8, progress)).toThrow(/bad range/);
  });
});

describe('native JSON scanner availability', () => {
  it(expectNative ? 'RINGMATCH_EXPECT_NATIVE=1: the native scanner loaded' : 'absent or present: auto falls back to the JS scanner', async () => {
    const auto = await resolveJsonScanner('auto');
    if (expectNative) {
      expect(loaded).not.toBeInstanceOf(Error);
      expect(auto.scanner).toBe('native');
    } else if (native === null) {
      expect(auto).toMatchObject({ scanner: 'js' });
      expect(auto.line).toMatch(/^json scanner: js \(native not loaded: /);
      await expect(resolveJsonScanner('native')).rejects.toThrow(/--json-scanner native: @ringmatch\/native does not load/);
    }
    expect(await resolveJsonScanner('js')).toEqual({ scanner: 'js', line: 'json scanner: js (--json-scanner js)' });
  });
});

describe.runIf(native !== null)('NDJSON reader with the native scanner', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-json-scanner-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Every staged slot, the lines read and the rejects, reading `file` in batches of `batch`. */
  function readAll(file: string, scanner: NativeCommandScanner | null, batch: number, resume?: [number, number]) {
    const reader = new NdjsonCommandReader(file, symbols, scanner);
    if (resume) reader.resumeAt(resume[0], resume[1]);
    const staging = new CommandStaging(16);
    const slots: Buffer[] = [];
    try {
      while (!reader.eof) {
        staging.count = 0;
        reader.fill(staging, batch);
        slots.push(Buffer.from(staging.bytes.subarray(0, staging.count * COMMAND_SLOT_BYTES)));
      }
    } finally {
      reader.close();
    }
    return { slots: Buffer.concat(slots).toString('base64'), lines: reader.linesRead, malformed: reader.malformed };
  }

  it('stages the same commands as the JS path on a messy file, at every batch size and on resume', () => {
    const lines: string[] = [];
    fc.assert(
      fc.property(valid, variation, fc.nat(10), (cmd, vary, pick) => {
        const canonical = commandToJson(cmd, symbols);
        if (pick < 6) lines.push(canonical);
        else if (pick === 6) lines.push(vary(JSON.parse(canonical) as Record<string, unknown>).replaceAll('\n', ' '));
        else if (pick === 7) lines.push(`{"batch":[${canonical},${canonical}]}`);
        else if (pick === 8) lines.push('');
        else if (pick === 9) lines.push(' \t ');
        else lines.push('not json \u00e9');
      }),
      { numRuns: 3000 },
    );
    const file = path.join(dir, 'messy.ndjson');
    const last = commandToJson(createCommand({ kind: 2, symbolId: 1, orderId: 9, accountId: 1 }), symbols);
    fs.writeFileSync(file, `${lines.join('\r\n')}\n${lines.slice(0, 50).join('\n')}\n${last}`); // CRLF, LF, an unended last line
    const scanner = native!;
    for (const batch of [1, 7, 4096]) {
      const expected = readAll(file, null, batch);
      expect(expected.lines).toBe(lines.length + 51);
      expect(readAll(file, scanner, batch)).toEqual(expected);
    }
    // Resume inside a batch line whose first command is in the WAL already.
    const batchLine = lines.findIndex((l) => l.startsWith('{"batch"'));
    expect(batchLine).toBeGreaterThanOrEqual(0);
    expect(readAll(file, scanner, 64, [batchLine, 1])).toEqual(readAll(file, null, 64, [batchLine, 1]));
  });
});
