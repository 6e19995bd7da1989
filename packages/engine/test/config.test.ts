import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandLine } from '@ringmatch/engine';
import { runCli } from './helpers.js';

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

  it('parses the Kafka source and its wire formats (JSON both ways by default)', () => {
    const dflt = parseCommandLine(['run', '--source', 'kafka']);
    const bin = parseCommandLine(['run', '--source', 'kafka', '--topic', 'o', '--format', 'binary', '--output-format', 'binary']);
    if (dflt.command !== 'run' || bin.command !== 'run') throw new Error('expected run');
    expect(dflt.config.source).toEqual({ kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'orders', groupId: 'ringmatch', format: 'json', outputFormat: 'json' });
    expect(bin.config.source).toMatchObject({ topic: 'o', format: 'binary', outputFormat: 'binary' });
  });

  it.each([
    [['run', '--ring-size', '1000'], /power of two/],
    [['run', '--orders=-5'], /--orders must be between/],
    [['run', '--orders', '-5'], /argument is ambiguous/],
    [['run', '--orders', '1.5'], /--orders must be an integer/],
    [['run', '--wal', 'tape'], /--wal must be one of/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['run', '--source', 'carrier-pigeon'], /--source must be/],
    [['run', '--source', 'kafka', '--orders', '5'], /applies to --source embedded only/],
    [['run', '--brokers', 'x:1'], /applies to --source kafka only/],
    [['run', '--source', 'kafka', '--brokers', 'nohost'], /host:port/],
    [['frobnicate'], /unknown command/],
    [['run', '--pregenerate', '--orders', '0'], /--pregenerate needs --orders/],
    [['run', '--output-format', 'binary'], /--output-format applies to --source kafka only/],
    [['run', '--source', 'kafka', '--output-format', 'xml'], /--output-format must be one of/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('exits 2 with the message and usage on a bad flag', async () => {
    const r = await runCli(['run', '--ring-size', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ring-size must be an integer');
    expect(r.stderr).toContain('usage: ringmatch');
  });
});
