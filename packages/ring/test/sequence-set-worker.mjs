// Test worker for SequenceSet: attaches by descriptor and plays one role (bounded by timeouts or
// the set's halt); results go back with postMessage.
import { parentPort, workerData } from 'node:worker_threads';
import { SequenceSet, HALTED, TIMEOUT } from '@ringmatch/ring';

const d = workerData;
const set = SequenceSet.attach(d.set);
const TIMEOUT_MS = d.timeoutMs ?? 20_000;

function label(v) {
  return v === HALTED ? 'halted' : v === TIMEOUT ? 'timeout' : 'value';
}

async function wait() {
  // Wait for `targets` in turn (sync or async); report each value returned.
  const values = [];
  for (const target of d.targets) {
    const v = d.mode === 'async' ? await set.waitForAsync(d.name, target, d.waitMs ?? TIMEOUT_MS) : set.waitFor(d.name, target, d.waitMs ?? TIMEOUT_MS);
    values.push(v);
    if (v === HALTED || v === TIMEOUT) return { status: label(v), values };
  }
  return { status: 'done', values };
}

function count() {
  // Set `name` to 0..to, one step at a time, each after `follow` reached the previous value
  // (a ping-pong across two workers: every step parks one side and wakes it from the other).
  const seq = set.sequence(d.name);
  for (let v = 0; v <= d.to; v++) {
    if (d.follow) {
      const seen = set.waitFor(d.follow, v - 1, TIMEOUT_MS);
      if (seen === HALTED || seen === TIMEOUT) return { status: label(seen), at: v };
    }
    seq.set(v);
  }
  return { status: 'done' };
}

const roles = { wait, count };
try {
  const out = await roles[d.role]();
  parentPort.postMessage({ ok: true, ...out });
} catch (e) {
  parentPort.postMessage({ ok: false, error: String(e?.stack ?? e) });
}
