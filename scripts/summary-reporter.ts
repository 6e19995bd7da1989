// Prints one plain closing line, "tests: N passed, N failed[, N skipped]", which CI reads.
import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

function count(tasks: readonly TaskLike[], acc: { passed: number; failed: number; skipped: number }): void {
  for (const task of tasks) {
    if (task.tasks) count(task.tasks, acc);
    if (task.type !== 'test') continue;
    const state = task.result?.state;
    if (state === 'pass') acc.passed++;
    else if (state === 'fail') acc.failed++;
    else acc.skipped++;
  }
}

export default class SummaryReporter implements Reporter {
  onFinished(files: readonly TaskLike[] = [], errors: readonly unknown[] = []): void {
    const acc = { passed: 0, failed: 0, skipped: 0 };
    count(files, acc);
    // A file that failed to load has no tests but still a failure.
    for (const file of files) if (file.result?.state === 'fail' && !file.tasks?.length) acc.failed++;
    acc.failed += errors.length;
    const skipped = acc.skipped ? `, ${acc.skipped} skipped` : '';
    process.stdout.write(`\ntests: ${acc.passed} passed, ${acc.failed} failed${skipped}\n`);
  }
}
