// Test worker: attaches to a ring by its descriptor and plays one role. Every loop is bounded by
// the ring's halt flag or explicit timeouts; results go back with postMessage.
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer, HALTED, TIMEOUT, ENDED, INSUFFICIENT_CAPACITY, SlotError } from '@ringmatch/ring';

const d = workerData;
const ring = RingBuffer.attach(d.ring);
const view = ring.view;
const TIMEOUT_MS = d.timeoutMs ?? 20_000;

// Slot layout used by the tests: +0 f64 value (producer-local counter), +8 i32 producer id,
// +16 + 4*k: i32 mark written by stage k (= seq ^ k, wrapping).

async function produce() {
  const seq = ring.sequencer();
  const { count, batch = 1, producerId = 0, mode = 'sync' } = d;
  let sum = 0;
  let written = 0;
  let fullHits = 0;
  while (written < count) {
    const n = Math.min(batch, count - written);
    let hi;
    if (mode === 'async') hi = await seq.nextAsync(n, TIMEOUT_MS);
    else if (mode === 'try') {
      const t0 = performance.now();
      for (;;) {
        hi = seq.tryNext(n);
        if (hi !== INSUFFICIENT_CAPACITY) break;
        fullHits++;
        if (performance.now() - t0 > TIMEOUT_MS) {
          hi = TIMEOUT;
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
    } else hi = seq.next(n, TIMEOUT_MS);
    if (hi < 0) return { status: hi === HALTED ? 'halted' : 'timeout', written, sum, fullHits };
    const lo = hi - n + 1;
    for (let s = lo; s <= hi; s++) {
      const off = ring.offsetOf(s);
      const v = written + 1; // 1..count
      view.setFloat64(off, v, true);
      view.setInt32(off + 8, producerId, true);
      sum += v;
      written++;
    }
    seq.publish(lo, hi);
  }
  if (d.end) ring.end();
  return { status: 'done', written, sum, fullHits };
}

function consumeManual() {
  // The engine's stage loop: waitFor -> process next..hi via byte offsets -> cursor.set(hi).
  const stage = ring.stage(d.stage);
  const deps = ring.stageSpecs[stage.index].after.map((n) => ring.stageNames().indexOf(n));
  const { count, producers = 1, slowUs = 0 } = d;
  const last = ring.initialSequence + count - 1;
  const expect = new Float64Array(producers).fill(1);
  let next = stage.nextSequence();
  let sum = 0;
  let bad = 0;
  let firstBad = null;
  let batches = 0;
  while (next <= last) {
    const hi0 = stage.barrier.waitFor(next, TIMEOUT_MS);
    if (hi0 < 0) return { status: hi0 === HALTED ? 'halted' : 'timeout', sum, bad, next, batches };
    const hi = Math.min(hi0, last);
    batches++;
    for (let s = next; s <= hi; s++) {
      const off = ring.offsetOf(s);
      const v = view.getFloat64(off, true);
      const p = view.getInt32(off + 8, true);
      sum += v;
      if (p < 0 || p >= producers || v !== expect[p]) {
        bad++;
        firstBad ??= { s, v, p, want: expect[p] };
      } else expect[p] = v + 1;
      for (const k of deps)
        if (view.getInt32(off + 16 + 4 * k, true) !== ((s ^ k) | 0)) {
          bad++;
          firstBad ??= { s, dep: k };
        }
      view.setInt32(off + 16 + 4 * stage.index, (s ^ stage.index) | 0, true);
    }
    if (slowUs) {
      const t = performance.now() + slowUs / 1000;
      while (performance.now() < t);
    }
    stage.cursor.set(hi);
    next = hi + 1;
  }
  return { status: 'done', sum, bad, firstBad, next, batches, perProducer: Array.from(expect, (x) => x - 1) };
}

async function consumeRun() {
  // The convenience loop (run / runEach / runAsync), with an optional failing sequence.
  const stage = ring.stage(d.stage);
  const { count, failAt = -1, mode = 'run' } = d;
  const until = ring.initialSequence + count - 1;
  let sum = 0;
  const errors = [];
  const batch = (_bytes, first, last) => {
    for (let s = first; s <= last; s++) {
      if (s === failAt) throw new SlotError(s, new Error(`boom at ${s}`));
      sum += view.getFloat64(ring.offsetOf(s), true);
    }
  };
  const each = (_bytes, off, s) => {
    if (s === failAt) throw new Error(`boom at ${s}`);
    sum += view.getFloat64(off, true);
  };
  const opts = { until, idleTimeoutMs: TIMEOUT_MS, onError: (e) => errors.push(e) };
  let result;
  if (mode === 'each') result = stage.runEach(each, opts);
  else if (mode === 'async') result = await stage.runAsync(batch, opts);
  else result = stage.run(batch, opts);
  return { ...result, sum, errors };
}

async function runToEnd() {
  // run / runAsync until the ring ends. Checks every event is handed out once, in order (batch
  // first = previous last + 1), after the stages it depends on (their marks), and for async
  // handlers (promises: 'now' or settled in 'reverse' order, up to maxInFlight at a time) that
  // the cursor never passes a batch before its promise settled.
  const stage = ring.stage(d.stage);
  const deps = ring.stageSpecs[stage.index].after.map((n) => ring.stageNames().indexOf(n));
  const { mode = 'run', promises = null, maxInFlight = 1, failAt = -1, idleTimeoutMs } = d;
  const timeouts = d.timeouts ? new Int32Array(d.timeouts) : null;
  let sum = 0;
  let bad = 0;
  let gaps = 0;
  let passedEarly = 0;
  let maxPending = 0;
  let expected = stage.nextSequence();
  const work = (first, last) => {
    if (stage.cursor.get() >= first) passedEarly++;
    for (let s = first; s <= last; s++) {
      if (s === failAt) throw new SlotError(s, new Error(`boom at ${s}`));
      const off = ring.offsetOf(s);
      sum += view.getFloat64(off, true);
      for (const k of deps) if (view.getInt32(off + 16 + 4 * k, true) !== ((s ^ k) | 0)) bad++;
      view.setInt32(off + 16 + 4 * stage.index, (s ^ stage.index) | 0, true);
    }
  };
  const pending = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    maxPending = Math.max(maxPending, pending.length);
    const batch = pending.splice(0).reverse();
    for (const p of batch) {
      try {
        work(p.first, p.last);
        p.resolve();
      } catch (e) {
        p.reject(e);
      }
    }
  };
  const handler = (_bytes, first, last) => {
    if (first !== expected) gaps++;
    expected = last + 1;
    if (!promises) return work(first, last);
    return new Promise((resolve, reject) => {
      pending.push({ first, last, resolve, reject });
      if (promises === 'now' || pending.length >= maxInFlight) flush();
      else if (!flushQueued) {
        flushQueued = true;
        setImmediate(flush);
      }
    });
  };
  const opts = { maxInFlight, idleTimeoutMs, onError: () => {} };
  if (timeouts) opts.onTimeout = () => Atomics.add(timeouts, 0, 1);
  if (d.maxBatch) opts.maxBatch = d.maxBatch;
  const result = mode === 'async' ? await stage.runAsync(handler, opts) : stage.run(handler, opts);
  return { ...result, sum, bad, gaps, passedEarly, maxPending, timeouts: timeouts ? Atomics.load(timeouts, 0) : 0 };
}

async function waitEnd() {
  // A manual stage loop until its barrier stops; reports how long after the main thread's
  // end()/halt() (its process.hrtime, in d.clock) the stopping wait returned.
  const stage = ring.stage(d.stage);
  const clock = new Float64Array(d.clock);
  let next = stage.nextSequence();
  for (;;) {
    const hi = d.mode === 'async' ? await stage.barrier.waitForAsync(next, TIMEOUT_MS) : stage.barrier.waitFor(next, TIMEOUT_MS);
    if (hi < 0) {
      const wakeMs = (Number(process.hrtime.bigint()) - clock[0]) / 1e6;
      return { status: hi === ENDED ? 'ended' : hi === HALTED ? 'halted' : 'timeout', next, wakeMs };
    }
    stage.cursor.set(hi);
    next = hi + 1;
  }
}

const roles = { produce, consume: consumeManual, run: consumeRun, runToEnd, waitEnd };
try {
  const out = await roles[d.role]();
  parentPort.postMessage({ ok: true, ...out });
} catch (e) {
  parentPort.postMessage({ ok: false, error: String(e?.stack ?? e) });
}
