// The NDJSON file source and the command line around it, through real CLI processes on real files.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Internal to the engine (not exported): the compiled module, as the CLI these tests run.
import { LineReader } from '../dist/line-reader.js';
import { resolveJsonScanner } from '../dist/json-scanner.js';
import { CommandKind, Field, Reason, decodeMessageLenient, defaultSymbolTable, fieldName, reasonText } from '@ringmatch/protocol';
import { readLines, runCli, summaryOf, tempDirs } from './helpers.js';

const dir = tempDirs();
/** Both scanners where the native one is built (CI builds it); the JS one always. */
const SCANNERS = (await resolveJsonScanner('auto')).scanner === 'native' ? (['js', 'native'] as const) : (['js'] as const);

const RUN = ['run', '--progress-ms', '0', '--wal', 'fs', '--snapshot-every', '0'];
const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const order = (id: number, account: number, side: 'buy' | 'sell', qty: number, price?: number): string =>
  price === undefined
    ? `{"op":"new","symbol":"AAPL","orderId":${id},"account":${account},"side":"${side}","type":"market","qty":${qty}}`
    : `{"op":"new","symbol":"AAPL","orderId":${id},"account":${account},"side":"${side}","type":"limit","price":${price},"qty":${qty}}`;

type Json = Record<string, unknown>;
const reportsOf = (d: string): Json[] => readLines(path.join(d, 'reports.ndjson')).map((l) => JSON.parse(l) as Json);
const tradesOf = (d: string): Array<{ takerOrderId: number; makerOrderId: number; qty: number }> =>
  readLines(path.join(d, 'trades.ndjson')).map((l) => JSON.parse(l) as { takerOrderId: number; makerOrderId: number; qty: number });

/** What the Kafka path makes of the same bytes: the reason and field its reject carries. */
function asKafkaWould(line: Uint8Array, offset: number): { reason: string; field: string } {
  const [c, ...rest] = decodeMessageLenient(line, 'json', { symbols: defaultSymbolTable(), sourceStream: 0, sourcePosition: offset });
  expect(rest).toHaveLength(0);
  expect(c).toMatchObject({ kind: CommandKind.Invalid, reason: Reason.Malformed, field: Field.Message });
  return { reason: reasonText(c!.reason), field: fieldName(c!.field) };
}

/** Every line of `file` as LineReader hands them out (copied: a line's range lives until the next call). */
function readAll(file: string): { lines: Buffer[]; numbers: number[] } {
  const reader = new LineReader(file);
  const lines: Buffer[] = [];
  const numbers: number[] = [];
  try {
    for (let n = reader.lineNumber; reader.next(); n = reader.lineNumber) {
      numbers.push(n);
      lines.push(Buffer.from(reader.bytes.subarray(reader.lineStart, reader.lineEnd)));
      expect(Buffer.from(reader.line()).equals(lines[lines.length - 1]!)).toBe(true);
    }
  } finally {
    reader.close();
  }
  return { lines, numbers };
}

/** The lines of `content` by definition: split on "\n", one "\r" before it dropped, no line after a final "\n". */
function expectedLines(content: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = content.indexOf(10); nl >= 0; nl = content.indexOf(10, start)) {
    out.push(content.subarray(start, nl > start && content[nl - 1] === 13 ? nl - 1 : nl));
    start = nl + 1;
  }
  if (start < content.length) out.push(content.subarray(start, content[content.length - 1] === 13 ? content.length - 1 : content.length));
  return out;
}

describe('LineReader', () => {
  it('splits any bytes into the lines they hold, numbered from 0, without decoding them', () => {
    const file = path.join(dir(), 'lines.bin');
    const byte = fc.oneof(fc.constantFrom(10, 13, 0xff, 0xc3, 0xe2, 0x20), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 300 }), (content) => {
        const buf = Buffer.from(content);
        fs.writeFileSync(file, buf);
        const { lines, numbers } = readAll(file);
        expect(lines).toEqual(expectedLines(buf));
        expect(numbers).toEqual(lines.map((_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it('handles lines across read boundaries and lines longer than its buffer, and skips to a line', () => {
    const file = path.join(dir(), 'big.bin');
    const MiB = 1 << 20;
    // A 2-byte UTF-8 character straddling the first 1 MiB read, a 3.5 MiB line, CRLF lines around it.
    const head = Buffer.alloc(MiB - 1, 0x61);
    head[1000] = 10;
    const content = Buffer.concat([head, Buffer.from('é\r\nshort\n'), Buffer.alloc(3.5 * MiB, 0x62), Buffer.from('\r\n\n\r\nlast')]);
    fs.writeFileSync(file, content);
    const { lines } = readAll(file);
    const expected = expectedLines(content);
    expect(lines.every((l, i) => l.equals(expected[i]!))).toBe(true); // Buffer.equals: toEqual is slow on MiBs
    expect(lines.map((l) => l.length)).toEqual([1000, MiB - 1 - 1001 + 2, 5, 3.5 * MiB, 0, 0, 4]);
    const reader = new LineReader(file);
    try {
      reader.skipTo(3);
      expect(reader.lineNumber).toBe(3);
      expect(reader.next()).toBe(true);
      expect(reader.lineEnd - reader.lineStart).toBe(3.5 * MiB);
      reader.skipTo(6);
      expect(reader.next()).toBe(true);
      expect(Buffer.from(reader.line()).toString()).toBe('last');
      expect(reader.next()).toBe(false);
      expect(reader.lineNumber).toBe(7);
      reader.skipTo(100); // past the end: stops there
      expect(reader.lineNumber).toBe(7);
    } finally {
      reader.close();
    }
  });
});

describe.each(SCANNERS)('NDJSON file source: bad bytes and bad lines (--json-scanner %s)', (scanner) => {
  it('takes a batch line longer than the read buffer and the ring, with valid non-ASCII text in it', async () => {
    const d = dir();
    const file = path.join(d, 'orders.ndjson');
    // 12,000 commands on one line (about 1.6 MB), each with a valid 2-byte character, then one more line.
    const batch = Array.from({ length: 12_000 }, (_, i) => `${order(i + 1, 1 + (i % 7), i % 2 === 0 ? 'sell' : 'buy', 1, 19000).slice(0, -1)},"note":"café"}`);
    fs.writeFileSync(file, `[${batch.join(',')}]\n${order(20_000, 9, 'buy', 1, 18000)}\n`);
    const r = await runCli([...RUN, '--data-dir', path.join(d, 'data'), '--source', `ndjson:${file}`, '--json-scanner', scanner, '--ring-size', '1024']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.lastSequence).toBe(12_001);
    expect(s.malformed).toBe(0);
    expect(s.rejected).toBe(0);
  }, 60_000);

  it('rejects invalid UTF-8 and garbage lines with their reason and line, and trades every valid order', async () => {
    const d = dir();
    const file = path.join(d, 'orders.ndjson');
    // Line index = the "offset" of a file source (0-based, blank lines count).
    const lines: Buffer[] = [
      bytes(order(1, 1, 'sell', 10, 19000)), // 0
      // 1: a valid order but for one byte that is not UTF-8 (in a field the decoder ignores): a
      // decoding reader made it U+FFFD and accepted the order; Kafka rejects these bytes.
      bytes(order(2, 2, 'buy', 3, 19000).slice(0, -1), ',"note":"caf', [0xe9], '"}'),
      bytes('this is not json'), // 2
      bytes(''), // 3: blank
      bytes(order(5, 2, 'buy', 4, 19000), '\r'), // 4: CRLF
      bytes('  \t'), // 5: blank
      bytes(`[${order(6, 3, 'buy', 1, 19000)},${order(7, 4, 'sell', 5, 19100)}]`), // 6: a batch
      bytes(order(9, 5, 'buy', 1, 19000), [0xe2, 0x82]), // 7: a truncated UTF-8 sequence just before the newline
      bytes(order(8, 5, 'buy', 10)), // 8: the last line, without a newline
    ];
    fs.writeFileSync(file, Buffer.concat(lines.flatMap((l, i) => (i < lines.length - 1 ? [l, Buffer.from('\n')] : [l]))));

    const r = await runCli([...RUN, '--data-dir', path.join(d, 'data'), '--source', `ndjson:${file}`, '--json-scanner', scanner, '--reports']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`json scanner: ${scanner}`);
    const s = summaryOf(r.stdout);
    // 7 non-blank lines, one a batch of 2: 8 commands, every one journaled and answered.
    expect(s.lastSequence).toBe(8);
    expect(s.malformed).toBe(3);
    expect(s.rejected).toBe(3);

    const reports = reportsOf(path.join(d, 'data'));
    const rejected = reports.filter((x) => x.status === 'rejected');
    expect(rejected.map((x) => [x.seq, x.reason, x.field, x.source])).toEqual([
      [2, 'malformed message', 'message', { partition: 0, offset: 1 }],
      [3, 'malformed message', 'message', { partition: 0, offset: 2 }],
      [7, 'malformed message', 'message', { partition: 0, offset: 7 }],
    ]);
    // Exactly what the Kafka path makes of the same bytes.
    for (const x of rejected) {
      const offset = (x.source as { offset: number }).offset;
      expect({ reason: x.reason, field: x.field }).toEqual(asKafkaWould(lines[offset]!, offset));
    }
    // Only rejects of undecodable input say where they came from.
    expect(reports.filter((x) => x.source !== undefined)).toHaveLength(3);

    const accepted = reports.filter((x) => x.status === 'accepted').map((x) => x.orderId);
    expect(accepted).toEqual([1, 5, 6, 7, 8]);
    expect(reports.some((x) => x.orderId === 2 || x.orderId === 9)).toBe(false);
    expect(tradesOf(path.join(d, 'data')).map((t) => [t.takerOrderId, t.makerOrderId, t.qty])).toEqual([
      [5, 1, 4],
      [6, 1, 1],
      [8, 1, 5],
      [8, 7, 5],
    ]);
  }, 60_000);

  it('resumes by line number: a restart on the grown file processes only the new lines, bad ones included', async () => {
    const d = dir();
    const data = path.join(d, 'data');
    const file = path.join(d, 'orders.ndjson');
    const first = [order(1, 1, 'sell', 10, 19000), 'garbage', '', `[${order(2, 2, 'buy', 1, 19000)},${order(3, 3, 'buy', 1, 19000)}]`];
    fs.writeFileSync(file, `${first.join('\n')}\n`);
    const r1 = await runCli([...RUN, '--data-dir', data, '--source', `ndjson:${file}`, '--json-scanner', scanner, '--reports']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(summaryOf(r1.stdout).lastSequence).toBe(4);

    // Lines 4.. are new; the batch on line 3 (the WAL's last offset) must not be taken again.
    fs.appendFileSync(file, Buffer.concat([bytes('{"op":"new","symbol":"AAPL",', [0xff], '}\n'), bytes(`${order(4, 4, 'buy', 2, 19000)}\n`), bytes('\n')]));
    const r2 = await runCli([...RUN, '--data-dir', data, '--source', `ndjson:${file}`, '--json-scanner', scanner, '--reports']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(summaryOf(r2.stdout).lastSequence).toBe(6);

    const reports = reportsOf(data);
    expect(reports.filter((x) => x.status === 'rejected').map((x) => [x.seq, x.source])).toEqual([
      [2, { partition: 0, offset: 1 }],
      [5, { partition: 0, offset: 4 }],
    ]);
    expect(reports.filter((x) => x.status === 'accepted').map((x) => x.orderId)).toEqual([1, 2, 3, 4]);
    expect(tradesOf(data).map((t) => [t.takerOrderId, t.qty])).toEqual([
      [2, 1],
      [3, 1],
      [4, 2],
    ]);
  }, 60_000);
});

describe('command line errors exit 2 with one clear line and no stack trace', () => {
  const noStack = (stderr: string): void => {
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/Error:|TypeError/);
  };

  it('a missing source file: nothing is created on disk', async () => {
    const d = dir();
    const data = path.join(d, 'data');
    const missing = path.join(d, 'missing.ndjson');
    const r = await runCli([...RUN, '--data-dir', data, '--source', `ndjson:${missing}`], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`ringmatch: --source ndjson:${missing}: no such file`);
    noStack(r.stderr);
    expect(fs.existsSync(data)).toBe(false);
  }, 60_000);

  it('a directory as the source file', async () => {
    const d = dir();
    const data = path.join(d, 'data');
    const r = await runCli([...RUN, '--data-dir', data, '--source', `ndjson:${d}`], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`ringmatch: --source ndjson:${d}: is a directory`);
    noStack(r.stderr);
    expect(fs.existsSync(data)).toBe(false);
  }, 60_000);

  it.each([
    [['--orders', '-5'], '--orders must be a non-negative integer, got -5'],
    [['--orders', 'abc'], '--orders must be an integer, got "abc"'],
    [['--orders', '5', '--orders', '6'], '--orders is given more than once'],
    [['--fresh', '--fresh'], '--fresh is given more than once'],
  ])(
    'run %j',
    async (args, message) => {
      const data = path.join(dir(), 'data');
      const r = await runCli(['run', '--data-dir', data, ...args], 30_000);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`ringmatch: ${message}`);
      noStack(r.stderr);
      expect(fs.existsSync(data)).toBe(false);
    },
    60_000,
  );

  it.each([
    ['run', '--help'],
    ['run', '-h'],
    ['replay', '--help'],
    ['inspect', '-h'],
    ['repair', '--help'],
  ])(
    '%s %s prints the usage and exits 0',
    async (...args) => {
      const r = await runCli(args, 30_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('usage: ringmatch <command> [flags]');
      expect(r.stdout).toContain('repair    cut a damaged WAL at a sequence');
      expect(r.stdout).toContain('--debug');
      expect(r.stderr).toBe('');
    },
    60_000,
  );
});
