import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandLine } from '@ringmatch/engine';
import { runCli, tempDir } from './helpers.js';

describe('command line', () => {
  it('parses run flags into a typed configuration', () => {
    const c = parseCommandLine(['run', '--orders', '5000', '--seed', '7', '--ring-size', '1024', '--wal', 'fs', '--wait-strategy', 'yield', '--reports']);
    expect(c.command).toBe('run');
    if (c.command !== 'run') return;
    expect(c.config.source).toEqual({ kind: 'embedded', orders: 5000, seed: 7, symbols: 8, accounts: 1000, pregenerate: false });
    expect(c.config.ringSize).toBe(1024);
    expect(c.config.wal).toBe('fs');
    expect(c.config.waitStrategy).toBe('yield');
    expect(c.config.writeReports).toBe(true);
  });

  it('the depth stream: on by default (20 levels, a snapshot every 10000 sequences), set by flags, off with --no-depth', () => {
    const depthOf = (argv: string[]) => {
      const c = parseCommandLine(['run', ...argv], {});
      if (c.command !== 'run') throw new Error('expected run');
      return c.config.depth;
    };
    expect(depthOf([])).toEqual({ levels: 20, snapshotEvery: 10_000 });
    expect(depthOf(['--depth-levels', '5', '--depth-snapshot-every', '0'])).toEqual({ levels: 5, snapshotEvery: 0 });
    expect(depthOf(['--no-depth'])).toBeNull();
  });

  it('replay --depth prints the depth stream with the run defaults unless told otherwise', () => {
    const replayOf = (argv: string[]) => {
      const c = parseCommandLine(['replay', ...argv], {});
      if (c.command !== 'replay') throw new Error('expected replay');
      return c.config;
    };
    expect(replayOf([]).printDepth).toBeNull();
    expect(replayOf(['--depth']).printDepth).toEqual({ levels: 20, snapshotEvery: 10_000 });
    expect(replayOf(['--depth', '--depth-levels', '3', '--depth-snapshot-every', '0', '--from-start'])).toMatchObject({
      printDepth: { levels: 3, snapshotEvery: 0 },
      fromStart: true,
      printTrades: false,
    });
  });

  it('parses the Kafka source and its wire formats (JSON both ways by default)', () => {
    const dflt = parseCommandLine(['run', '--source', 'kafka'], {});
    const bin = parseCommandLine(['run', '--source', 'kafka', '--topic', 'o', '--format', 'binary', '--output-format', 'binary']);
    if (dflt.command !== 'run' || bin.command !== 'run') throw new Error('expected run');
    expect(dflt.config.source).toEqual({
      kind: 'kafka',
      brokers: ['127.0.0.1:9092'],
      topic: 'orders',
      groupId: 'ringmatch.orders',
      format: 'json',
      outputFormat: 'json',
      client: 'auto',
      jsonScanner: 'auto',
    });
    expect(bin.config.source).toMatchObject({ topic: 'o', groupId: 'ringmatch.o', format: 'binary', outputFormat: 'binary' });
  });

  it('--kafka-client: the flag, else RINGMATCH_KAFKA_CLIENT, else auto; a bad value or a non-Kafka source is a usage error', () => {
    const client = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const c = parseCommandLine(['run', '--source', 'kafka', ...argv], env);
      if (c.command !== 'run' || c.config.source.kind !== 'kafka') throw new Error('expected a Kafka run');
      return c.config.source.client;
    };
    expect(client([])).toBe('auto');
    expect(client(['--kafka-client', 'native'])).toBe('native');
    expect(client([], { RINGMATCH_KAFKA_CLIENT: 'kafkajs' })).toBe('kafkajs');
    expect(client(['--kafka-client', 'native'], { RINGMATCH_KAFKA_CLIENT: 'kafkajs' })).toBe('native');
    expect(() => client(['--kafka-client', 'rdkafka'])).toThrow(/--kafka-client must be one of auto, kafkajs, native/);
    expect(() => client([], { RINGMATCH_KAFKA_CLIENT: 'fast' })).toThrow('RINGMATCH_KAFKA_CLIENT must be one of auto, kafkajs, native, got "fast"');
    expect(() => parseCommandLine(['run', '--kafka-client', 'native'], {})).toThrow('--kafka-client applies to --source kafka only');
  });

  it('--json-scanner: the flag, else RINGMATCH_JSON_SCANNER, else auto; a bad value or a non-file source is a usage error', () => {
    const file = path.join(tempDir(), 'orders.ndjson');
    fs.writeFileSync(file, '');
    const scanner = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const c = parseCommandLine(['run', '--source', `ndjson:${file}`, ...argv], env);
      if (c.command !== 'run' || c.config.source.kind !== 'ndjson') throw new Error('expected a file run');
      return c.config.source.jsonScanner;
    };
    expect(scanner([])).toBe('auto');
    expect(scanner(['--json-scanner', 'js'])).toBe('js');
    expect(scanner([], { RINGMATCH_JSON_SCANNER: 'native' })).toBe('native');
    expect(scanner(['--json-scanner', 'js'], { RINGMATCH_JSON_SCANNER: 'native' })).toBe('js');
    expect(() => scanner(['--json-scanner', 'simd'])).toThrow(/--json-scanner must be one of auto, js, native/);
    expect(() => scanner([], { RINGMATCH_JSON_SCANNER: 'fast' })).toThrow('RINGMATCH_JSON_SCANNER must be one of auto, js, native, got "fast"');
    expect(() => parseCommandLine(['run', '--json-scanner', 'js'], {})).toThrow('--json-scanner applies to --source ndjson:FILE and kafka only');
    const kafka = parseCommandLine(['run', '--source', 'kafka', '--json-scanner', 'native'], {});
    expect(kafka).toMatchObject({ command: 'run', config: { source: { kind: 'kafka', jsonScanner: 'native' } } });
  });

  it('--json-writer: the flag, else RINGMATCH_JSON_WRITER, else auto, on every source; a bad value is a usage error', () => {
    const writer = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const c = parseCommandLine(['run', ...argv], env);
      if (c.command !== 'run') throw new Error('expected a run');
      return c.config.jsonWriter;
    };
    expect(writer([])).toBe('auto');
    expect(writer(['--json-writer', 'native'])).toBe('native');
    expect(writer([], { RINGMATCH_JSON_WRITER: 'js' })).toBe('js');
    expect(writer(['--json-writer', 'native', '--source', 'kafka'], { RINGMATCH_JSON_WRITER: 'js' })).toBe('native');
    expect(() => writer(['--json-writer', 'simd'])).toThrow(/--json-writer must be one of auto, js, native/);
    expect(() => writer([], { RINGMATCH_JSON_WRITER: 'fast' })).toThrow('RINGMATCH_JSON_WRITER must be one of auto, js, native, got "fast"');
  });

  it('--json-scanner native on a Kafka source without the native client or JSON: exit 2 before any broker is contacted', async () => {
    for (const extra of [
      ['--kafka-client', 'kafkajs'],
      ['--format', 'binary'],
    ]) {
      const r = await runCli(['run', '--data-dir', tempDir(), '--source', 'kafka', '--brokers', '127.0.0.1:1', '--json-scanner', 'native', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'ringmatch: --json-scanner native: the Kafka source scans with it only on the native client (--kafka-client native) and --format json',
      );
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, 60_000);

  it.each([
    [['run', '--ring-size', '1000'], /power of two/],
    [['run', '--orders=-5'], '--orders must be a non-negative integer, got -5'],
    [['run', '--orders', '-5'], '--orders must be a non-negative integer, got -5'],
    [['run', '--orders', 'abc'], '--orders must be an integer, got "abc"'],
    [['run', '--orders', '-1.5'], '--orders must be an integer, got "-1.5"'],
    [['run', '--orders', '1.5'], /--orders must be an integer/],
    [['run', '--orders'], '--orders needs a value'],
    [['run', '--orders', '--fresh'], '--orders needs a value, got "--fresh"'],
    [['run', '--data-dir', '--fresh'], '--data-dir needs a value, got "--fresh" (write --data-dir=--fresh if that is the value)'],
    [['run', '--fresh=yes'], '--fresh does not take a value, got "yes"'],
    [['run', 'extra'], 'unexpected argument "extra"'],
    [['run', '-x'], "Unknown option '-x'"],
    [['run', '--seed', '-1'], '--seed must be a non-negative integer, got -1'],
    [['run', '--seed', '2147483648'], '--seed must be between 0 and 2147483647, got 2147483648'],
    [['run', '--rate', '-10'], '--rate must be a non-negative integer, got -10'],
    [['run', '--max-batch', '-3'], '--max-batch must be between 1 and 1048576, got -3'],
    [['run', '--ring-size', '-64'], '--ring-size must be between 64 and 16777216, got -64'],
    [['run', '--orders', '99999999999999999999'], '--orders must be between 0 and 9007199254740991, got 99999999999999999999'],
    [['inspect', '--from', '-2'], '--from must be a non-negative integer, got -2'],
    [['inspect', '--limit', 'x'], '--limit must be an integer, got "x"'],
    [['run', '--orders', '5', '--orders', '6'], '--orders is given more than once'],
    [['run', '--orders=5', '--orders', '5'], '--orders is given more than once'],
    [['run', '--fresh', '--fresh'], '--fresh is given more than once'],
    [['run', '--debug', '--debug'], '--debug is given more than once'],
    [['replay', '--data-dir', 'a', '--data-dir', 'b'], '--data-dir is given more than once'],
    [['replay', '--depth', '--trades'], 'replay prints one stream: --trades or --depth, not both'],
    [['replay', '--depth-levels', '5'], '--depth-levels / --depth-snapshot-every set how --depth prints the depth stream: add --depth'],
    [['replay', '--depth', '--json'], '--depth prints the stream as book.ndjson lines: drop --json'],
    [['replay', '--depth', '--depth-levels', '0'], /--depth-levels must be between 1 and 1000/],
    [['repair'], 'repair needs --truncate-at SEQ'],
    [['repair', '--truncate-at', '0'], '--truncate-at must be a positive integer, got 0'],
    [['repair', '--truncate-at', '-4'], '--truncate-at must be a positive integer, got -4'],
    [['repair', '--truncate-at', 'end'], '--truncate-at must be an integer, got "end"'],
    [['repair', '--truncate-at', '3', '--trades'], "Unknown option '--trades'"],
    [['run', '--constructor', '1'], "Unknown option '--constructor'"],
    [['run', '--wal', 'tape'], /--wal must be one of/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['run', '--source', 'carrier-pigeon'], /--source must be/],
    [['run', '--source', 'kafka', '--orders', '5'], /applies to --source embedded only/],
    [['run', '--source', 'kafka', '--symbols', '5'], /--symbols applies to --source embedded and ndjson:FILE only/],
    [['run', '--brokers', 'x:1'], /applies to --source kafka only/],
    [['run', '--source', 'kafka', '--brokers', 'nohost'], /host:port/],
    [['frobnicate'], /unknown command/],
    [['run', '--pregenerate', '--orders', '0'], /--pregenerate needs --orders/],
    [['run', '--output-format', 'binary'], /--output-format applies to --source kafka only/],
    [['run', '--source', 'kafka', '--output-format', 'xml'], /--output-format must be one of/],
    [['run', '--depth-levels', '0'], '--depth-levels must be between 1 and 1000, got 0'],
    [['run', '--depth-levels', 'ten'], '--depth-levels must be an integer, got "ten"'],
    [['run', '--depth-snapshot-every', '-1'], '--depth-snapshot-every must be a non-negative integer, got -1'],
    [['run', '--no-depth', '--depth-levels', '5'], /--no-depth turns the depth stream off/],
    [['run', '--no-depth=1'], '--no-depth does not take a value'],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it.each([['run'], ['replay'], ['inspect'], ['repair']])('%s --help / -h is the usage, even next to bad flags', (command) => {
    for (const flag of ['--help', '-h']) {
      expect(parseCommandLine([command, flag])).toEqual({ command: 'help' });
      expect(parseCommandLine([command, '--data-dir', 'x', flag])).toEqual({ command: 'help' });
      expect(parseCommandLine([command, '--bogus', flag, '--orders', '-5'])).toEqual({ command: 'help' });
    }
    // A flag's value that happens to be "--help" is a value, not a request for help.
    expect(() => parseCommandLine([command, '--data-dir', '--help'])).toThrow('--data-dir needs a value');
  });

  it('parses repair with its required --truncate-at', () => {
    expect(parseCommandLine(['repair', '--data-dir', 'd', '--truncate-at', '12345'], {})).toEqual({
      command: 'repair',
      config: { dataDir: path.resolve('d'), truncateAt: 12345, debug: false },
    });
    // repair deletes data: its --data-dir is never defaulted.
    expect(() => parseCommandLine(['repair', '--truncate-at', '1'], {})).toThrow('repair needs --data-dir DIR');
  });

  it('--debug (or RINGMATCH_DEBUG=1) is accepted by every command', () => {
    const debugOf = (argv: string[], env: NodeJS.ProcessEnv = {}): boolean => {
      const c = parseCommandLine(argv, env);
      if (c.command === 'help') throw new Error('expected a command');
      return c.config.debug;
    };
    for (const argv of [['run'], ['replay'], ['inspect'], ['repair', '--data-dir', 'd', '--truncate-at', '7']]) {
      expect(debugOf(argv)).toBe(false);
      expect(debugOf([...argv, '--debug'])).toBe(true);
      expect(debugOf(argv, { RINGMATCH_DEBUG: '1' })).toBe(true);
      expect(debugOf(argv, { RINGMATCH_DEBUG: '0' })).toBe(false);
    }
  });

  it('accepts negative-looking values for integer flags only as integers to validate', () => {
    const c = parseCommandLine(['run', '--orders', '0', '--rate=0', '--data-dir=-odd-name'], {});
    if (c.command !== 'run') throw new Error('expected run');
    expect(c.config.source).toMatchObject({ orders: 0 });
    expect(c.config.dataDir).toBe(path.resolve('-odd-name'));
  });

  describe('--source ndjson:FILE is checked at parse time', () => {
    it('accepts a readable file', () => {
      const dir = tempDir();
      const file = path.join(dir, 'orders.ndjson');
      fs.writeFileSync(file, '');
      const c = parseCommandLine(['run', '--source', `ndjson:${file}`], {});
      expect(c).toMatchObject({ command: 'run', config: { source: { kind: 'ndjson', file, symbols: null } } });
      // --symbols N: the file's symbols are the embedded generator's N synthetic ones
      const synthetic = parseCommandLine(['run', '--source', `ndjson:${file}`, '--symbols', '12'], {});
      expect(synthetic).toMatchObject({ command: 'run', config: { source: { kind: 'ndjson', file, symbols: 12 } } });
      expect(() => parseCommandLine(['run', '--source', `ndjson:${file}`, '--symbols', '0'], {})).toThrow(UsageError);
    });

    it('rejects a missing file, a directory and a path through a file', () => {
      const dir = tempDir();
      const file = path.join(dir, 'orders.ndjson');
      fs.writeFileSync(file, '');
      expect(() => parseCommandLine(['run', '--source', `ndjson:${dir}/nope.ndjson`])).toThrow(
        new UsageError(`--source ndjson:${dir}/nope.ndjson: no such file`),
      );
      expect(() => parseCommandLine(['run', '--source', `ndjson:${dir}`])).toThrow(new UsageError(`--source ndjson:${dir}: is a directory`));
      expect(() => parseCommandLine(['run', '--source', `ndjson:${file}/x`])).toThrow(new UsageError(`--source ndjson:${file}/x: cannot be read: ENOTDIR`));
    });

    // Root reads any file, so an unreadable file can only be made as another user.
    it.skipIf(process.getuid?.() === 0)('rejects an unreadable file', () => {
      const file = path.join(tempDir(), 'secret.ndjson');
      fs.writeFileSync(file, '{}\n');
      fs.chmodSync(file, 0o000);
      expect(() => parseCommandLine(['run', '--source', `ndjson:${file}`])).toThrow(new UsageError(`--source ndjson:${file}: cannot be read: EACCES`));
    });
  });

  it('exits 2 with the message and usage on a bad flag', async () => {
    const r = await runCli(['run', '--ring-size', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ring-size must be an integer');
    expect(r.stderr).toContain('usage: ringmatch');
  });
});
