// Ring benches (docs/ARCHITECTURE.md §7): ring-1p1c, ring-3stage, ring-mp, each with its MessagePort
// baselines measured in the same run, and for 1P1C ringbuf.js (tuned: zero-copy write, blocking wait
// with wake-ups) and the hand loop (the ring's exchange with no library: the ceiling). Every worker
// plays one role of bench/workers/ring-worker.ts; start is synchronised on a control SAB, so the
// window measured is producer start -> terminal consumer done (worker start-up excluded). Every
// throughput line of a group is measured the same way: a warm-up round, then RUNS (RUNS_QUICK)
// interleaved rounds, the median reported with every run in `runs` and the load average at start.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Pipeline, WaitStrategies, type RingBuffer, type WaitStrategy } from '@ringmatch/ring';
import { RingBuffer as RingBufJs } from 'ringbuf.js';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { latencySummaryUs, medianBy, round, rssMb, runsText } from '../stats.js';
import { loadNow, measureRounds, median, methodFields, methodText, runsFor } from '../method.js';

const WORKER = new URL('../workers/ring-worker.js', import.meta.url);
const PAYLOAD = 16;
const SLOT = 64;
const SLOTS = 1 << 14; // 1 MiB of 64-byte slots
const BATCH = 1024; // producer claim / port message / ringbuf.js write size
const CHUNK = 2048; // most events a ring consumer handles before moving its cursor
// ringbuf.js's pop size: 4096 events measured ~1.15x 2048 for it (its pop copies, and each pop wakes a
// parked producer), while the ring showed no gain from 4096 (bench/notes/ring.md).
const RB_CHUNK = 4096;
// A parked ringbuf.js producer is woken once half its ring is free, not after every pop: half the
// wake-ups (the consumer, its bottleneck, makes the futex call), ~1.03x in an A/B within noise.
const RB_LOW_WATER = SLOTS / 2;
const SPINS = 256; // re-checks before parking: the ring's blocking(256), and the baselines' wait (ring-worker.ts)

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

function line(bench: string, events: number, seconds: number, extra: Record<string, unknown>): BenchLine {
  return {
    bench,
    ops_per_s: round(events / seconds),
    p50_us: null,
    p99_us: null,
    payload_bytes: PAYLOAD,
    batch: null,
    slot_bytes: null,
    events,
    seconds: round(seconds),
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
export type Topo = '1p1c' | '3stage' | 'mp';
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
  const sigSab = new SharedArrayBuffer(128); // two wait lines (ring-worker.ts RB_DATA, RB_SPACE)
  return [
    { role: 'ringbuf-consumer', data: { rbSab, sigSab, count, batch: BATCH, chunk: RB_CHUNK, lowWater: RB_LOW_WATER }, reports: true },
    { role: 'ringbuf-producer', data: { rbSab, sigSab, count, batch: BATCH, lowWater: RB_LOW_WATER }, reports: true },
  ];
}

function handSpecs(count: number): Spec[] {
  // Two cursor lines (ring-worker.ts HAND_PUB, HAND_CONS: both start at -1), then the slots.
  const rbSab = new SharedArrayBuffer(128 + SLOTS * SLOT);
  const i32 = new Int32Array(rbSab, 0, 32);
  i32[0] = -1;
  i32[16] = -1;
  if (count >= 2 ** 31 - SLOTS) throw new Error('hand loop: plain Int32 cursors, count must stay under 2^31');
  return [
    { role: 'hand-consumer', data: { rbSab, count, batch: BATCH, chunk: CHUNK }, reports: true },
    { role: 'hand-producer', data: { rbSab, count, batch: BATCH }, reports: true },
  ];
}

function expectedTotal(topo: Topo, per: number): number {
  let sum = 0;
  for (let id = 0; id < PRODUCERS[topo]; id++) sum = (sum + expectedChecksum(per, id)) | 0;
  return sum;
}

const WAIT = WaitStrategies.blocking(SPINS); // the default strategy: spin briefly, then park
const TIMEOUT_MS = 120_000;

/** One throughput line of a group: how many events one run moves and how to make one checked run. */
export interface Contender {
  /** The baseline's name (`port-batched`), or '' for the group's own line. */
  name: string;
  events: number;
  extra: Record<string, unknown>;
  /** One run; throws on a checksum mismatch. */
  once(): Promise<Outcome>;
}

/** The throughput lines of a group, `events` per line as `sizes` says (per topology: split among its producers). */
export function contenders(topo: Topo, sizes: { ring: number; perEvent: number; batched: number }): Contender[] {
  const n = PRODUCERS[topo];
  const checked = (what: string, specs: () => Spec[], expected: number) => async (): Promise<Outcome> => {
    const out = await runWorkers(specs(), TIMEOUT_MS);
    if (!checksumOk(out, expected)) throw new Error(`ring-${topo}${what}: checksum mismatch`);
    return out;
  };
  const per = Math.round(sizes.ring / n);
  const perE = Math.round(sizes.perEvent / n);
  const perB = Math.round(sizes.batched / n);
  const list: Contender[] = [
    {
      name: '',
      events: per * n,
      extra: { batch: BATCH, consumer_chunk: CHUNK, slot_bytes: SLOT, slots: SLOTS, wait: `blocking(spin ${SPINS})` },
      once: checked('', () => ringSpecs(topo, per, WAIT), expectedTotal(topo, per)),
    },
    {
      name: 'port-per-event',
      events: perE * n,
      extra: { batch: 1 },
      once: checked(':port-per-event', () => portSpecs(topo, perE, false), expectedTotal(topo, perE)),
    },
    {
      name: 'port-batched',
      events: perB * n,
      extra: { batch: BATCH },
      once: checked(':port-batched', () => portSpecs(topo, perB, true), expectedTotal(topo, perB)),
    },
  ];
  if (topo === '1p1c') {
    const count = per;
    list.push(
      {
        name: 'ringbuf.js',
        events: count,
        extra: {
          batch: BATCH,
          consumer_chunk: RB_CHUNK,
          slot_bytes: PAYLOAD,
          slots: SLOTS,
          write: 'writeCallbackWithOffset',
          read: 'pop',
          wait: `blocking(spin ${SPINS})`,
          producer_wakes_at_free: RB_LOW_WATER,
        },
        once: checked(':ringbuf.js', () => ringbufSpecs(count), expectedChecksum(count, 0)),
      },
      {
        name: 'hand-loop',
        events: count,
        extra: { batch: BATCH, consumer_chunk: CHUNK, slot_bytes: SLOT, slots: SLOTS, wait: `blocking(spin ${SPINS})` },
        once: checked(':hand-loop', () => handSpecs(count), expectedChecksum(count, 0)),
      },
    );
  }
  return list;
}

/** Ratios, ascending, two decimals, "a/b/c". */
function ratiosText(values: readonly number[]): string {
  return [...values]
    .sort((a, b) => a - b)
    .map((v) => v.toFixed(2))
    .join('/');
}

function group(topo: Topo): BenchGroup {
  const name = `ring-${topo}`;
  return {
    group: name,
    async *run(ctx: BenchContext) {
      const q = ctx.quick;
      const scale = topo === '1p1c' ? 1 : 0.5;
      const sizes = { ring: Math.round((q ? 2e7 : 1e8) * scale), perEvent: Math.round((q ? 2e5 : 1e6) * scale), batched: Math.round((q ? 4e6 : 2e7) * scale) };
      const latN = q ? 20_000 : 100_000;
      const runs = runsFor(ctx);

      // Throughput: every line the same way (warm-up round, then `runs` interleaved rounds, median).
      const list = contenders(topo, sizes);
      const load = loadNow();
      ctx.log(`${name}: ${list.length} lines, 1 warm-up + ${runs} interleaved rounds (load ${load})`);
      const seconds = await measureRounds(list, runs, async (c) => (await c.once()).seconds);
      const ops = list.map((c, k) => seconds[k]!.map((s) => c.events / s));
      const median = ops.map((o) => medianBy(o, (v) => v));
      const at = (line: string): number => list.findIndex((c) => c.name === line);
      const vs = (line: string): number | undefined => (at(line) < 0 ? undefined : round(median[0]! / median[at(line)]!));
      const hand = at('hand-loop');
      const throughput = (k: number, extra: Record<string, unknown>): BenchLine => {
        const c = list[k]!;
        return {
          ...line(c.name ? `${name}:${c.name}` : name, c.events, c.events / median[k]!, { ...c.extra, ...extra }),
          runs: runsText(ops[k]!),
          method: methodText(runs),
          load_avg_1m: load,
        };
      };
      ctx.log(`${name}: ring ${round(median[0]!)} ev/s${hand < 0 ? '' : `, ${vs('hand-loop')} of the hand loop`}`);

      // Latency: the same method (warm-up round, `runs` interleaved rounds, median of each
      // percentile), the same sample count for every line.
      const probes: Array<{ key: 'ring' | 'spin' | 'port'; specs: (lat: { samples: number; gapNs: number }) => Spec[] }> = [];
      if (topo !== 'mp') probes.push({ key: 'ring', specs: (lat) => ringSpecs(topo, 0, WAIT, lat) });
      // busy-spin latency only for 1P1C: with 3 spinning stages on 2 cores it measures the scheduler.
      if (topo === '1p1c') probes.push({ key: 'spin', specs: (lat) => ringSpecs(topo, 0, WaitStrategies.busySpin(), lat) });
      if (topo !== 'mp') probes.push({ key: 'port', specs: (lat) => portSpecs(topo, 0, false, lat) });
      const lats = await measureRounds(probes, runs, (p) => latency(p.specs, latN));
      const lat = (key: 'ring' | 'spin' | 'port'): { p50_us: number | null; p99_us: number | null; p99_runs?: string } => {
        const k = probes.findIndex((p) => p.key === key);
        if (k < 0) return { p50_us: null, p99_us: null };
        const p50 = lats[k]!.map((l) => l.p50_us ?? Number.NaN);
        const p99 = lats[k]!.map((l) => l.p99_us ?? Number.NaN);
        return { p50_us: medianBy(p50, (v) => v), p99_us: medianBy(p99, (v) => v), p99_runs: runsText(p99) };
      };
      const ringLat = lat('ring');
      const spinLat = lat('spin');
      const portLat = lat('port');

      yield {
        ...throughput(0, {
          vs_hand_loop: vs('hand-loop'),
          vs_hand_loop_rounds: hand < 0 ? undefined : ratiosText(ops[0]!.map((o, r) => o / ops[hand]![r]!)),
          vs_ringbuf_js: vs('ringbuf.js'),
          vs_port_batched: vs('port-batched'),
          vs_port_per_event: vs('port-per-event'),
        }),
        p50_us: ringLat.p50_us,
        p99_us: ringLat.p99_us,
        p99_us_runs: ringLat.p99_runs,
        p99_vs_port_per_event: portLat.p99_us && ringLat.p99_us ? round(ringLat.p99_us / portLat.p99_us) : undefined,
        p50_us_busy_spin: spinLat.p50_us,
        p99_us_busy_spin: spinLat.p99_us,
        p99_us_busy_spin_runs: spinLat.p99_runs,
        latency_samples: probes.length > 0 ? latN : undefined,
      };
      for (let k = 1; k < list.length; k++) {
        const ppe = list[k]!.name === 'port-per-event' && probes.length > 0;
        yield {
          ...throughput(k, {}),
          ...(ppe ? { p50_us: portLat.p50_us, p99_us: portLat.p99_us, p99_us_runs: portLat.p99_runs, latency_samples: latN } : {}),
        };
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
    // The method of every line (bench/method.ts): a warm-up round, then interleaved rounds, the
    // median of each; the machine is shared, so all four see the same noise.
    const loops = [i32Loop, i32CasLoop, bigLoop, bigCasLoop];
    const load = loadNow();
    const results = await measureRounds(loops, runsFor(ctx), async (f) => {
      const t = hrNs();
      const res = f();
      return { rate: n / ((hrNs() - t) / 1e9), res };
    });
    if (results.some((rs, k) => (k === 0 || k === 2) && rs.some((r) => r.res !== 0))) throw new Error('cursor round trip lost precision');
    const rates = results.map((rs) => rs.map((r) => r.rate));
    const [i32Ops, i32Cas, bigOps, bigCas] = rates.map((r) => median(r)) as [number, number, number, number];
    yield {
      bench: 'ring-cursor',
      ops_per_s: round(i32Ops),
      p50_us: null,
      p99_us: null,
      repr: 'int32+f64 hint',
      cas_per_s: round(i32Cas),
      ...methodFields(rates[0]!, load),
    };
    yield {
      bench: 'ring-cursor:bigint64',
      ops_per_s: round(bigOps),
      p50_us: null,
      p99_us: null,
      repr: 'BigInt64Array',
      cas_per_s: round(bigCas),
      ...methodFields(rates[2]!, load),
    };
  },
};

export const groups: BenchGroup[] = [group('1p1c'), group('3stage'), group('mp'), cursorGroup];
