// WAL benches: durable 64-byte records/s with group commit (one writev + one fdatasync per batch).
// - wal-fs-b64 / wal-fs-b1024: node:fs backend; `:bare` = a bare loop of writeSync + fdatasyncSync of
//   the same payload bytes (no framing, no CRC) into a preallocated, zero-filled file.
// - wal-native-b1024 / wal-native-b8192: napi-rs backend (write + sync on a libuv thread while the
//   next batch is framed); `:fs` = the fs backend at the same batch size.
// The bench and its baselines run in alternating blocks (BLOCK_MS; one block is one run) by the
// method of every line (bench/method.ts): a warm-up round, then interleaved rounds, each line the
// median of its blocks' rates, so the noise of this shared 2-core machine is spread over all of
// them. p50/p99 are per-batch write+sync latencies, the median of the blocks' percentiles.
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative, nativeLoadFailure, openWal, type BackendName, type Wal } from '@ringmatch/wal';
import type { BenchContext, BenchGroup, BenchLine } from '../types.js';
import { latencySummaryUs, round } from '../stats.js';
import { loadNow, measureRounds, median, methodFields, runsFor } from '../method.js';

const RECORD = 64;
const SEGMENT = 64 * 1024 * 1024;
const RING_SLOTS = 16384;
/** One run of a side (full run; 200 ms with --quick): a few segment rollovers at batch 1024. */
const BLOCK_MS = 600;
const BLOCK_MS_QUICK = 200;

function makeRing(): Uint8Array {
  const ring = new Uint8Array(new SharedArrayBuffer(RING_SLOTS * RECORD));
  for (let i = 0; i < ring.length; i++) ring[i] = (i * 131 + 7) & 0xff;
  return ring;
}

/** One side of a comparison: runs batches for about `ms`, returns the records made durable. */
interface Side {
  name: string;
  latenciesNs: number[];
  records: number;
  ns: number;
  /** ns spent by the appending thread inside appendRecords (framing, plus I/O on the fs backend). */
  blockedNs: number;
  /** Past its warm-up block. */
  warm: boolean;
  block(ms: number): Promise<void>;
  close(): Promise<void>;
  extra: Record<string, unknown>;
}

async function walSide(dir: string, name: string, backend: BackendName, batch: number): Promise<Side> {
  const side: Side = {
    name,
    latenciesNs: [],
    records: 0,
    ns: 0,
    blockedNs: 0,
    warm: false,
    extra: { backend },
    block: async () => undefined,
    close: async () => undefined,
  };
  const wal: Wal = await openWal(dir, { backend, segmentSize: SEGMENT, onSync: (i) => side.latenciesNs.push(i.durationNs) });
  const ring = makeRing();
  let slot = 0;
  side.block = async (ms) => {
    const pending: Promise<number>[] = [];
    const first = wal.durableSequence;
    const start = process.hrtime.bigint();
    const until = start + BigInt(ms) * 1_000_000n;
    while (process.hrtime.bigint() < until) {
      if (wal.pending >= 2) await pending.shift();
      const end = slot + batch;
      const a = end <= RING_SLOTS ? ring.subarray(slot * RECORD, end * RECORD) : ring.subarray(slot * RECORD);
      const b = end <= RING_SLOTS ? null : ring.subarray(0, (end - RING_SLOTS) * RECORD);
      const t0 = process.hrtime.bigint();
      pending.push(wal.appendRecords(wal.nextSequence, RECORD, a, b));
      side.blockedNs += Number(process.hrtime.bigint() - t0);
      slot = end % RING_SLOTS;
      if (backend === 'fs') await pending.shift(); // settled in the call; lets the event loop turn
    }
    await Promise.all(pending);
    side.ns += Number(process.hrtime.bigint() - start);
    side.records += wal.durableSequence - first;
  };
  side.close = () => wal.close();
  return side;
}

/** Bare baseline: writeSync + fdatasyncSync of the same payload bytes into a preallocated, zero-filled file. */
function bareSide(dir: string, name: string, batch: number, zeroFillOnWrap: boolean): Side {
  const fd = openSync(path.join(dir, `${name.replace(/[^a-z0-9]/gi, '_')}.bin`), 'w+');
  const zeros = new Uint8Array(1 << 20);
  const fill = (): void => {
    for (let p = 0; p < SEGMENT; p += zeros.length) writeSync(fd, zeros, 0, zeros.length, p);
    fsyncSync(fd);
  };
  fill();
  const ring = makeRing();
  const bytes = batch * RECORD;
  let pos = 0;
  let slot = 0;
  const side: Side = {
    name,
    latenciesNs: [],
    records: 0,
    ns: 0,
    blockedNs: 0,
    warm: false,
    extra: { backend: 'bare' },
    async block(ms) {
      const start = process.hrtime.bigint();
      const until = start + BigInt(ms) * 1_000_000n;
      let now = start;
      while (now < until) {
        if (pos + bytes > SEGMENT) {
          pos = 0;
          if (zeroFillOnWrap) fill(); // what the WAL pays per new segment (in the background)
        }
        const end = slot + batch;
        if (end <= RING_SLOTS) writeSync(fd, ring, slot * RECORD, bytes, pos);
        else {
          const first = (RING_SLOTS - slot) * RECORD;
          writeSync(fd, ring, slot * RECORD, first, pos);
          writeSync(fd, ring, 0, bytes - first, pos + first);
        }
        fdatasyncSync(fd);
        const t = process.hrtime.bigint();
        side.latenciesNs.push(Number(t - now));
        now = t;
        pos += bytes;
        slot = end % RING_SLOTS;
        side.records += batch;
      }
      side.ns += Number(now - start);
      side.blockedNs += Number(now - start);
    },
    async close() {
      closeSync(fd);
    },
  };
  return side;
}

/** One block of a side: its rate and per-batch latency percentiles. */
interface BlockRun {
  rate: number;
  p50_us: number | null;
  p99_us: number | null;
}

/** The sides' blocks by the method (a warm-up round of blocks, then interleaved rounds). */
async function alternate(ctx: BenchContext, sides: Side[]): Promise<{ load: number; blocks: BlockRun[][] }> {
  const ms = ctx.quick ? BLOCK_MS_QUICK : BLOCK_MS;
  const load = loadNow();
  const blocks = await measureRounds(sides, runsFor(ctx), async (side): Promise<BlockRun> => {
    const [records, ns, blocked, samples] = [side.records, side.ns, side.blockedNs, side.latenciesNs.length];
    await side.block(ms);
    const lat = latencySummaryUs(side.latenciesNs.slice(samples));
    // Only measured blocks count in the totals (js_blocked_pct): the first round is the warm-up.
    if (side.warm) return { rate: (side.records - records) / ((side.ns - ns) / 1e9), ...lat };
    side.warm = true;
    [side.records, side.ns, side.blockedNs] = [records, ns, blocked];
    side.latenciesNs.length = samples;
    return { rate: 0, ...lat };
  });
  for (const s of sides) {
    ctx.log(`${s.name}: ${s.records} records in ${(s.ns / 1e6).toFixed(0)} ms (${s.latenciesNs.length} batches)`);
    await s.close();
  }
  return { load, blocks };
}

function line(side: Side, batch: number, blocks: BlockRun[], load: number): BenchLine {
  const seconds = side.ns / 1e9;
  const rates = blocks.map((b) => b.rate);
  const mid = (xs: Array<number | null>): number | null => (xs.some((x) => x === null) ? null : median(xs as number[]));
  return {
    bench: side.name,
    ops_per_s: round(median(rates)),
    p50_us: mid(blocks.map((b) => b.p50_us)),
    p99_us: mid(blocks.map((b) => b.p99_us)),
    batch,
    payload_bytes: RECORD,
    ...side.extra,
    mb_per_s: round((median(rates) * RECORD) / 1e6),
    // Share of the time the appending (JS) thread was blocked in appendRecords: the rest is free for
    // the journaler's other work (reading the ring, publishing the durable cursor).
    js_blocked_pct: round((side.blockedNs / side.ns) * 100),
    block_ms: Math.round((seconds * 1000) / blocks.length),
    ...methodFields(rates, load),
  };
}

function ratio(a: BenchLine, b: BenchLine): number | null {
  return a.ops_per_s !== null && b.ops_per_s !== null ? round(a.ops_per_s / b.ops_per_s) : null;
}

function fsGroup(batch: number): BenchGroup {
  const name = `wal-fs-b${batch}`;
  return {
    group: name,
    async *run(ctx) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `ringmatch-bench-${name}-`)); // ext4 here, not tmpfs
      try {
        const sides = [await walSide(path.join(dir, 'wal'), name, 'fs', batch), bareSide(dir, `${name}:bare`, batch, false)];
        if (batch >= 1024) sides.push(bareSide(dir, `${name}:bare-prealloc`, batch, true));
        const { load, blocks } = await alternate(ctx, sides);
        const lines = sides.map((s, k) => line(s, batch, blocks[k]!, load));
        lines[0]!.vs_bare = ratio(lines[0]!, lines[1]!);
        yield* lines;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function nativeGroup(batch: number): BenchGroup {
  const name = `wal-native-b${batch}`;
  return {
    group: name,
    async *run(ctx) {
      const native = await loadNative();
      if (!native) {
        yield {
          bench: name,
          ops_per_s: null,
          p50_us: null,
          p99_us: null,
          batch,
          error: `native module not built (npm run build:native -w @ringmatch/native): ${String(nativeLoadFailure()).split('\n')[0]}`,
        };
        return;
      }
      const dir = mkdtempSync(path.join(os.tmpdir(), `ringmatch-bench-${name}-`));
      try {
        const sides = [
          await walSide(path.join(dir, 'native'), name, 'native', batch),
          await walSide(path.join(dir, 'fs'), `${name}:fs`, 'fs', batch),
          bareSide(dir, `${name}:bare`, batch, false),
        ];
        const { load, blocks } = await alternate(ctx, sides);
        const lines = sides.map((s, k) => line(s, batch, blocks[k]!, load));
        lines[0]!.vs_fs = ratio(lines[0]!, lines[1]!);
        lines[0]!.vs_bare = ratio(lines[0]!, lines[2]!);
        yield* lines;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export const groups: BenchGroup[] = [fsGroup(64), fsGroup(1024), nativeGroup(1024), nativeGroup(8192)];
