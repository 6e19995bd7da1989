// End-to-end tests of the engine process: real worker threads, real WAL files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_SIZE, availableBackends, readFrames, type WalFrame } from '@ringmatch/wal';
import { spawn } from 'node:child_process';
import { hasBatchEndMark } from '@ringmatch/protocol';
import { depthDisagreement } from '@ringmatch/test-kit';
import { resolveBook } from '../src/native-book.js';
import {
  CLI,
  depthBodies,
  readLines,
  replayedDepth,
  replayedTrades,
  runCli,
  startCli,
  summaryOf,
  tempDirs,
  tradeBodies,
  waitExit,
  waitForMatched,
} from './helpers.js';

const dir = tempDirs();

const RUN = ['run', '--progress-ms', '0', '--ring-size', '4096'];
/** A run that prints progress lines (waitForMatched reads them). */
const LIVE = (ms: number): string[] => ['run', '--progress-ms', String(ms), '--ring-size', '4096'];

describe('engine, embedded source', () => {
  it('matches every order after it is durable, and its trades are exactly what the WAL replays to', async () => {
    const d = dir();
    const r = await runCli([...RUN, '--data-dir', d, '--orders', '50000', '--snapshot-every', '20000']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.orders).toBe(50000);
    expect(s.lastSequence).toBe(50000);
    expect(s.durable).toBe(50000);
    expect(s.invariantViolations).toBe(0);
    expect(s.trades as number).toBeGreaterThan(1000);
    // Order-to-report latency (sampled sequences, stamped at publish): positive and within the run.
    const runUs = (s.seconds as number) * 1e6;
    expect(s.latencyP50Us as number).toBeGreaterThan(0);
    expect(s.latencyP99Us as number).toBeGreaterThanOrEqual(s.latencyP50Us as number);
    expect(s.latencyP99Us as number).toBeLessThan(runUs + 1e6);
    // The CPU account covers the measured window, not the start-up before it (which alone takes
    // more CPU than this short run's window holds on every core), and GC is a part of it.
    const cpuMs = s.cpuMs as number;
    expect(cpuMs).toBeGreaterThan(0);
    expect(cpuMs).toBeLessThanOrEqual((s.seconds as number) * 1000 * os.availableParallelism() + 20);
    expect(s.cpuUsPerOrder).toBeCloseTo((cpuMs * 1000) / 50000, 1);
    expect(s.gcMs as number).toBeGreaterThanOrEqual(0);
    expect(s.gcMs as number).toBeLessThan(cpuMs);
    const trades = tradeBodies(d);
    expect(trades.length).toBe(s.trades);
    // Sequences in the trade log never go backwards and never pass the WAL's end.
    let last = 0;
    for (const line of trades) {
      const seq = (JSON.parse(line) as { seq: number }).seq;
      expect(seq).toBeGreaterThanOrEqual(last);
      expect(seq).toBeLessThanOrEqual(50000);
      last = seq;
    }
    // An offline replay of the WAL alone gives the identical trade log and depth stream.
    expect(replayedTrades(d)).toEqual(trades);
    const depth = depthBodies(d);
    expect(depth.length).toBeGreaterThan(2000);
    expect(s.depthUpdates).toBe(depth.length);
    expect(replayedDepth(d)).toEqual(depth);
    // Depth lines are stamped at journal batch ends: the last sequence of a WAL frame (one group
    // commit), whose record carries the batch-end mark.
    const batchEnds = new Set<number>();
    for (const frame of readFrames(path.join(d, 'wal'))) {
      expect(hasBatchEndMark(frame.data, (frame.count - 1) * frame.recordSize), `frame ${frame.firstSequence}`).toBe(true);
      for (let i = 0; i < frame.count - 1; i++) expect(hasBatchEndMark(frame.data, i * frame.recordSize)).toBe(false);
      batchEnds.add(frame.firstSequence + frame.count - 1);
    }
    expect(batchEnds.size).toBeGreaterThan(5);
    for (const line of depth) expect(batchEnds.has((JSON.parse(line) as { seq: number }).seq)).toBe(true);
    // The clean shutdown left a snapshot at the last sequence.
    const inspect = await runCli(['inspect', '--data-dir', d, '--what', 'snapshots', '--json']);
    const snapshots = inspect.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sequence: number; status: string });
    expect(snapshots[0]).toMatchObject({ sequence: 50000, status: 'ok' });
  }, 60_000);

  it('a restart on the same data dir resumes where the WAL ends (same result as one longer run)', async () => {
    const whole = dir();
    const split = dir();
    expect((await runCli([...RUN, '--data-dir', whole, '--orders', '40000'])).code).toBe(0);
    expect((await runCli([...RUN, '--data-dir', split, '--orders', '15000'])).code).toBe(0);
    const second = await runCli([...RUN, '--data-dir', split, '--orders', '40000']);
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ firstSequence: 15001, lastSequence: 40000, orders: 25000 });
    expect(tradeBodies(split)).toEqual(tradeBodies(whole));
    // The second run starts from the first's final snapshot: the depth stream goes on from there, not
    // from nothing. Its batches are its own, so it agrees with the longer run's stream (the same books
    // wherever both publish, and at the end) and equals an offline replay of its own WAL.
    expect(depthDisagreement(depthBodies(split), depthBodies(whole))).toBeNull();
    expect(replayedDepth(split)).toEqual(depthBodies(split));
  }, 60_000);

  it('stops cleanly on SIGTERM: drains, syncs, snapshots, exits 0', async () => {
    const d = dir();
    const child = startCli([...LIVE(100), '--data-dir', d, '--orders', '0', '--rate', '20000']);
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    // Wait until orders flow (worker start-up time varies on a loaded machine), bounded.
    await waitForMatched(child, 2000, 20_000);
    child.kill('SIGTERM');
    const { code } = await waitExit(child, 20_000);
    expect(code).toBe(0);
    const s = summaryOf(stdout);
    expect(s.stoppedBy).toBe('SIGTERM');
    expect(s.orders as number).toBeGreaterThan(2000);
    expect(s.durable).toBe(s.lastSequence);
    expect(tradeBodies(d)).toEqual(replayedTrades(d));
  }, 60_000);

  it('a worker that fails takes the engine down loudly with its error and the last sequences', async () => {
    const d = dir();
    const r = await runCli([...RUN, '--data-dir', d, '--orders', '1000'], 30_000, { RINGMATCH_TEST_FAIL_IN: 'poller' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FATAL worker poller failed: Error: injected failure in the poller/);
    expect(r.stderr).toMatch(/last sequences: published=\d+ durable=\d+ matched=\d+/);
  }, 60_000);
});

describe('ringmatch replay', () => {
  it('ends quietly (exit 0) when its reader closes the pipe early, like `| head`', async () => {
    const d = dir();
    expect((await runCli([...RUN, '--data-dir', d, '--orders', '20000'])).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'replay', '--data-dir', d, '--trades', '--from-start'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const { code } = await waitExit(child, 30_000);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE/);
  }, 60_000);
});

describe('engine, corrupt WAL tail', () => {
  it('cuts a corrupt last frame on restart, says so, and still ends with the uninterrupted trade log', async () => {
    const reference = dir();
    expect((await runCli([...RUN, '--data-dir', reference, '--orders', '40000', '--wal', 'fs'])).code).toBe(0);
    const d = dir();
    const child = startCli([...LIVE(50), '--data-dir', d, '--orders', '40000', '--wal', 'fs', '--rate', '20000', '--snapshot-every', '0']);
    await waitForMatched(child, 8000, 30_000);
    child.kill('SIGKILL');
    await waitExit(child, 20_000);
    // Flip a byte inside the last frame's records: a torn or rotten sync.
    let last: WalFrame | null = null;
    for (const frame of readFrames(path.join(d, 'wal'))) last = frame;
    expect(last).not.toBeNull();
    const at = last!.offset + FRAME_HEADER_SIZE + Math.floor(last!.data.length / 2);
    const fd = fs.openSync(path.join(d, 'wal', last!.segment), 'r+');
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    fs.writeSync(fd, byte, 0, 1, at);
    fs.closeSync(fd);
    const r = await runCli([...RUN, '--data-dir', d, '--orders', '40000', '--wal', 'fs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/WAL tail cut during recovery: .*"segment":"seg-/);
    expect(tradeBodies(d)).toEqual(tradeBodies(reference));
  }, 90_000);
});

describe('engine, restart with nothing new to read', () => {
  it('replays and writes every output the WAL implies before its final snapshot', async () => {
    // Crash mid-stream; then drop the trade lines after the newest snapshot (the outputs a crash
    // can lose: the snapshot waited for everything before it to be written).
    const d = dir();
    const child = startCli([...LIVE(50), '--data-dir', d, '--orders', '40000', '--rate', '20000', '--snapshot-every', '3000']);
    await waitForMatched(child, 12_000, 30_000);
    child.kill('SIGKILL');
    await waitExit(child, 20_000);
    const snapshots = (await runCli(['inspect', '--data-dir', d, '--what', 'snapshots', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sequence: number; status: string });
    const covered = Math.max(...snapshots.filter((x) => x.status === 'ok').map((x) => x.sequence));
    const tradesFile = path.join(d, 'trades.ndjson');
    const kept = readLines(tradesFile).filter((l) => (JSON.parse(l) as { seq: number }).seq <= covered);
    fs.writeFileSync(tradesFile, kept.map((l) => `${l}\n`).join(''));
    // Restart with a target the WAL already covers: the source publishes nothing; the engine
    // must still replay from its snapshot and write every missing output before it snapshots.
    const inspect = await runCli(['inspect', '--data-dir', d, '--json']);
    const walEnd = (JSON.parse(inspect.stdout) as { lastSequence: number }).lastSequence;
    const r = await runCli([...RUN, '--data-dir', d, '--orders', String(walEnd)]);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout).orders).toBe(0);
    const reference = dir();
    expect((await runCli([...RUN, '--data-dir', reference, '--orders', String(walEnd)])).code).toBe(0);
    expect(tradeBodies(d)).toEqual(tradeBodies(reference));
  }, 90_000);
});

describe('engine, corrupt snapshot', () => {
  it('falls back to the previous snapshot plus the WAL, says so, and the trade log is unchanged', async () => {
    const reference = dir();
    expect((await runCli([...RUN, '--data-dir', reference, '--orders', '25000'])).code).toBe(0);
    const d = dir();
    expect((await runCli([...RUN, '--data-dir', d, '--orders', '20000', '--snapshot-every', '5000'])).code).toBe(0);
    const walDir = path.join(d, 'wal');
    const newest = fs
      .readdirSync(walDir)
      .filter((f) => f.startsWith('snap-'))
      .sort()
      .pop()!;
    const fd = fs.openSync(path.join(walDir, newest), 'r+');
    fs.writeSync(fd, Buffer.from([0xff, 0xff, 0xff]), 0, 3, 100);
    fs.closeSync(fd);
    const r = await runCli([...RUN, '--data-dir', d, '--orders', '25000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`snapshot ${newest} is invalid`);
    expect(tradeBodies(d)).toEqual(tradeBodies(reference));
  }, 60_000);
});

describe('engine, WAL backends', () => {
  it('gives the same trades with the native WAL (napi-rs) as with node:fs, when the module is built', async () => {
    const backends = await availableBackends();
    if (process.env.RINGMATCH_EXPECT_NATIVE === '1') expect(backends).toContain('native');
    if (!backends.includes('native')) {
      process.stderr.write('[engine test] native WAL module not built: only the fs path runs here\n');
    }
    const results: string[][] = [];
    for (const backend of backends) {
      const d = dir();
      const r = await runCli([...RUN, '--data-dir', d, '--orders', '30000', '--wal', backend]);
      expect(r.code, r.stderr).toBe(0);
      expect(summaryOf(r.stdout).walBackend).toBe(backend);
      results.push(tradeBodies(d));
    }
    expect(results[0]!.length).toBeGreaterThan(1000);
    for (const trades of results) expect(trades).toEqual(results[0]);
  }, 60_000);
});

const nativeBuilt = (await resolveBook('auto')).book === 'native';

describe('engine, books', () => {
  const reportBodies = (d: string) => readLines(path.join(d, 'reports.ndjson')).map((l) => l.replace(/^\{"n":\d+,/, '{'));

  it('matches the same with the JS book and the native book (trades, reports, depth), and says which it uses', async () => {
    if (process.env.RINGMATCH_EXPECT_NATIVE === '1') expect(nativeBuilt).toBe(true);
    const books = nativeBuilt ? ['js', 'native'] : ['js'];
    const runs = [];
    for (const book of books) {
      const d = dir();
      const r = await runCli([...RUN, '--data-dir', d, '--orders', '30000', '--reports', '--snapshot-every', '7000', '--book', book]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`book: ${book} (`);
      expect(replayedDepth(d)).toEqual(depthBodies(d)); // the depth stream is what the WAL implies
      runs.push({ trades: tradeBodies(d), reports: reportBodies(d) });
    }
    expect(runs[0]!.trades.length).toBeGreaterThan(1000);
    for (const run of runs) expect(run).toEqual(runs[0]);
  }, 60_000);

  it.runIf(nativeBuilt)(
    'a data dir one book wrote recovers with the other: the snapshots are one format',
    async () => {
      const whole = dir();
      expect((await runCli([...RUN, '--data-dir', whole, '--orders', '30000', '--book', 'js'])).code).toBe(0);
      for (const [first, second] of [
        ['native', 'js'],
        ['js', 'native'],
      ]) {
        const d = dir();
        expect((await runCli([...RUN, '--data-dir', d, '--orders', '12000', '--snapshot-every', '5000', '--book', first!])).code).toBe(0);
        const r = await runCli([...RUN, '--data-dir', d, '--orders', '30000', '--book', second!]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/recovered WAL: last durable sequence 12000, snapshot 12000/);
        expect(tradeBodies(d)).toEqual(tradeBodies(whole));
      }
    },
    90_000,
  );

  it('refuses a --book it does not know with a usage error, no stack trace', async () => {
    const r = await runCli([...RUN, '--data-dir', dir(), '--orders', '10', '--book', 'rust']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--book/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user mistake
  });
});

describe('engine, NDJSON source with bad input', () => {
  it('turns malformed lines into REJECTED reports with reasons and still processes every valid order', async () => {
    const d = dir();
    const file = path.join(dir(), 'orders.ndjson'); // not inside the data dir: the engine owns that
    const lines = [
      '{"op":"new","symbol":"AAPL","orderId":1,"account":1,"side":"sell","type":"limit","price":19000,"qty":10}',
      'this is not json',
      '{"op":"new","symbol":"AAPL","orderId":2,"account":2,"side":"buy","type":"limit","price":19000,"qty":-5}',
      '{"op":"new","symbol":"NOPE","orderId":3,"account":2,"side":"buy","type":"limit","price":19000,"qty":5}',
      '{"op":"new","symbol":"AAPL","orderId":4,"account":2,"side":"buy","type":"limit","price":190.5,"qty":5}',
      '',
      '[{"op":"new","symbol":"AAPL","orderId":5,"account":2,"side":"buy","type":"limit","price":19000,"qty":4},{"op":"cancel","symbol":"AAPL","orderId":99,"account":2}]',
      '{"op":"new","symbol":"AAPL","orderId":6,"account":3,"side":"buy","type":"market","qty":6}',
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runCli([...RUN, '--data-dir', d, '--source', `ndjson:${file}`, '--reports']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    // 6 non-blank single lines + a batch of 2 = 8 commands, each journaled and answered.
    expect(s.lastSequence).toBe(8);
    const reports = readLines(path.join(d, 'reports.ndjson')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = reports.filter((x) => x.status === 'rejected');
    expect(rejected.map((x) => [x.seq, x.reason, x.field])).toEqual([
      [2, 'malformed message', 'message'],
      [3, 'quantity must be a positive integer', 'qty'],
      [4, 'unknown symbol name', 'symbol'],
      [5, 'not an integer', 'price'],
      [7, 'unknown order', 'orderId'],
    ]);
    expect(s.malformed).toBe(3); // failed to decode: lines 2, 4 and 5 (the negative quantity decodes; the book rejects it)
    // Valid orders traded: 4 lots to order 5, then the market order takes the remaining 6.
    const trades = tradeBodies(d).map((l) => JSON.parse(l) as { qty: number; takerOrderId: number });
    expect(trades.map((t) => [t.takerOrderId, t.qty])).toEqual([
      [5, 4],
      [6, 6],
    ]);
  }, 60_000);
});
