// Bench worker for the ring suite: one role per worker (ring producer/stage, MessagePort
// baselines, ringbuf.js baseline). Start is synchronised on a control SAB so the measured window
// excludes worker start-up; terminal consumers report their end time (hrtime ns) and a checksum.
// Over 400 lines: the roles share one start/stop protocol and one report format; one file keeps them in step.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RingBuffer, WaitStrategies, type WaitStrategy } from '@ringmatch/ring';
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
  const chunk = (d as { chunk?: number }).chunk ?? ring.slotCount;
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

// ---------------------------------------------------------------------------- ringbuf.js
// SPSC ring of Int32 (4 per event). It has no wait strategy of its own: on full/empty we spin
// 256 times, then park 50 us on a dummy word (the same shape as our yielding strategy).
const dummy = new Int32Array(new SharedArrayBuffer(4));
function backoff(i: number): number {
  if (i < 256) return i + 1;
  Atomics.wait(dummy, 0, 0, 0.05);
  return i;
}

function ringbufProducer(): void {
  const rb = new RingBufJs(d.rbSab!, Int32Array);
  const batch = d.batch;
  const staging = new Int32Array(batch * 4);
  ready();
  let sum = 0;
  for (let done = 0; done < d.count; ) {
    const n = Math.min(batch, d.count - done);
    for (let k = 0; k < n; k++) {
      const v = done + k;
      staging[4 * k] = v;
      staging[4 * k + 1] = 0;
      staging[4 * k + 2] = v ^ 0x5a5a5a;
      staging[4 * k + 3] = 1;
      sum = (sum + v + (v ^ 0x5a5a5a) + 1) | 0;
    }
    let off = 0;
    let spins = 0;
    while (off < n * 4) {
      const w = rb.push(staging, n * 4 - off, off);
      if (w === 0) spins = backoff(spins);
      else {
        off += w;
        spins = 0;
      }
    }
    done += n;
  }
  report({ checksum: sum });
}

function ringbufConsumer(): void {
  const rb = new RingBufJs(d.rbSab!, Int32Array);
  const staging = new Int32Array(d.batch * 4 * 4);
  ready();
  const want = d.count * 4;
  let got = 0;
  let sum = 0;
  let spins = 0;
  while (got < want) {
    const r = rb.pop(staging, staging.length);
    if (r === 0) {
      spins = backoff(spins);
      continue;
    }
    spins = 0;
    for (let k = 0; k < r; k++) sum = (sum + staging[k]!) | 0;
    got += r;
  }
  report({ checksum: sum });
}

// ---------------------------------------------------------------------------- hand loop
// The ceiling: the same 1P1C exchange with no library at all (one Int32 publish cursor, one
// consumer cursor, 64-byte slots, batches of `batch`), parking like the yielding strategy.
function handProducer(): void {
  const sab = d.rbSab!;
  const ctlw = new Int32Array(sab, 0, 64);
  const slots = (sab.byteLength - 256) / 64;
  const data = new Int32Array(sab, 256, slots * 16);
  const mask = slots - 1;
  const batch = d.batch;
  ready();
  let claim = -1;
  let gate = -1;
  let sum = 0;
  for (let done = 0; done < d.count; ) {
    const n = Math.min(batch, d.count - done);
    done += n;
    const hi = claim + n;
    let spins = 0;
    while (hi - slots > gate) {
      gate = Atomics.load(ctlw, 16);
      if (hi - slots > gate) spins = backoff(spins);
    }
    for (let s = claim + 1; s <= hi; s++) {
      const o = (s & mask) << 4;
      data[o] = s;
      data[o + 1] = 0;
      data[o + 2] = s ^ 0x5a5a5a;
      data[o + 3] = 1;
      sum = (sum + s + (s ^ 0x5a5a5a) + 1) | 0;
    }
    claim = hi;
    Atomics.store(ctlw, 0, hi);
  }
  report({ checksum: sum });
}

function handConsumer(): void {
  const sab = d.rbSab!;
  const ctlw = new Int32Array(sab, 0, 64);
  const slots = (sab.byteLength - 256) / 64;
  const data = new Int32Array(sab, 256, slots * 16);
  const mask = slots - 1;
  ready();
  let next = 0;
  let sum = 0;
  let spins = 0;
  while (next < d.count) {
    const hi0 = Atomics.load(ctlw, 0);
    const hi = hi0 >= d.count ? d.count - 1 : hi0;
    if (hi < next) {
      spins = backoff(spins);
      continue;
    }
    spins = 0;
    for (let s = next; s <= hi; s++) {
      const o = (s & mask) << 4;
      sum = (sum + data[o]! + data[o + 1]! + data[o + 2]! + data[o + 3]!) | 0;
    }
    Atomics.store(ctlw, 16, hi);
    next = hi + 1;
  }
  report({ checksum: sum });
}

void WaitStrategies;
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
