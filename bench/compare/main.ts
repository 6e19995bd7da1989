// `npm run bench -- --compare <ref> [--only <prefix>] [--pairs N] [--quick] [--json] ...`: the
// working tree's benches against the same benches at a git revision, run alternately REF, tree,
// REF, tree... (N pairs) on this machine, so both sides see the same noise. Prints each line's
// median per side, each pair's ratio oriented so > 1 means the tree is better, and the median ratio.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchLine } from '../types.js';
import { parseCompareArgs, USAGE, UsageError } from './args.js';
import { git } from './exec.js';
import { type CompareResult, formatJson, formatText } from './report.js';
import { runSide } from './side.js';
import { compareRuns, differences } from './stats.js';
import { prepareRef } from './worktree.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The working tree this runner was built from (bench/dist/compare -> the repository root). */
function treeRoot(): string {
  try {
    return git(['rev-parse', '--show-toplevel'], here);
  } catch {
    throw new UsageError(`--compare needs a git checkout; ${here} is not in one`);
  }
}

function describeTree(root: string): string {
  const head = git(['rev-parse', '--short=12', 'HEAD'], root);
  const dirty = git(['status', '--porcelain', '--untracked-files=no'], root) !== '';
  return `${root}, HEAD ${head}${dirty ? ' + uncommitted changes' : ''}`;
}

export async function compare(argv: readonly string[], log: (m: string) => void): Promise<CompareResult> {
  const options = parseCompareArgs(argv);
  const root = treeRoot();
  const ref = await prepareRef(root, options.ref, { nativeBuild: options.nativeBuild, log });
  const refRuns: BenchLine[][] = [];
  const treeRuns: BenchLine[][] = [];
  for (let i = 1; i <= options.pairs; i++) {
    refRuns.push(await runSide({ label: 'REF', dir: ref.dir }, { ...options, log }, `REF run ${i}/${options.pairs}`));
    treeRuns.push(await runSide({ label: 'tree', dir: root }, { ...options, log }, `tree run ${i}/${options.pairs}`));
  }
  return {
    ref: options.ref,
    ref_sha: ref.sha,
    tree: describeTree(root),
    only: options.only,
    quick: options.quick,
    pairs: options.pairs,
    order: 'REF, tree',
    rows: compareRuns(refRuns, treeRuns, options.metrics),
    notes: [...differences(refRuns, treeRuns), ...ref.notes.map((n) => `REF: ${n}`)],
  };
}

/** The command: output to stdout, progress to stderr; a mistake or failure is one line, no stack. */
export async function compareMain(argv: readonly string[]): Promise<void> {
  const log = (m: string): void => void process.stderr.write(`[compare] ${m}\n`);
  try {
    const json = argv.includes('--json');
    const result = await compare(argv, log);
    process.stdout.write(json ? formatJson(result) : formatText(result));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench --compare: ${error.message} (usage: ${USAGE})\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench --compare: ${(error as Error).message ?? error}\n`);
    process.exitCode = 1;
  }
}
