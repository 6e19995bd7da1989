// `npm run bench -- --compare` for real: the working tree against its own HEAD, checked out as a
// worktree under the temp dir (built there, or reused), on the fastest micro group, in quick mode.
// Runs the compiled runner, as `npm run bench` does after its `tsc -b`.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CompareResult } from '../bench/compare/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUN = path.join(root, 'bench', 'dist', 'run.js');

function bench(args: string[], timeoutMs: number) {
  return spawnSync(process.execPath, [RUN, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
}

describe('bench --compare, end to end', () => {
  it('compares the tree with HEAD on a micro group: both sides per line, a ratio per pair, the median ratio', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    // --no-native-build: where the tree's native sources differ from HEAD's, REF runs without the
    // module instead of waiting on cargo; this group does not use it.
    const run = bench(
      ['--compare', 'HEAD', '--only', 'micro-sequence-set-store', '--quick', '--pairs', '2', '--json', '--no-native-build', '--timeout', '120'],
      170_000,
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as CompareResult;
    expect(result.ref_sha).toBe(head);
    expect(result.pairs).toBe(2);
    const ops = result.rows.filter((r) => r.metric === 'ops_per_s');
    expect(ops.map((r) => r.bench)).toEqual(['micro-sequence-set-store', 'micro-sequence-set-store:atomics-store']);
    for (const row of ops) {
      expect(row.better).toBe('higher');
      for (const side of [row.ref, row.tree]) {
        expect(side.values).toHaveLength(2);
        for (const v of side.values) expect(v).toBeGreaterThan(0);
        expect(side.median).toBeGreaterThan(0);
      }
      expect(row.pair_ratios).toHaveLength(2);
      for (const [i, r] of row.pair_ratios.entries()) expect(r).toBeCloseTo(row.tree.values[i]! / row.ref.values[i]!, 9);
      // Same code on both sides of a quick micro run: within an order of magnitude.
      expect(row.median_ratio).toBeGreaterThan(0.1);
      expect(row.median_ratio).toBeLessThan(10);
    }
    const p50 = result.rows.find((r) => r.metric === 'p50_us')!;
    expect(p50.better).toBe('lower');
    expect(p50.pair_ratios[0]).toBeCloseTo(p50.ref.values[0]! / p50.tree.values[0]!, 9);
    // Alternated: REF run 1, tree run 1, REF run 2, tree run 2.
    const order = [...run.stderr.matchAll(/\[compare\] (REF|tree) run (\d)\/2: \d+ lines/g)].map((m) => `${m[1]}${m[2]}`);
    expect(order).toEqual(['REF1', 'tree1', 'REF2', 'tree2']);
  }, 180_000);

  it('prints the table, and reuses the worktree', () => {
    const run = bench(['--compare', 'HEAD', '--only', 'harness', '--quick', '--pairs', '1', '--no-native-build'], 120_000);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/reusing the worktree of [0-9a-f]{12}/);
    expect(run.stdout).toMatch(/^\| harness \| ops_per_s \(higher is better\) \| \S+ \| \S+ \| \d+\.\d{3} \| \d+\.\d{3} \|$/m);
  }, 130_000);

  it('says in one line, without a stack, that a revision is not a commit', () => {
    const run = bench(['--compare', 'no-such-revision-xyz', '--only', 'harness'], 30_000);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^bench --compare: --compare no-such-revision-xyz: not a commit in .* \(usage: npm run bench -- --compare <ref>/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
