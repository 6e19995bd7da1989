// `npm run bench -- --compare` (bench/compare/), its pure parts: which way a figure is better,
// medians, pairing REF's run i with the tree's run i, the oriented ratios, the flags, the parsing
// of a run's output, and the node_modules links a REF worktree gets.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_METRICS, parseCompareArgs, UsageError } from '../bench/compare/args.js';
import { formatText } from '../bench/compare/report.js';
import { benchArgs, parseLines } from '../bench/compare/side.js';
import { betterWhen, compareRuns, differences, median, orientedRatio } from '../bench/compare/stats.js';
import { linkNodeModules } from '../bench/compare/worktree.js';
import type { BenchLine } from '../bench/types.js';

const line = (bench: string, ops: number | null, p50: number | null = null, extra: Record<string, unknown> = {}): BenchLine => ({
  bench,
  ops_per_s: ops,
  p50_us: p50,
  p99_us: null,
  ...extra,
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('bench --compare: arithmetic', () => {
  it('tells a rate (higher is better) from a time (lower is better) by the unit in the field name', () => {
    for (const f of ['ops_per_s', 'mb_per_s', 'cas_per_s', 'wall_ops_per_s', 'raw_ops_per_s']) expect(betterWhen(f), f).toBe('higher');
    for (const f of ['p50_us', 'p99_us', 'ring_p99_us', 'p50_us_busy_spin', 'total_s', 'ns_per_op', 'engine_cpu_us_per_order', 'latency_ms', 'seconds'])
      expect(betterWhen(f), f).toBe('lower');
    for (const f of ['rss_mb', 'vs_raw', 'batch', 'trades', 'bench', 'users']) expect(betterWhen(f), f).toBeNull();
  });

  it('takes medians (the mean of the middle two for an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });

  it('orients each ratio so that > 1 means the tree is better', () => {
    expect(orientedRatio(100, 150, 'higher')).toBe(1.5); // more ops/s in the tree
    expect(orientedRatio(150, 100, 'lower')).toBe(1.5); // fewer us in the tree
    expect(orientedRatio(100, 150, 'lower')).toBeCloseTo(0.667, 3); // a slower tree
    expect(orientedRatio(null, 1, 'higher')).toBeNull();
    expect(orientedRatio(0, 1, 'higher')).toBeNull();
  });

  it("pairs REF's run i with the tree's run i and takes the median of the pair ratios, per line and metric", () => {
    const ref = [
      [line('a', 100, 10), line('a:base', 50)],
      [line('a', 200, 20), line('a:base', 50)],
      [line('a', 100, 10), line('a:base', 50)],
    ];
    const tree = [
      [line('a', 150, 5), line('a:base', 50)],
      [line('a', 200, 40), line('a:base', 100)],
      [line('a', 90, 10), line('a:base', 25)],
    ];
    const rows = compareRuns(ref, tree, DEFAULT_METRICS);
    // p99_us is null everywhere: no row for it.
    expect(rows.map((r) => `${r.bench} ${r.metric}`)).toEqual(['a ops_per_s', 'a p50_us', 'a:base ops_per_s']);
    const [ops, p50, base] = rows;
    expect(ops!.better).toBe('higher');
    expect(ops!.ref).toEqual({ values: [100, 200, 100], median: 100 });
    expect(ops!.tree).toEqual({ values: [150, 200, 90], median: 150 });
    expect(ops!.pair_ratios).toEqual([1.5, 1, 0.9]);
    expect(ops!.median_ratio).toBe(1); // the median of the pair ratios, not the ratio of the medians (1.5)
    expect(p50!.better).toBe('lower');
    expect(p50!.pair_ratios).toEqual([2, 0.5, 1]);
    expect(p50!.median_ratio).toBe(1);
    expect(base!.pair_ratios).toEqual([1, 2, 0.5]);
  });

  it('keeps a line one side lacks, with nulls, and says so', () => {
    const ref = [[line('a', 100), line('old', 5)]];
    const tree = [[line('a', 100), line('new', 7)]];
    const rows = compareRuns(ref, tree, ['ops_per_s']);
    expect(rows.map((r) => r.bench)).toEqual(['a', 'new', 'old']);
    expect(rows[1]).toMatchObject({ ref: { values: [null], median: null }, tree: { values: [7], median: 7 }, pair_ratios: [null], median_ratio: null });
    expect(differences(ref, tree)).toEqual(['new: only the tree side reports this line', 'old: only the REF side reports this line']);
  });

  it('notes a text detail that differs between the sides, and a failed run', () => {
    const ref = [[line('engine', 100, null, { wal_backend: 'fs' })], [line('engine', null, null, { error: 'broker down' })]];
    const tree = [[line('engine', 120, null, { wal_backend: 'native' })], [line('engine', 130, null, { wal_backend: 'native' })]];
    expect(differences(ref, tree)).toEqual(['engine: wal_backend "native" in the tree, "fs" in REF', 'REF run 2: engine failed: broker down']);
    const rows = compareRuns(ref, tree, ['ops_per_s']);
    expect(rows[0]!.pair_ratios).toEqual([1.2, null]);
    expect(rows[0]!.median_ratio).toBe(1.2);
  });

  it('refuses a metric whose better direction is unknown', () => {
    expect(() => compareRuns([[line('a', 1)]], [[line('a', 1)]], ['rss_mb'])).toThrow(/rss_mb/);
  });

  it('prints one table row per line and metric with both medians, every pair ratio and the median ratio', () => {
    const rows = compareRuns([[line('a', 100)], [line('a', 200)]], [[line('a', 110)], [line('a', 180)]], ['ops_per_s']);
    const text = formatText({
      ref: 'HEAD~1',
      ref_sha: 'abcdef0123456789',
      tree: '/repo, HEAD 1234',
      only: 'a',
      quick: true,
      pairs: 2,
      order: 'REF, tree',
      rows,
      notes: ['x differs'],
    });
    expect(text).toContain('against HEAD~1 (abcdef012345)');
    expect(text).toContain('| a | ops_per_s (higher is better) | 150 | 145 | 1.100 0.900 | 1.000 |');
    expect(text).toContain('- x differs');
  });
});

describe('bench --compare: flags and runs', () => {
  it('parses the flags, with defaults', () => {
    expect(parseCompareArgs(['--compare', 'HEAD~1'])).toEqual({
      ref: 'HEAD~1',
      only: null,
      pairs: 3,
      quick: false,
      json: false,
      metrics: ['ops_per_s', 'p50_us', 'p99_us'],
      timeoutS: 900,
      nativeBuild: true,
    });
    expect(
      parseCompareArgs([
        '--compare=v1',
        '--only',
        'micro-',
        '--pairs',
        '5',
        '--quick',
        '--json',
        '--metric',
        'engine_cpu_us_per_order',
        '--timeout=60',
        '--no-native-build',
      ]),
    ).toEqual({ ref: 'v1', only: 'micro-', pairs: 5, quick: true, json: true, metrics: ['engine_cpu_us_per_order'], timeoutS: 60, nativeBuild: false });
  });

  it('rejects missing and bad arguments with a usage error', () => {
    for (const argv of [
      ['--only', 'x'],
      ['--compare'],
      ['--compare', '--only', 'x'],
      ['--compare', 'HEAD', '--pairs', '0'],
      ['--compare', 'HEAD', '--pairs', 'two'],
      ['--compare', 'HEAD', '--metric', 'rss_mb'],
      ['--compare', 'HEAD', '--write'],
      ['--compare', 'HEAD', '--frobnicate'],
    ]) {
      expect(() => parseCompareArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('runs each side as `node bench/dist/run.js --only X --json --no-write [--quick]` and reads its JSON lines', () => {
    expect(benchArgs({ only: 'ring', quick: true })).toEqual([path.join('bench', 'dist', 'run.js'), '--only', 'ring', '--json', '--no-write', '--quick']);
    expect(benchArgs({ only: null, quick: false })).toEqual([path.join('bench', 'dist', 'run.js'), '--json', '--no-write']);
    const out = '{"bench":"a","ops_per_s":1,"p50_us":null,"p99_us":null}\nnoise\n{"bench":"b","ops_per_s":2,"p50_us":null,"p99_us":null}\n{"bench":"c","ops_';
    expect(parseLines(out).map((l) => l.bench)).toEqual(['a', 'b']);
  });

  it("links a worktree's node_modules to the tree's, the workspace links into the worktree's own packages", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-links-'));
    dirs.push(base);
    const tree = path.join(base, 'tree');
    const wt = path.join(base, 'wt');
    for (const root of [tree, wt]) fs.mkdirSync(path.join(root, 'packages', 'ring'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'node_modules', 'vega'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'node_modules', '@ringmatch'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'node_modules', '@types', 'node'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'node_modules', '.bin'), { recursive: true });
    fs.symlinkSync('../../packages/ring', path.join(tree, 'node_modules', '@ringmatch', 'ring'));
    fs.symlinkSync('../vega/cli.js', path.join(tree, 'node_modules', '.bin', 'vg'));
    linkNodeModules(tree, wt);
    const real = (p: string) => fs.realpathSync(path.join(wt, 'node_modules', p));
    expect(real('@ringmatch/ring')).toBe(fs.realpathSync(path.join(wt, 'packages', 'ring')));
    expect(real('vega')).toBe(fs.realpathSync(path.join(tree, 'node_modules', 'vega')));
    expect(real('@types/node')).toBe(fs.realpathSync(path.join(tree, 'node_modules', '@types', 'node')));
    expect(real('.bin')).toBe(fs.realpathSync(path.join(tree, 'node_modules', '.bin')));
  });
});
