// The NDJSON file source and the command line around it, through real CLI processes on real files.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Internal to the engine (not exported): the compiled module, as the CLI these tests run.
import { LineReader } from '../dist/line-reader.js';
import { resolveJsonScanner } from '../dist/json-scanner.js';
import { loadFileWindows, openFileWindows } from '../dist/file-windows.js';
import { decodeSourcePositions } from '../dist/source-positions.js';
import { readSnapshotFile, snapshotFiles } from '@ringmatch/wal';
import { CommandKind, Field, Reason, decodeMessageLenient, defaultSymbolTable, fieldName, reasonText } from '@ringmatch/protocol';
import { readLines, runCli, startCli, summaryOf, tempDirs, waitExit, waitForMatched } from './helpers.js';

const dir = tempDirs();
/** Both scanners where the native one is built (CI builds it); the JS one always. */
const SCANNERS = (await resolveJsonScanner('auto')).scanner === 'native' ? (['js', 'native'] as const) : (['js'] as const);

/** How a LineReader gets its bytes: read(), or mapped windows (of the default size, and tiny ones). */
type OpenReader = (file: string) => LineReader;
const READERS: Array<[string, OpenReader]> = [['read()', (file) => new LineReader(file)]];
const fileWindows = await loadFileWindows(); // where @ringmatch/native is built (CI builds it)
if (fileWindows !== null)
  for (const [name, size] of [
    ['mapped windows', undefined],
    ['mapped windows of 1 byte and more', 1],
    ['mapped windows of 70,000 bytes', 70_000],
  ] as const)
    READERS.push([name, (file) => new LineReader(file, openFileWindows(fileWindows, file)!, size)]);

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
function readAll(file: string, open: OpenReader): { lines: Buffer[]; numbers: number[] } {
  const reader = open(file);
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

describe.each(READERS)('LineReader (%s)', (_name, open) => {
  it('splits any bytes into the lines they hold, numbered from 0, without decoding them', () => {
    const file = path.join(dir(), 'lines.bin');
    const byte = fc.oneof(fc.constantFrom(10, 13, 0xff, 0xc3, 0xe2, 0x20), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 300 }), (content) => {
        const buf = Buffer.from(content);
        fs.writeFileSync(file, buf);
        const { lines, numbers } = readAll(file, open);
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
    const { lines } = readAll(file, open);
    const expected = expectedLines(content);
    expect(lines.every((l, i) => l.equals(expected[i]!))).toBe(true); // Buffer.equals: toEqual is slow on MiBs
    expect(lines.map((l) => l.length)).toEqual([1000, MiB - 1 - 1001 + 2, 5, 3.5 * MiB, 0, 0, 4]);
    const reader = open(file);
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

  it('reads the lines appended to the file while it reads, up to its end', () => {
    const file = path.join(dir(), 'growing.ndjson');
    fs.writeFileSync(file, 'a\nbb\n');
    const reader = open(file);
    try {
      expect(reader.next()).toBe(true);
      fs.appendFileSync(file, `${'c'.repeat(200_000)}\nd`);
      const rest: string[] = [];
      while (reader.next()) rest.push(Buffer.from(reader.line()).toString());
      expect(rest).toEqual(['bb', 'c'.repeat(200_000), 'd']);
    } finally {
      reader.close();
    }
  });
});

describe('LineReader: an input file that shrinks below the bytes already read is refused, not taken as a shorter file', () => {
  const lines = (n: number, width: number): string => `${Array.from({ length: n }, (_, i) => String(i).padStart(width, '0')).join('\n')}\n`;
  /** Reads on into `seen` until the end (or a throw). */
  const readOn = (reader: LineReader, seen: string[]): void => {
    while (reader.next()) seen.push(Buffer.from(reader.line()).toString());
  };

  it('read(): at the end of what it read', () => {
    const file = path.join(dir(), 'shrinks.ndjson');
    fs.writeFileSync(file, lines(300_000, 9)); // 3 MB: the first read takes 1 MiB of it
    const reader = new LineReader(file);
    const seen: string[] = [];
    try {
      expect(reader.next()).toBe(true);
      fs.truncateSync(file, 100);
      expect(() => readOn(reader, seen)).toThrow(
        new RegExp(`^input file ${file} shrank to 100 bytes while being read \\(1048576 were there; line 104857 is next\\)`),
      );
      expect(seen).toEqual(lines(104_857, 9).split('\n').slice(1, -1)); // the whole lines read before the cut
    } finally {
      reader.close();
    }
  });

  it.skipIf(fileWindows === null)('mapped windows: at the end of the window, before the zeros the map shows past the new end', () => {
    const file = path.join(dir(), 'shrinks.ndjson');
    fs.writeFileSync(file, lines(300, 9)); // 3,000 bytes: one page, so no SIGBUS here
    const reader = new LineReader(file, openFileWindows(fileWindows, file)!);
    const seen: string[] = [];
    try {
      expect(reader.next()).toBe(true);
      fs.truncateSync(file, 2_005); // inside line 200
      expect(() => readOn(reader, seen)).toThrow(/^input file .* shrank to 2005 bytes while being read \(3000 were there; line 200 is next\)/);
      expect(seen).toEqual(lines(200, 9).split('\n').slice(1, -1)); // lines 1..199: intact before the cut
    } finally {
      reader.close();
    }
  });
});

describe.skipIf(fileWindows === null)('an input file cut while the engine reads it through mapped windows', () => {
  it('exits 1 with one line naming the file and the byte, and a run on the restored file ends as an uncut run does', async () => {
    const d = dir();
    const file = path.join(d, 'orders.ndjson');
    const content = `${Array.from({ length: 300_000 }, (_, i) => order(i + 1, 1 + (i % 50), i % 2 ? 'buy' : 'sell', 1 + (i % 5), 19_000 + (i % 7))).join('\n')}\n`;
    fs.writeFileSync(file, content); // 33 MB, mapped in one window
    const data = path.join(d, 'data');
    const child = startCli([
      'run',
      '--data-dir',
      data,
      '--progress-ms',
      '100',
      '--wal',
      'fs',
      '--snapshot-every',
      '0',
      '--source',
      `ndjson:${file}`,
      '--rate',
      '100000',
    ]);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await waitForMatched(child, 20_000, 30_000);
    fs.truncateSync(file, content.length >> 1); // far ahead of the paced reader
    const exit = await waitExit(child, 30_000);
    expect(exit.code, stderr).toBe(1);
    const said = stderr.split('\n').filter((l) => l.includes('shrank'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^\[ringmatch\] input file .*: byte \d+ is gone: the file shrank while it was being read\. Every order before it is journaled; restore the file and run again to resume$/,
    );
    expect(said[0]).toContain(` ${file}: `);

    fs.writeFileSync(file, content);
    const resumed = await runCli([...RUN, '--data-dir', data, '--source', `ndjson:${file}`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(summaryOf(resumed.stdout).lastSequence).toBe(300_000);
    const uncut = path.join(d, 'uncut');
    const clean = await runCli([...RUN, '--data-dir', uncut, '--source', `ndjson:${file}`]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(fs.readFileSync(path.join(data, 'trades.ndjson')).equals(fs.readFileSync(path.join(uncut, 'trades.ndjson')))).toBe(true);
  }, 120_000);
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

  it('batch lines that end a claim, outgrow it or cross the ring end: every command in file order, as one per line', async () => {
    // Commands are written where they are published, a claim at a time (ClaimedSlotStaging); a
    // batch line's commands that do not fit the claim follow it. Same commands, same outputs.
    const d = dir();
    const commands = Array.from({ length: 3_000 }, (_, i) => order(i + 1, 1 + (i % 9), i % 3 === 0 ? 'sell' : 'buy', 1 + (i % 4), 18_990 + (i % 21)));
    const sizes = [1, 1, 7, 300, 1, 64, 65, 2, 1, 900, 1, 1, 130, 255, 256, 257, 3, 1];
    const lines: string[] = [];
    for (let at = 0, k = 0; at < commands.length; k++) {
      const group = commands.slice(at, at + sizes[k % sizes.length]!);
      lines.push(group.length === 1 ? group[0]! : `[${group.join(',')}]`);
      at += group.length;
    }
    const batched = path.join(d, 'batched.ndjson');
    const single = path.join(d, 'single.ndjson');
    fs.writeFileSync(batched, `${lines.join('\n')}\n`);
    fs.writeFileSync(single, `${commands.join('\n')}\n`);
    const outputs = async (file: string, name: string): Promise<Buffer[]> => {
      const data = path.join(d, name);
      const r = await runCli([...RUN, '--data-dir', data, '--source', `ndjson:${file}`, '--json-scanner', scanner, '--ring-size', '256', '--reports']);
      expect(r.code, r.stderr).toBe(0);
      expect(summaryOf(r.stdout).lastSequence).toBe(commands.length);
      return ['reports.ndjson', 'trades.ndjson'].map((f) => fs.readFileSync(path.join(data, f)));
    };
    const [fromBatches, fromSingles] = [await outputs(batched, 'batched'), await outputs(single, 'single')];
    expect(
      reportsOf(path.join(d, 'batched'))
        .filter((x) => x.status === 'accepted')
        .map((x) => x.orderId),
    ).toEqual(commands.map((_, i) => i + 1));
    expect(fromBatches[0]!.equals(fromSingles[0]!)).toBe(true);
    expect(fromBatches[1]!.equals(fromSingles[1]!)).toBe(true);
    expect(fromBatches[1]!.length).toBeGreaterThan(0);
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

describe('snapshots record where the file resumes', () => {
  // Without the depth stream the native book keeps each stream's last position itself (no JS reads
  // the slots); with it, the matcher does. Both must record the line of the snapshot's command.
  it.each([[['--no-depth']], [[]]])(
    'each snapshot holds the line of the command at its sequence (%j)',
    async (depthFlags) => {
      const d = dir();
      const file = path.join(d, 'orders.ndjson');
      const lines: string[] = [];
      const lineOf = [-1]; // lineOf[k]: the line of command k (from 1)
      for (let k = 1; k <= 3000; k++) {
        if (k % 3 === 0) lines.push(''); // blank lines: line numbers run ahead of sequences
        lineOf.push(lines.length);
        lines.push(order(k, 1 + (k % 7), k % 2 === 1 ? 'buy' : 'sell', 1 + (k % 5), 18_990 + (k % 21)));
      }
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      const data = path.join(d, 'data');
      const r = await runCli(['run', '--progress-ms', '0', '--snapshot-every', '700', '--data-dir', data, '--source', `ndjson:${file}`, ...depthFlags]);
      expect(r.code, r.stderr).toBe(0);
      const snapshots = snapshotFiles(path.join(data, 'wal')).map((f) => readSnapshotFile(f));
      expect(snapshots.length).toBeGreaterThan(1);
      for (const snapshot of snapshots) {
        if (typeof snapshot === 'string') throw new Error(snapshot);
        expect([...decodeSourcePositions(snapshot.sourceState)], `snapshot at ${snapshot.sequence}`).toEqual([[0, lineOf[snapshot.sequence]]]);
      }
    },
    60_000,
  );
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
