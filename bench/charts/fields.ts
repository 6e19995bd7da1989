// Reading the charts' figures off bench lines (bench/types.ts): a line's group and variant from its
// name (`<group>` or `<group>:<baseline>`), and a numeric field or null.
import type { BenchLine } from '../types.js';

/** The group a line belongs to: its name before the first `:` (`ring-1p1c:port-per-event` -> `ring-1p1c`). */
export function groupOf(line: BenchLine): string {
  const at = line.bench.indexOf(':');
  return at === -1 ? line.bench : line.bench.slice(0, at);
}

/** The baseline's name after the first `:`, or null for the group's own line. */
export function variantOf(line: BenchLine): string | null {
  const at = line.bench.indexOf(':');
  return at === -1 ? null : line.bench.slice(at + 1);
}

/** The field as a finite number, else null (absent, null, a string, NaN). */
export function numberField(line: BenchLine, key: string): number | null {
  const value = line[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The field as a finite number > 0 (what a log scale can show), else null. */
export function positiveField(line: BenchLine, key: string): number | null {
  const value = numberField(line, key);
  return value !== null && value > 0 ? value : null;
}

/** Distinct values in first-seen order (the order of results.jsonl, i.e. of the run). */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
