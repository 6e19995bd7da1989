// Ring benches (docs/ARCHITECTURE.md §7): ring-1p1c, ring-3stage, ring-mp, each with its MessagePort
// baselines measured in the same run, and ringbuf.js for 1P1C. Every worker plays one role of
// bench/workers/ring-worker.ts; start is synchronised on a control SAB, so the window measured is
// producer start -> terminal consumer done (worker start-up excluded).
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Pipeline, WaitStrategies, type RingBuffer, type WaitStrategy } from '@ringmatch/ring';
import { RingBuffer as RingBufJs } from 'ringbuf.js';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { latencySummaryUs, round, rssMb } from '../stats.js';

const WORKER = new URL('../workers/ring-worker.js', import.meta.url);
const PAYLOAD = 16;
const SLOT = 64;
const SLOTS = 1 << 14; // 1 MiB of 64-byte slots
const BATCH = 1024; // producer claim / port message / ringbuf.js push size
const CHUNK = 2048; // most events a ring consumer handles before moving its cursor

interface Spec {
  role: string;
  data?: Record<string, unknown>;
  transfer?: MessagePort[];
  reports: boolean;
}

interface Outcome {
  seconds: number;
  reports: Array<Record<string, unknown> & { endNs: number }>;
}

function hrNs(): number {
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

/** Start the workers, release them together, wait for every reporting worker (bounded). */
async function runWorkers(specs: Spec[], timeoutMs: number): Promise<Outcome> {
  const ctlSab = new SharedArrayBuffer(64);
  const ctl = new Int32Array(ctlSab);
  const workers: Worker[] = [];
  try {
    const results: Promise<Record<string, unknown> & { endNs: number }>[] = [];
    const failures: Promise<never>[] = [];
    for (const s of specs) {
      const w = new Worker(WORKER, { workerData: { ...s.data, role: s.role, ctl: ctlSab }, transferList: s.transfer ?? [] });
      workers.push(w);
      failures.push(new Promise<never>((_, reject) => w.once('error', reject)));
      if (s.reports) results.push(new Promise((resolve) => w.once('message', resolve)));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench workers timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    const readyAll = (async () => {
      while (Atomics.load(ctl, 0) < specs.length) await new Promise((r) => setTimeout(r, 1));
    })();
    await Promise.race([readyAll, timeout, ...failures]);
    const t0 = hrNs();
    Atomics.store(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    const reports = await Promise.race([Promise.all(results), timeout, ...failures]);
    clearTimeout(timer);
    const end = Math.max(...reports.map((r) => r.endNs));
    return { seconds: (end - t0) / 1e9, reports };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function ringFor(stages: 'chain1' | 'chain3', producer: 'single' | 'multi', wait: WaitStrategy): RingBuffer {
  const p = new Pipeline({ slotSize: SLOT, slotCount: SLOTS, producer, wait });
  return (stages === 'chain1' ? p.then('c') : p.then('a').then('b').then('c')).build();
}

function expectedChecksum(count: number, id: number): number {
  let sum = 0;
  for (let v = 0; v < count; v++) sum = (sum + v + id + (v ^ 0x5a5a5a) + 1) | 0;
  return sum;
}

function checksumOk(out: Outcome, expected: number): boolean {
  const terminal = out.reports.filter((r) => 'checksum' in r && r.role !== 'producer');
  return terminal.some((r) => r.checksum === expected);
}

function line(bench: string, events: number, out: Outcome, extra: Record<string, unknown>): BenchLine {
  return {
    bench,
    ops_per_s: round(events / out.seconds),
    p50_us: null,
    p99_us: null,
    payload_bytes: PAYLOAD,
    batch: null,
    slot_bytes: null,
    events,
    seconds: round(out.seconds),
    rss_mb: rssMb(),
    ...extra,
  };
}

async function latency(specs: (lat: { samples: number; gapNs: number }) => Spec[], samples: number): Promise<{ p50_us: number | null; p99_us: number | null }> {
  const out = await runWorkers(specs({ samples, gapNs: 20_000 }), 60_000);
  const s = out.reports.find((r) => r.samples)?.samples as Float64Array | undefined;
  if (!s) throw new Error('no latency samples');
  return latencySummaryUs(s.subarray(Math.floor(s.length / 10))); // drop warm-up tenth
}

// --------------------------------------------------------------------------- topologies
type Topo = '1p1c' | '3stage' | 'mp';
const PRODUCERS: Record<Topo, number> = { '1p1c': 1, '3stage': 1, mp: 2 };

function ringSpecs(topo: Topo, perProducer: number, wait: WaitStrategy, lat?: { samples: number; gapNs: number }): Spec[] {
  const ring = ringFor(topo === '3stage' ? 'chain3' : 'chain1', topo === 'mp' ? 'multi' : 'single', wait);
  const n = PRODUCERS[topo];
  const total = lat ? lat.samples : perProducer * n;
  const specs: Spec[] = [];
  const stages = topo === '3stage' ? ['a', 'b', 'c'] : ['c'];
  for (const stage of stages)
    specs.push({
      role: 'ring-stage',
      data: { ring: ring.descriptor, stage, count: total, chunk: CHUNK, latency: stage === 'c' ? lat : undefined },
      reports: stage === 'c',
    });
  for (let id = 0; id < n; id++)
    specs.push({ role: 'ring-producer', data: { ring: ring.descriptor, count: perProducer, batch: BATCH, producerId: id, latency: lat }, reports: true });
  return specs;
}

function portSpecs(topo: Topo, perProducer: number, batched: boolean, lat?: { samples: number; gapNs: number }): Spec[] {
  const kind = batched ? 'batch' : 'event';
  const n = PRODUCERS[topo];
  const total = lat ? lat.samples : perProducer * n;
  const specs: Spec[] = [];
  if (topo === '3stage') {
    const [c1, c2, c3] = [new MessageChannel(), new MessageChannel(), new MessageChannel()];
    specs.push({
      role: `port-${kind}-producer`,
      data: { outPort: c1.port1, count: perProducer, batch: BATCH, latency: lat },
      transfer: [c1.port1],
      reports: true,
    });
    specs.push({ role: `port-${kind}-stage`, data: { inPort: c1.port2, outPort: c2.port1, count: total }, transfer: [c1.port2, c2.port1], reports: false });
    specs.push({ role: `port-${kind}-stage`, data: { inPort: c2.port2, outPort: c3.port1, count: total }, transfer: [c2.port2, c3.port1], reports: false });
    specs.push({ role: `port-${kind}-stage`, data: { inPort: c3.port2, count: total, terminal: true, latency: lat }, transfer: [c3.port2], reports: true });
    return specs;
  }
  const chans = Array.from({ length: n }, () => new MessageChannel());
  chans.forEach((c, id) => {
    specs.push({
      role: `port-${kind}-producer`,
      data: { outPort: c.port1, count: perProducer, batch: BATCH, producerId: id, producers: n, latency: lat },
      transfer: [c.port1],
      reports: true,
    });
  });
  const ins = chans.map((c) => c.port2);
  specs.push({ role: `port-${kind}-stage`, data: { inPorts: ins, count: total, terminal: true, latency: lat }, transfer: ins, reports: true });
  return specs;
}

function ringbufSpecs(count: number): Spec[] {
  const rbSab = RingBufJs.getStorageForCapacity(SLOTS * 4, Int32Array);
  return [
    { role: 'ringbuf-consumer', data: { rbSab, count, batch: BATCH }, reports: true },
    { role: 'ringbuf-producer', data: { rbSab, count, batch: BATCH }, reports: true },
  ];
}

function handSpecs(count: number): Spec[] {
  const rbSab = new SharedArrayBuffer(256 + SLOTS * SLOT);
  new Int32Array(rbSab, 0, 64)[0] = -1; // publish cursor starts before sequence 0
  new Int32Array(rbSab, 0, 64)[16] = -1;
  return [
    { role: 'hand-consumer', data: { rbSab, count, batch: BATCH }, reports: true },
    { role: 'hand-producer', data: { rbSab, count, batch: BATCH }, reports: true },
  ];
}

function expectedTotal(topo: Topo, per: number): number {
  let sum = 0;
  for (let id = 0; id < PRODUCERS[topo]; id++) sum = (sum + expectedChecksum(per, id)) | 0;
  return sum;
}

const WAIT = WaitStrategies.blocking(); // the default strategy: spin briefly, then park

function group(topo: Topo): BenchGroup {
  const name = `ring-${topo}`;
  return {
    group: name,
    async *run(ctx: BenchContext) {
      const q = ctx.quick;
      const scale = topo === '1p1c' ? 1 : topo === 'mp' ? 0.5 : 0.5;
      const ringN = Math.round((q ? 2e7 : 1e8) * scale);
      const eventN = Math.round((q ? 2e5 : 1e6) * scale);
      const batchN = Math.round((q ? 4e6 : 2e7) * scale);
      const latN = q ? 20_000 : 100_000;
      const n = PRODUCERS[topo];
      const timeout = 120_000;

      // ring (throughput, best of 2 in quick / 3 in full, since neighbours share the 2 cores)
      const per = Math.round(ringN / n);
      let best: Outcome | null = null;
      for (let r = 0; r < 3; r++) {
        const out = await runWorkers(ringSpecs(topo, per, WAIT), timeout);
        if (!checksumOk(out, expectedTotal(topo, per))) throw new Error(`${name}: checksum mismatch`);
        if (!best || out.seconds < best.seconds) best = out;
      }
      ctx.log(`${name}: ring ${round((per * n) / best!.seconds)} ev/s`);
      const ringLat = topo === 'mp' ? { p50_us: null, p99_us: null } : await latency((lat) => ringSpecs(topo, 0, WAIT, lat), latN);
      // busy-spin latency only for 1P1C: with 3 spinning stages on 2 cores it measures the scheduler.
      const spinLat = topo !== '1p1c' ? { p50_us: null, p99_us: null } : await latency((lat) => ringSpecs(topo, 0, WaitStrategies.busySpin(), lat), latN);
      yield {
        ...line(name, per * n, best!, { batch: BATCH, consumer_chunk: CHUNK, slot_bytes: SLOT, slots: SLOTS, wait: 'blocking(spin 256)' }),
        ...ringLat,
        p50_us_busy_spin: spinLat.p50_us,
        p99_us_busy_spin: spinLat.p99_us,
      };

      // port-per-event
      const perE = Math.round(eventN / n);
      const outE = await runWorkers(portSpecs(topo, perE, false), timeout);
      if (!checksumOk(outE, expectedTotal(topo, perE))) throw new Error(`${name}:port-per-event checksum mismatch`);
      const latE = topo === 'mp' ? { p50_us: null, p99_us: null } : await latency((lat) => portSpecs(topo, 0, false, lat), Math.min(latN, 20_000));
      yield { ...line(`${name}:port-per-event`, perE * n, outE, { batch: 1 }), ...latE };

      // port-batched
      const perB = Math.round(batchN / n);
      const outB = await runWorkers(portSpecs(topo, perB, true), timeout);
      if (!checksumOk(outB, expectedTotal(topo, perB))) throw new Error(`${name}:port-batched checksum mismatch`);
      yield line(`${name}:port-batched`, perB * n, outB, { batch: BATCH });

      if (topo === '1p1c') {
        let bestRb: Outcome | null = null;
        for (let r = 0; r < 3; r++) {
          const out = await runWorkers(ringbufSpecs(ringN), timeout);
          if (!checksumOk(out, expectedChecksum(ringN, 0))) throw new Error(`${name}:ringbuf.js checksum mismatch`);
          if (!bestRb || out.seconds < bestRb.seconds) bestRb = out;
        }
        yield line(`${name}:ringbuf.js`, ringN, bestRb!, { batch: BATCH, slot_bytes: PAYLOAD, slots: SLOTS });
        // The ceiling on this machine right now: the same exchange with no library (hand loop).
        let bestHand: Outcome | null = null;
        for (let r = 0; r < 3; r++) {
          const out = await runWorkers(handSpecs(ringN), timeout);
          if (!checksumOk(out, expectedChecksum(ringN, 0))) throw new Error(`${name}:hand-loop checksum mismatch`);
          if (!bestHand || out.seconds < bestHand.seconds) bestHand = out;
        }
        yield line(`${name}:hand-loop`, ringN, bestHand!, { batch: BATCH, slot_bytes: SLOT, slots: SLOTS });
      }
    },
  };
}

// Cursor representation (packages/ring/src/sequence.ts): wrapping Int32 + Float64 hint (what the ring uses) against
// BigInt64Array, one thread, the operations a cursor does per batch: release store + acquire load
// + rebuild of the full sequence, and the multi-producer CAS.
const cursorGroup: BenchGroup = {
  group: 'ring-cursor',
  async *run(ctx) {
    const n = ctx.quick ? 4e6 : 2e7;
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    const f64 = new Float64Array(i32.buffer);
    const b64 = new BigInt64Array(new SharedArrayBuffer(64));
    const i32Loop = (): number => {
      let acc = 0;
      for (let s = 2 ** 32 - n / 2; s < 2 ** 32 + n / 2; s++) {
        f64[2] = s;
        Atomics.store(i32, 0, s | 0);
        const ref = s - 1;
        acc += ref + ((Atomics.load(i32, 0) - (ref | 0)) | 0) - s;
      }
      return acc;
    };
    const i32CasLoop = (): number => {
      let ok = 0;
      Atomics.store(i32, 0, -1);
      for (let s = 0; s < n; s++) if (Atomics.compareExchange(i32, 0, (s - 1) | 0, s | 0) === ((s - 1) | 0)) ok++;
      return ok;
    };
    const bigLoop = (): number => {
      let acc = 0;
      for (let s = 2 ** 32 - n / 2; s < 2 ** 32 + n / 2; s++) {
        Atomics.store(b64, 0, BigInt(s));
        acc += Number(Atomics.load(b64, 0)) - s;
      }
      return acc;
    };
    const bigCasLoop = (): number => {
      let ok = 0;
      Atomics.store(b64, 0, -1n);
      for (let s = 0; s < n; s++) if (Atomics.compareExchange(b64, 0, BigInt(s - 1), BigInt(s)) === BigInt(s - 1)) ok++;
      return ok;
    };
    // Interleaved rounds, best of each: the machine is shared, so both sides see the same noise.
    const loops = [i32Loop, i32CasLoop, bigLoop, bigCasLoop];
    const best = [Infinity, Infinity, Infinity, Infinity];
    const res = [0, 0, 0, 0];
    for (let round = 0; round < 5; round++) {
      loops.forEach((f, k) => {
        const t = hrNs();
        res[k] = f();
        best[k] = Math.min(best[k]!, hrNs() - t);
      });
    }
    const [i32Ops, i32Cas, bigOps, bigCas] = best.map((ns) => n / (ns / 1e9)) as [number, number, number, number];
    const [a1, , a2] = res;
    if (a1 !== 0 || a2 !== 0) throw new Error('cursor round trip lost precision');
    yield { bench: 'ring-cursor', ops_per_s: round(i32Ops), p50_us: null, p99_us: null, repr: 'int32+f64 hint', cas_per_s: round(i32Cas) };
    yield { bench: 'ring-cursor:bigint64', ops_per_s: round(bigOps), p50_us: null, p99_us: null, repr: 'BigInt64Array', cas_per_s: round(bigCas) };
  },
};

export const groups: BenchGroup[] = [group('1p1c'), group('3stage'), group('mp'), cursorGroup];
