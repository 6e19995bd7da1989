// The poller runs at a lower priority than the engine's other threads (thread-priority.ts): a real
// engine process, its threads' nice values read from /proc while it runs.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POLLER_NICE } from '../src/thread-priority.js';
import { startCli, summaryOf, tempDirs, waitExit, waitForMatched } from './helpers.js';

const dir = tempDirs('ringmatch-priority-');
afterAll(() => dir());

/** Thread id -> nice value, for every thread of process `pid` (field 19 of /proc/PID/task/TID/stat). */
function threadNiceValues(pid: number): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
    values.set(Number(tid), Number(fields[16]));
  }
  return values;
}

describe.runIf(fs.existsSync('/proc/thread-self'))('thread priorities', () => {
  it(`the poller's thread alone runs at nice ${POLLER_NICE}; the main thread and the stages at 0`, async () => {
    const data = path.join(dir(), 'data');
    const child = startCli(['run', '--data-dir', data, '--progress-ms', '50', '--snapshot-every', '0', '--orders', '0', '--rate', '5000']);
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    try {
      await waitForMatched(child, 200, 30_000);
      const nice = threadNiceValues(child.pid!);
      expect(nice.get(child.pid!)).toBe(0);
      expect([...nice.values()].filter((n) => n === POLLER_NICE)).toHaveLength(1);
      expect([...nice.values()].filter((n) => n !== POLLER_NICE && n !== 0)).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    expect((await waitExit(child, 30_000)).code).toBe(0);
    expect(summaryOf(stdout).orders as number).toBeGreaterThan(200);
  });
});
