// Bench worker for the ring suite: one role per worker (ring producer/stage, MessagePort
// baselines, ringbuf.js and hand-loop baselines). Start is synchronised on a control SAB so the measured window
// excludes worker start-up; terminal consumers report their end time (hrtime ns) and a checksum.
// Over 400 lines: the roles share one start/stop protocol and one report format; one file keeps them in step.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RingBuffer, type WaitStrategy } from '@ringmatch/ring';
import { RingBuffer as RingBufJs } from 'ringbuf.js';

export const CTL_READY = 0;
export const CTL_GO = 1;
export const CTL_CONSUMED = 2; // port baselines: events consumed by the terminal stage (credits)

interface Data {
  role: string;
  ctl: SharedArrayBuffer;
  count: number; // events this producer sends / the terminal stage expects in total
  batch: number;
  producers?: number;
  producerId?: number;
  stage?: string;
  terminal?: boolean;
  ring?: { sab: SharedArrayBuffer };
  wait?: WaitStrategy;
  inPort?: MessagePort;
  inPorts?: MessagePort[];
  outPort?: MessagePort;
  window?: number;
  latency?: { samples: number; gapNs: number };
  rbSab?: SharedArrayBuffer;
  sigSab?: SharedArrayBuffer;
  chunk?: number;
  lowWater?: number;
}

const d = workerData as Data;
const ctl = new Int32Array(d.ctl);

function hrNs(): number {
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

function ready(): void {
  Atomics.add(ctl, CTL_READY, 1);
  Atomics.notify(ctl, CTL_READY);
  while (Atomics.load(ctl, CTL_GO) === 0) Atomics.wait(ctl, CTL_GO, 0, 100);
}

function report(extra: Record<string, unknown>): void {
  parentPort!.postMessage({ endNs: hrNs(), ...extra });
}

// Pacing for latency runs: sleep (not spin) until t, so the producer leaves the core to the
// consumer on this 2-core machine; the timestamp is taken after waking, so sleep jitter only
// spaces events out, it does not enter the measured hop.
const pace = new Int32Array(new SharedArrayBuffer(4));
function spinUntil(t: number): void {
  const left = t - hrNs();
  if (left > 0) Atomics.wait(pace, 0, 0, left / 1e6);
}

// ---------------------------------------------------------------------------- ring
function ringProducer(): void {
  const ring = RingBuffer.attach(d.ring!);
  const seq = ring.sequencer();
  const mask = ring.mask;
  const shift = Math.log2(ring.slotSize / 4);
  const i32 = new Int32Array(ring.sab, ring.slotsOffset, (ring.slotCount * ring.slotSize) / 4);
  const f64 = new Float64Array(ring.sab, ring.slotsOffset, (ring.slotCount * ring.slotSize) / 8);
  const id = d.producerId ?? 0;
  const batch = d.batch;
  ready();
  if (d.latency) {
    const { samples, gapNs } = d.latency;
    let t = hrNs();
    for (let i = 0; i < samples; i++) {
      t += gapNs;
      spinUntil(t);
      const s = seq.next(1);
      f64[(s & mask) << (shift - 1)] = hrNs();
      seq.publish(s, s);
    }
    return report({});
  }
  let sum = 0;
  for (let done = 0; done < d.count; ) {
    const n = Math.min(batch, d.count - done);
    const hi = seq.next(n);
    const lo = hi - n + 1;
    for (let s = lo; s <= hi; s++) {
      const o = (s & mask) << shift;
      const v = done++;
      i32[o] = v;
      i32[o + 1] = id;
      i32[o + 2] = v ^ 0x5a5a5a;
      i32[o + 3] = 1;
      sum = (sum + v + id + (v ^ 0x5a5a5a) + 1) | 0;
    }
    seq.publish(lo, hi);
  }
  report({ checksum: sum });
}

function ringStage(): void {
  const ring = RingBuffer.attach(d.ring!);
  const stage = ring.stage(d.stage!);
  const barrier = stage.barrier;
  const cursor = stage.cursor;
  const mask = ring.mask;
  const shift = Math.log2(ring.slotSize / 4);
  const i32 = new Int32Array(ring.sab, ring.slotsOffset, (ring.slotCount * ring.slotSize) / 4);
  const f64 = new Float64Array(ring.sab, ring.slotsOffset, (ring.slotCount * ring.slotSize) / 8);
  ready();
  if (d.latency) {
    const n = d.latency.samples;
    const lat = new Float64Array(n);
    let next = stage.nextSequence();
    const last = next + n - 1;
    let k = 0;
    while (next <= last) {
      const hi = barrier.waitFor(next);
      const now = hrNs();
      for (let s = next; s <= hi; s++) lat[k++] = now - f64[(s & mask) << (shift - 1)]!;
      cursor.set(hi);
      next = hi + 1;
    }
    parentPort!.postMessage({ endNs: hrNs(), samples: lat }, [lat.buffer]);
    return;
  }
  let sum = 0;
  let next = stage.nextSequence();
  const last = next + d.count - 1;
  const chunk = d.chunk ?? ring.slotCount;
  let batches = 0;
  while (next <= last) {
    const hi0 = barrier.waitFor(next);
    if (hi0 < 0) throw new Error(`stage ${d.stage} stopped: ${hi0}`);
    // Hand the producer room early: at most `chunk` events before moving our cursor.
    const cap = next + chunk - 1;
    const hi = hi0 > last ? (last > cap ? cap : last) : hi0 > cap ? cap : hi0;
    for (let s = next; s <= hi; s++) {
      const o = (s & mask) << shift;
      sum = (sum + i32[o]! + i32[o + 1]! + i32[o + 2]! + i32[o + 3]!) | 0;
    }
    cursor.set(hi);
    next = hi + 1;
    batches++;
  }
  report({ checksum: sum, batches });
}

// ---------------------------------------------------------------------------- ports
// Credits: the producer keeps at most `window` events in flight against the terminal stage's
// consumed counter (a SAB word), so a fast producer cannot queue without bound.
function waitCredit(sent: number, share: number): void {
  const window = d.window ?? 16384;
  for (;;) {
    const consumed = Atomics.load(ctl, CTL_CONSUMED);
    if (sent - consumed * share <= window * share) return;
    Atomics.wait(ctl, CTL_CONSUMED, consumed, 5);
  }
}

function portProducer(batched: boolean): void {
  const out = d.outPort!;
  const id = d.producerId ?? 0;
  const share = 1 / (d.producers ?? 1);
  ready();
  if (d.latency) {
    const { samples, gapNs } = d.latency;
    let t = hrNs();
    for (let i = 0; i < samples; i++) {
      t += gapNs;
      spinUntil(t);
      out.postMessage(hrNs());
    }
    return report({});
  }
  let sum = 0;
  let done = 0;
  const batch = d.batch;
  // A synchronous loop: postMessage does not need this thread's event loop to deliver.
  while (done < d.count) {
    waitCredit(done, share);
    if (batched) {
      const n = Math.min(batch, d.count - done);
      const buf = new ArrayBuffer(n * 16);
      const a = new Int32Array(buf);
      for (let k = 0; k < n; k++) {
        const v = done++;
        a[4 * k] = v;
        a[4 * k + 1] = id;
        a[4 * k + 2] = v ^ 0x5a5a5a;
        a[4 * k + 3] = 1;
        sum = (sum + v + id + (v ^ 0x5a5a5a) + 1) | 0;
      }
      out.postMessage(buf, [buf]);
    } else {
      const v = done++;
      out.postMessage([v, id, v ^ 0x5a5a5a, 1]);
      sum = (sum + v + id + (v ^ 0x5a5a5a) + 1) | 0;
    }
  }
  report({ checksum: sum });
}

function portStage(batched: boolean): void {
  const ins = d.inPorts ?? [d.inPort!];
  const out = d.outPort;
  const terminal = !!d.terminal;
  let sum = 0;
  let got = 0;
  if (d.latency) {
    const lat = new Float64Array(d.latency.samples);
    ins[0]!.on('message', (ts: number) => {
      lat[got++] = hrNs() - ts;
      if (got === lat.length) {
        parentPort!.postMessage({ endNs: hrNs(), samples: lat }, [lat.buffer]);
        ins[0]!.close();
      }
    });
    ready();
    return;
  }
  const finish = (): void => {
    report({ checksum: sum });
    for (const p of ins) p.close();
    out?.close();
  };
  const credit = (n: number): void => {
    const before = got;
    got += n;
    if (before >>> 12 !== got >>> 12 || got === d.count) {
      Atomics.store(ctl, CTL_CONSUMED, got);
      Atomics.notify(ctl, CTL_CONSUMED);
    }
  };
  for (const p of ins) {
    if (batched) {
      p.on('message', (buf: ArrayBuffer) => {
        const a = new Int32Array(buf);
        for (let k = 0; k < a.length; k++) sum = (sum + a[k]!) | 0;
        if (terminal) {
          credit(a.length / 4);
          if (got === d.count) finish();
        } else {
          out!.postMessage(buf, [buf]);
          if ((got += a.length / 4) === d.count) for (const q of ins) q.close();
        }
      });
    } else {
      p.on('message', (e: number[]) => {
        sum = (sum + e[0]! + e[1]! + e[2]! + e[3]!) | 0;
        if (terminal) {
          credit(1);
          if (got === d.count) finish();
        } else {
          out!.postMessage(e);
          if (++got === d.count) for (const q of ins) q.close();
        }
      });
    }
  }
  ready();
}

// ---------------------------------------------------------------------------- blocking wait
// The ring's default `blocking` strategy (packages/ring/src/wait-loop.ts, sequence.ts), written out
// for the baselines: re-check SPINS times, then announce in the line's waiters word, read the wake
// word, re-check, and park on the wake word (Atomics.wait) until the other side bumps it; a writer
// notifies only when the waiters word is non-zero. A line is 16 Int32s (64 bytes): [0] value (hand
// loop cursors only), [1] waiters, [2] wake. As in the ring, a waiter does not spin again after its
// first park in one wait, and parks at most MAX_PARK_MS at a time.
const SPINS = 256;
const MAX_PARK_MS = 250;
const WAITERS = 1;
const WAKE = 2;
let parks = 0; // Atomics.wait calls by this worker (reported: shows the wake-up path was used)

/** Wake whoever is parked on `line` (only if someone announced itself). */
function signal(i32: Int32Array, line: number): void {
  if (Atomics.load(i32, line + WAITERS) !== 0) {
    Atomics.add(i32, line + WAKE, 1);
    Atomics.notify(i32, line + WAKE);
  }
}

/** Hand loop: wait until the cursor at `line` reaches `target`; returns the value read (>= target). */
function waitAtLeast(i32: Int32Array, line: number, target: number): number {
  let v = Atomics.load(i32, line);
  for (let i = 0; v < target && i < SPINS; i++) v = Atomics.load(i32, line);
  while (v < target) {
    Atomics.add(i32, line + WAITERS, 1);
    const w = Atomics.load(i32, line + WAKE);
    v = Atomics.load(i32, line);
    if (v < target) {
      parks++;
      Atomics.wait(i32, line + WAKE, w, MAX_PARK_MS);
      v = Atomics.load(i32, line);
    }
    Atomics.sub(i32, line + WAITERS, 1);
  }
  return v;
}

/** ringbuf.js: the same wait on a condition read through the library (its pointers are private). */
function parkUntil(i32: Int32Array, line: number, ready: () => boolean): void {
  for (let i = 0; i < SPINS; i++) if (ready()) return;
  for (;;) {
    Atomics.add(i32, line + WAITERS, 1);
    const w = Atomics.load(i32, line + WAKE);
    let ok = ready();
    if (!ok) {
      parks++;
      Atomics.wait(i32, line + WAKE, w, MAX_PARK_MS);
      ok = ready();
    }
    Atomics.sub(i32, line + WAITERS, 1);
    if (ok) return;
  }
}

// ---------------------------------------------------------------------------- ringbuf.js
// SPSC ring of Int32 (4 per event, capacity slots * 4 elements), tuned: the producer writes the
// events in place with `writeCallbackWithOffset` (0.4's zero-copy write: the callback gets the
// storage array and the one or two index ranges to fill); the consumer `pop`s at most `chunk`
// events into a staging array (0.4 has no zero-copy read: pop is its only read) and sums them.
// ringbuf.js has no wait of its own: both sides use the blocking wait above on a signal SAB, line
// RB_DATA (the producer signals after each write) and RB_SPACE (the consumer after a pop). A full
// producer waits for `lowWater` events of room, and the consumer wakes it only then: the consumer
// is the slower side (pop copies), so the producer sleeps through a few pops instead of making the
// consumer pay a futex wake on every one.
type WriteWithOffset = Parameters<RingBufJs['writeCallbackWithOffset']>[1];
const RB_DATA = 0;
const RB_SPACE = 16;

function ringbufProducer(): void {
  const rb = new RingBufJs(d.rbSab!, Int32Array);
  const sig = new Int32Array(d.sigSab!);
  const batch = d.batch;
  const count = d.count;
  let next = 0; // value of the next event
  let sum = 0;
  // Writes always start on an event boundary (every write and pop moves a multiple of 4 elements
  // and the capacity is a multiple of 4), but the storage holds capacity + 1 elements, so the one
  // event that crosses the end of the storage is split between the two ranges.
  const fill = (st: Int32Array, o1: number, n1: number, o2: number, n2: number): number => {
    let v = next;
    let s = sum;
    const end1 = o1 + n1;
    let i = o1;
    for (; i + 4 <= end1; i += 4, v++) {
      st[i] = v;
      st[i + 1] = 0;
      st[i + 2] = v ^ 0x5a5a5a;
      st[i + 3] = 1;
      s = (s + v + (v ^ 0x5a5a5a) + 1) | 0;
    }
    let j = o2;
    const end2 = o2 + n2;
    if (i < end1) {
      const head = end1 - i; // 1..3 fields of event v here, the rest at the start of range 2
      const f0 = v;
      const f2 = v ^ 0x5a5a5a;
      for (let k = 0; k < 4; k++) {
        const x = k === 0 ? f0 : k === 1 ? 0 : k === 2 ? f2 : 1;
        if (k < head) st[i + k] = x;
        else st[j++] = x;
      }
      s = (s + v + (v ^ 0x5a5a5a) + 1) | 0;
      v++;
    }
    for (; j + 4 <= end2; j += 4, v++) {
      st[j] = v;
      st[j + 1] = 0;
      st[j + 2] = v ^ 0x5a5a5a;
      st[j + 3] = 1;
      s = (s + v + (v ^ 0x5a5a5a) + 1) | 0;
    }
    next = v;
    sum = s;
    return n1 + n2;
  };
  const room = (d.lowWater ?? 1) * 4; // elements free before a parked producer is woken
  const hasSpace = (): boolean => rb.availableWrite() >= room;
  ready();
  while (next < count) {
    const want = count - next < batch ? count - next : batch;
    if (rb.writeCallbackWithOffset(want * 4, fill as unknown as WriteWithOffset) === 0) parkUntil(sig, RB_SPACE, hasSpace);
    else signal(sig, RB_DATA);
  }
  report({ checksum: sum, parks });
}

function ringbufConsumer(): void {
  const rb = new RingBufJs(d.rbSab!, Int32Array);
  const sig = new Int32Array(d.sigSab!);
  const staging = new Int32Array(d.chunk! * 4);
  const hasData = (): boolean => rb.availableRead() > 0;
  const room = (d.lowWater ?? 1) * 4;
  ready();
  const want = d.count * 4;
  let got = 0;
  let sum = 0;
  while (got < want) {
    const r = rb.pop(staging, staging.length);
    if (r === 0) {
      parkUntil(sig, RB_DATA, hasData);
      continue;
    }
    // The room is free as soon as pop returns (it copied); a parked producer waits for `room`.
    if (Atomics.load(sig, RB_SPACE + WAITERS) !== 0 && rb.availableWrite() >= room) {
      Atomics.add(sig, RB_SPACE + WAKE, 1);
      Atomics.notify(sig, RB_SPACE + WAKE);
    }
    for (let k = 0; k < r; k++) sum = (sum + staging[k]!) | 0;
    got += r;
  }
  report({ checksum: sum, parks });
}

// ---------------------------------------------------------------------------- hand loop
// The ceiling: the ring's 1P1C exchange with no library. One publish cursor (line HAND_PUB) and one
// consumer cursor (line HAND_CONS) as plain Int32 values in a SAB, 64-byte slots after the two
// lines, the same work per batch as the ring's producer (claim `batch`, wait for the consumer to
// free the slots, write, release-store the cursor, notify if parked) and stage (wait for the
// cursor, handle at most `chunk` events, release-store its cursor, notify if parked), the same
// blocking wait. Left out: the ring's state word check, Float64 hints, claim cursor, gating set.
const HAND_PUB = 0;
const HAND_CONS = 16;
const HAND_HEADER_BYTES = 128;
const HAND_SLOT_BYTES = 64;

function handProducer(): void {
  const sab = d.rbSab!;
  const ctlw = new Int32Array(sab, 0, HAND_HEADER_BYTES / 4);
  const slots = (sab.byteLength - HAND_HEADER_BYTES) / HAND_SLOT_BYTES;
  const mask = slots - 1;
  const shift = Math.log2(HAND_SLOT_BYTES / 4);
  const i32 = new Int32Array(sab, HAND_HEADER_BYTES, (slots * HAND_SLOT_BYTES) / 4);
  const id = d.producerId ?? 0;
  const batch = d.batch;
  ready();
  let claim = -1; // ring: the sequencer's claim
  let gate = -1; // ring: its cached gate
  let sum = 0;
  // The loop of ringProducer, with seq.next(n) and seq.publish(lo, hi) written out.
  for (let done = 0; done < d.count; ) {
    const n = Math.min(batch, d.count - done);
    const hi = claim + n;
    const wrap = hi - slots;
    if (wrap > gate) {
      gate = Atomics.load(ctlw, HAND_CONS);
      if (wrap > gate) gate = waitAtLeast(ctlw, HAND_CONS, wrap);
    }
    claim = hi;
    const lo = hi - n + 1;
    for (let s = lo; s <= hi; s++) {
      const o = (s & mask) << shift;
      const v = done++;
      i32[o] = v;
      i32[o + 1] = id;
      i32[o + 2] = v ^ 0x5a5a5a;
      i32[o + 3] = 1;
      sum = (sum + v + id + (v ^ 0x5a5a5a) + 1) | 0;
    }
    Atomics.store(ctlw, HAND_PUB, hi);
    signal(ctlw, HAND_PUB);
  }
  report({ checksum: sum, parks });
}

function handConsumer(): void {
  const sab = d.rbSab!;
  const ctlw = new Int32Array(sab, 0, HAND_HEADER_BYTES / 4);
  const slots = (sab.byteLength - HAND_HEADER_BYTES) / HAND_SLOT_BYTES;
  const mask = slots - 1;
  const shift = Math.log2(HAND_SLOT_BYTES / 4);
  const i32 = new Int32Array(sab, HAND_HEADER_BYTES, (slots * HAND_SLOT_BYTES) / 4);
  ready();
  // The loop of ringStage, with barrier.waitFor(next) and cursor.set(hi) written out.
  let sum = 0;
  let next = 0;
  const last = next + d.count - 1;
  const chunk = d.chunk!;
  while (next <= last) {
    let hi0 = Atomics.load(ctlw, HAND_PUB);
    if (hi0 < next) hi0 = waitAtLeast(ctlw, HAND_PUB, next);
    const cap = next + chunk - 1;
    const hi = hi0 > last ? (last > cap ? cap : last) : hi0 > cap ? cap : hi0;
    for (let s = next; s <= hi; s++) {
      const o = (s & mask) << shift;
      sum = (sum + i32[o]! + i32[o + 1]! + i32[o + 2]! + i32[o + 3]!) | 0;
    }
    Atomics.store(ctlw, HAND_CONS, hi);
    signal(ctlw, HAND_CONS);
    next = hi + 1;
  }
  report({ checksum: sum, parks });
}

const roles: Record<string, () => void> = {
  'ring-producer': ringProducer,
  'ring-stage': ringStage,
  'port-event-producer': () => portProducer(false),
  'port-event-stage': () => portStage(false),
  'port-batch-producer': () => portProducer(true),
  'port-batch-stage': () => portStage(true),
  'ringbuf-producer': ringbufProducer,
  'ringbuf-consumer': ringbufConsumer,
  'hand-producer': handProducer,
  'hand-consumer': handConsumer,
};
const role = roles[d.role];
if (!role) throw new Error(`unknown role ${d.role}`);
role();
