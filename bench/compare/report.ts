// `--compare`'s output: a markdown table (one row per line and metric; paste it into a note) or,
// with --json, one JSON document.
import { round } from '../stats.js';
import type { CompareRow } from './stats.js';

export interface CompareResult {
  ref: string;
  ref_sha: string;
  tree: string;
  only: string | null;
  quick: boolean;
  pairs: number;
  /** Which ran first in each pair. */
  order: 'REF, tree';
  rows: CompareRow[];
  /** What differs between the sides besides the figures, and how REF was prepared. */
  notes: string[];
}

function num(value: number | null): string {
  if (value === null) return '-';
  return Math.abs(value) >= 1e4 ? value.toExponential(2) : String(round(value));
}

function ratio(value: number | null): string {
  return value === null ? '-' : value.toFixed(3);
}

export function formatText(result: CompareResult): string {
  const flags = [
    result.only ? `--only ${result.only}` : 'every bench',
    `${result.pairs} pair${result.pairs === 1 ? '' : 's'} (REF, tree alternately)`,
    result.quick ? '--quick' : null,
  ]
    .filter(Boolean)
    .join(', ');
  const header = ['line', 'metric', 'REF median', 'tree median', 'pair ratios', 'median ratio'];
  const rows = result.rows.map((r) => [
    r.bench,
    `${r.metric} (${r.better} is better)`,
    num(r.ref.median),
    num(r.tree.median),
    r.pair_ratios.map(ratio).join(' '),
    ratio(r.median_ratio),
  ]);
  return [
    `bench --compare: the tree (${result.tree}) against ${result.ref} (${result.ref_sha.slice(0, 12)}); ${flags}`,
    'ratio: tree against REF per pair, > 1 = the tree is better (tree/REF for a rate, REF/tree for a time)',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    ...(result.notes.length ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

export function formatJson(result: CompareResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
