// The fault matrix: operator slips and media faults, each against the real CLI on real files.
// Every case ends either with the trade log byte-identical to an uninterrupted run's, or with a
// non-zero exit, one line naming the file (and the sequence) and the way out, and no file of the
// user's touched. Each test is one row of the README's "Faults and what the engine does" table.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFrames, segmentName } from '@ringmatch/wal';
import { CLI, tempDirs, waitExit, waitForMatched } from './helpers.js';

const dir = tempDirs('ringmatch-fault-');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Small WAL segments, so that snapshots let a short run delete covered segments as a long one does. */
const SMALL_SEGMENTS = { RINGMATCH_WAL_SEGMENT_BYTES: String(256 * 1024) };

function start(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: { ...process.env, ...options.env } });
}

function cli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = start(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const RUN = ['run', '--progress-ms', '0', '--ring-size', '4096'];
/** A run that prints progress lines (waitForMatched reads them). */
const LIVE = ['run', '--progress-ms', '50', '--ring-size', '4096'];
function engine(d: string, orders: number, extra: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  return cli([...RUN, '--data-dir', d, '--orders', String(orders), ...extra], { env });
}

const trades = (d: string): string => fs.readFileSync(path.join(d, 'trades.ndjson'), 'utf8');
const walDir = (d: string): string => path.join(d, 'wal');
const segments = (d: string): string[] =>
  fs
    .readdirSync(walDir(d))
    .filter((f) => f.endsWith('.wal'))
    .sort();
const snapshots = (d: string): string[] =>
  fs
    .readdirSync(walDir(d))
    .filter((f) => f.endsWith('.snap'))
    .sort();
/** Errors a user can read: one `ringmatch:` line (after any `[ringmatch]` progress notes), no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('[ringmatch] '));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0], stderr).toMatch(/^ringmatch: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

/** Trade logs of uninterrupted runs, by order count (the generator is a pure function of its seed). */
const references = new Map<number, Promise<string>>();
function reference(orders: number): Promise<string> {
  let log = references.get(orders);
  if (!log) {
    log = (async () => {
      const d = dir();
      const r = await engine(d, orders);
      if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
      return trades(d);
    })();
    references.set(orders, log);
  }
  return log;
}

/** A WAL of many small segments and no snapshot: the final snapshot's write is killed (SIGKILL). */
async function manySegmentsNoSnapshot(d: string, orders: number): Promise<void> {
  const r = await engine(d, orders, ['--snapshot-every', '0'], { ...SMALL_SEGMENTS, RINGMATCH_TEST_CRASH_AT: 'snapshot-write:1' });
  expect(r.signal, r.stderr).toBe('SIGKILL');
  expect(snapshots(d)).toEqual([]);
  expect(segments(d).length).toBeGreaterThan(4);
}

function flipByte(file: string, offset: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset] ^= 0x5a;
  fs.writeFileSync(file, bytes);
}

describe('fault matrix: the data dir lock', () => {
  it('a second engine on a busy data dir exits 2 naming the first; the first finishes exactly', async () => {
    const d = dir();
    // 8 s of orders after the first 1000: the second engine starts well inside it even on a loaded
    // machine (at 20000/s the first could finish before the second took the lock, and it did once).
    const first = start([...LIVE, '--data-dir', d, '--orders', '40000', '--rate', '5000']);
    const firstExit = waitExit(first, 60_000);
    await waitForMatched(first, 1000, 30_000);
    const second = await engine(d, 40000);
    expect(second.code).toBe(2);
    expect(oneLine(second.stderr)).toContain(`in use by another ringmatch (pid ${first.pid}`);
    expect((await firstExit).code).toBe(0);
    expect(trades(d)).toBe(await reference(40000));
  }, 90_000);

  it('a SIGKILLed engine leaves its lock; the next run takes it over and ends with the uninterrupted log', async () => {
    const d = dir();
    const first = start([...LIVE, '--data-dir', d, '--orders', '40000', '--rate', '20000']);
    await waitForMatched(first, 1000, 30_000);
    first.kill('SIGKILL');
    await waitExit(first);
    expect(fs.existsSync(path.join(d, 'engine.lock'))).toBe(true);
    const again = await engine(d, 40000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`took over the lock of ${d} from pid ${first.pid}`);
    expect(fs.existsSync(path.join(d, 'engine.lock'))).toBe(false);
    expect(trades(d)).toBe(await reference(40000));
  }, 90_000);

  it('replay refuses (exit 2) a data dir a running engine holds', async () => {
    const d = dir();
    const running = start([...LIVE, '--data-dir', d, '--orders', '0', '--rate', '5000']);
    await waitForMatched(running, 100, 30_000);
    const replay = await cli(['replay', '--data-dir', d]);
    expect(replay.code).toBe(2);
    expect(oneLine(replay.stderr)).toContain(`in use by ringmatch pid ${running.pid}`);
    running.kill('SIGTERM');
    expect((await waitExit(running)).code).toBe(0);
  }, 60_000);
});

describe('fault matrix: --fresh and foreign dirs', () => {
  it('--fresh refuses a folder of unrelated files and deletes nothing', async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'thesis.tex'), 'years of work');
    fs.mkdirSync(path.join(d, 'wal'));
    fs.writeFileSync(path.join(d, 'wal', 'notes.txt'), 'mine');
    const r = await engine(d, 1000, ['--fresh']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--fresh refuses to wipe .*thesis\.tex.*nothing was deleted/);
    expect(fs.readdirSync(d).sort()).toEqual(['thesis.tex', 'wal']);
    expect(fs.readFileSync(path.join(d, 'wal', 'notes.txt'), 'utf8')).toBe('mine');
    // Without --fresh such a dir is not a data dir either.
    const plain = await engine(d, 1000);
    expect(plain.code).toBe(2);
    expect(oneLine(plain.stderr)).toContain('is not a ringmatch data dir');
  }, 30_000);

  it('--fresh refuses /, .., the current directory ("") and a file, and deletes nothing', async () => {
    const d = dir();
    const inner = path.join(d, 'inner');
    fs.mkdirSync(inner);
    fs.writeFileSync(path.join(inner, 'keep.txt'), 'x');
    const file = path.join(d, 'a-file');
    fs.writeFileSync(file, 'y');
    for (const [target, message] of [
      ['/', /file system root/],
      ['..', /parent of the current directory/],
      ['', /the current directory/],
      [file, /is not a directory/],
    ] as const) {
      const r = await cli([...RUN, '--data-dir', target, '--fresh', '--orders', '10'], { cwd: inner });
      expect(r.code, target).toBe(2);
      expect(oneLine(r.stderr)).toMatch(message);
    }
    expect(fs.readFileSync(path.join(inner, 'keep.txt'), 'utf8')).toBe('x');
    expect(fs.readFileSync(file, 'utf8')).toBe('y');
    expect(fs.readdirSync(d).sort()).toEqual(['a-file', 'inner']);
  }, 30_000);

  it('--fresh on a ringmatch data dir deletes only its files and starts over, exactly', async () => {
    const d = dir();
    expect((await engine(d, 20000, ['--snapshot-every', '5000'])).code).toBe(0);
    const r = await engine(d, 40000, ['--fresh']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--fresh: deleted \d+ file\(s\)/);
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);

  it('a data dir started on one input refuses another: another ndjson file, another seed (exit 2)', async () => {
    const d = dir();
    const a = path.join(d, 'a.ndjson');
    const b = path.join(d, 'b.ndjson');
    const order = '{"op":"new","symbol":"BTC-USD","orderId":1,"account":7,"side":"buy","price":6500000,"qty":2}\n';
    fs.writeFileSync(a, order);
    fs.writeFileSync(b, order);
    const data = path.join(d, 'data');
    expect((await cli([...RUN, '--data-dir', data, '--source', `ndjson:${a}`])).code).toBe(0);
    const r = await cli([...RUN, '--data-dir', data, '--source', `ndjson:${b}`]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`was created with --source ndjson:${a}`);
    // The same file read with another symbol table (--symbols) would match other books: refused.
    const withSymbols = await cli([...RUN, '--data-dir', data, '--source', `ndjson:${a}`, '--symbols', '8']);
    expect(withSymbols.code).toBe(2);
    expect(oneLine(withSymbols.stderr)).toContain(`was created with --source ndjson:${a}; this run would read --source ndjson:${a} --symbols 8`);
    // The embedded generator's stream is its seed (and symbols, accounts): another one is refused too.
    const embedded = path.join(d, 'embedded');
    expect((await engine(embedded, 5000)).code).toBe(0);
    const reseeded = await engine(embedded, 10000, ['--seed', '2']);
    expect(reseeded.code).toBe(2);
    expect(oneLine(reseeded.stderr)).toContain('was created with the embedded generator (--seed 1 --symbols 8 --accounts 1000)');
  }, 30_000);

  it('an empty engine.json: exit 1 naming the file and the way out, which works', async () => {
    const d = dir();
    expect((await engine(d, 20000)).code).toBe(0);
    fs.writeFileSync(path.join(d, 'engine.json'), '');
    const r = await engine(d, 40000);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toContain(`${path.join(d, 'engine.json')} is damaged (empty)`);
    fs.rmSync(path.join(d, 'engine.json'));
    const again = await engine(d, 40000);
    expect(again.code, again.stderr).toBe(0);
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);
});

describe('fault matrix: WAL damage', () => {
  it('a flipped byte in a middle frame: run, replay and inspect refuse naming segment, offset and sequence; nothing changes; repair, then a run recovers exactly', async () => {
    const d = dir();
    await manySegmentsNoSnapshot(d, 40000);
    const frames = [...readFrames(walDir(d), 1)];
    const victim = frames[Math.floor(frames.length / 3)]!;
    const file = path.join(walDir(d), victim.segment);
    flipByte(file, victim.offset + 32 + 10);
    const bytesBefore = fs.readFileSync(file);
    // Temp files (a killed snapshot write's, the spare segment) may be cleaned; nothing else may change.
    const listing = (): string[] =>
      fs
        .readdirSync(walDir(d))
        .filter((f) => !f.endsWith('.tmp'))
        .sort();
    const before = listing();
    for (const args of [
      [...RUN, '--data-dir', d, '--orders', '40000'],
      ['replay', '--data-dir', d],
      ['replay', '--data-dir', d, '--trades', '--from-start'],
      ['inspect', '--data-dir', d],
    ]) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(victim.segment);
      expect(r.stderr, args.join(' ')).toContain(`sequence ${victim.firstSequence}`);
    }
    const run = await engine(d, 40000);
    expect(oneLine(run.stderr)).toContain(`ringmatch repair --data-dir ${d} --truncate-at ${victim.firstSequence}`);
    expect(fs.readFileSync(file).equals(bytesBefore)).toBe(true);
    expect(listing()).toEqual(before);
    const repair = await cli(['repair', '--data-dir', d, '--truncate-at', String(victim.firstSequence)]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toContain(`at sequence ${victim.firstSequence}`);
    const after = await engine(d, 40000);
    expect(after.code, after.stderr).toBe(0);
    expect(trades(d)).toBe(await reference(40000));
  }, 90_000);

  it('a flipped byte in the last frame is a torn tail: cut, reported, and the restart ends with the uninterrupted log', async () => {
    const d = dir();
    await manySegmentsNoSnapshot(d, 20000);
    const frames = [...readFrames(walDir(d), 1)];
    const last = frames.at(-1)!;
    flipByte(path.join(walDir(d), last.segment), last.offset + 32 + 5);
    const r = await engine(d, 40000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/WAL tail cut during recovery/);
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);

  it('a non-zero byte in the padding after a frame affects no record: reported as a warning, the restart ends exactly', async () => {
    const d = dir();
    await manySegmentsNoSnapshot(d, 20000);
    const frames = [...readFrames(walDir(d), 1)];
    const padded = frames.findIndex(
      (f, i) => i + 1 < frames.length && frames[i + 1]!.segment === f.segment && frames[i + 1]!.offset > f.offset + 32 + f.data.length,
    );
    expect(padded).toBeGreaterThanOrEqual(0);
    const frame = frames[padded]!;
    flipByte(path.join(walDir(d), frame.segment), frame.offset + 32 + frame.data.length + 1);
    const r = await engine(d, 40000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`WAL warning: ${frame.segment} at byte`);
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);

  it('a deleted middle segment: refuse (exit 1) naming the gap', async () => {
    const d = dir();
    await manySegmentsNoSnapshot(d, 40000);
    const all = segments(d);
    const middle = all[Math.floor(all.length / 2)]!;
    fs.rmSync(path.join(walDir(d), middle));
    const r = await engine(d, 40000);
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/WAL corrupt/);
    expect(line).toContain(all[Math.floor(all.length / 2) + 1]!);
    expect(segments(d)).toEqual(all.filter((s) => s !== middle));
  }, 60_000);

  it('a middle segment cut to its header: refuse (exit 1)', async () => {
    const d = dir();
    await manySegmentsNoSnapshot(d, 40000);
    const all = segments(d);
    const middle = path.join(walDir(d), all[2]!);
    fs.truncateSync(middle, 64);
    const r = await engine(d, 40000);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/WAL corrupt/);
    expect(fs.statSync(middle).size).toBe(64);
  }, 60_000);

  it('the last segment cut to its header: refuse (exit 1), records are not silently lost', async () => {
    const d = dir();
    await manySegmentsNoSnapshot(d, 40000);
    const last = path.join(walDir(d), segments(d).at(-1)!);
    fs.truncateSync(last, 64);
    const r = await engine(d, 40000);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/WAL corrupt/);
  }, 60_000);
});

describe('fault matrix: snapshots', () => {
  async function truncatedWal(d: string): Promise<void> {
    const r = await engine(d, 40000, ['--snapshot-every', '5000'], SMALL_SEGMENTS);
    expect(r.code, r.stderr).toBe(0);
    expect(segments(d)[0]).not.toBe(segmentName(1)); // covered segments were deleted
    expect(snapshots(d)).toHaveLength(2);
  }

  it('every snapshot deleted after the WAL dropped its first segments: run and replay refuse (exit 1)', async () => {
    const d = dir();
    await truncatedWal(d);
    for (const s of snapshots(d)) fs.rmSync(path.join(walDir(d), s));
    const r = await engine(d, 60000, [], SMALL_SEGMENTS);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/cannot be rebuilt/);
    const replay = await cli(['replay', '--data-dir', d, '--trades']);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toBe('');
  }, 60_000);

  it.each([
    ['deleted', (file: string) => fs.rmSync(file)],
    ['corrupted', (file: string) => flipByte(file, 100)],
    ['truncated', (file: string) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))],
  ])(
    'the newest snapshot %s: the restart falls back to the older one and ends exactly',
    async (_how, damage) => {
      const d = dir();
      await truncatedWal(d);
      damage(path.join(walDir(d), snapshots(d).at(-1)!));
      const r = await engine(d, 60000, ['--snapshot-every', '5000'], SMALL_SEGMENTS);
      expect(r.code, r.stderr).toBe(0);
      expect(trades(d)).toBe(await reference(60000));
    },
    60_000,
  );

  it('both snapshots corrupt: refuse (exit 1)', async () => {
    const d = dir();
    await truncatedWal(d);
    for (const s of snapshots(d)) flipByte(path.join(walDir(d), s), 100);
    const r = await engine(d, 60000, [], SMALL_SEGMENTS);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/cannot be rebuilt/);
  }, 60_000);
});

describe('fault matrix: output files', () => {
  it('trade lines lost after the older snapshot: the restart writes them again from it, exactly', async () => {
    const d = dir();
    expect((await engine(d, 40000, ['--snapshot-every', '5000'], SMALL_SEGMENTS)).code).toBe(0);
    const older = Number(/\d+/.exec(snapshots(d)[0]!)![0]);
    const lines = trades(d).split('\n').filter(Boolean);
    const kept = lines.filter((line) => (JSON.parse(line) as { seq: number }).seq <= older);
    expect(lines.length - kept.length).toBeGreaterThan(100);
    fs.writeFileSync(path.join(d, 'trades.ndjson'), `${kept.join('\n')}\n`);
    const r = await engine(d, 40000, [], SMALL_SEGMENTS);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`rebuilding the lost lines from snapshot ${older} and the WAL`);
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);

  it('the last 1,000 trade lines lost while the WAL starts at 1: rebuilt exactly from the whole WAL', async () => {
    const d = dir();
    expect((await engine(d, 40000)).code).toBe(0);
    const lines = trades(d).split('\n').filter(Boolean);
    fs.writeFileSync(path.join(d, 'trades.ndjson'), `${lines.slice(0, -1000).join('\n')}\n`);
    const r = await engine(d, 40000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('rebuilding the lost lines from the whole WAL');
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);

  it('a deleted trade log is rebuilt while the WAL starts at 1, and refused (exit 1) once it does not', async () => {
    const whole = dir();
    expect((await engine(whole, 40000, ['--snapshot-every', '5000'])).code).toBe(0);
    fs.rmSync(path.join(whole, 'trades.ndjson'));
    const rebuilt = await engine(whole, 40000);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toMatch(/rebuilding the lost lines from the whole WAL/);
    expect(trades(whole)).toBe(await reference(40000));

    const truncated = dir();
    expect((await engine(truncated, 40000, ['--snapshot-every', '5000'], SMALL_SEGMENTS)).code).toBe(0);
    fs.rmSync(path.join(truncated, 'trades.ndjson'));
    const r = await engine(truncated, 40000, [], SMALL_SEGMENTS);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/trades\.ndjson ends at no line .* restore .* from a backup/);
    expect(fs.existsSync(path.join(truncated, 'trades.ndjson'))).toBe(false);
  }, 90_000);

  it('a garbage last line is cut (reported) and the lines after it are written again', async () => {
    const d = dir();
    expect((await engine(d, 20000)).code).toBe(0);
    fs.appendFileSync(path.join(d, 'trades.ndjson'), 'this is not a trade\n');
    const inspect = await cli(['inspect', '--data-dir', d]);
    expect(inspect.code, inspect.stderr).toBe(0);
    const r = await engine(d, 40000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cut a damaged last line');
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);
});

describe('fault matrix: the depth stream file', () => {
  const book = (d: string): string => fs.readFileSync(path.join(d, 'book.ndjson'), 'utf8');
  const batchEnds = (d: string): Set<number> => new Set([...readFrames(walDir(d))].map((f) => f.firstSequence + f.count - 1));

  it('depth lines lost after the older snapshot: rewritten from it (its tracker state, as the snapshot is inside a batch), byte for byte', async () => {
    const d = dir();
    expect((await engine(d, 40000, ['--snapshot-every', '5000'], SMALL_SEGMENTS)).code).toBe(0);
    const older = Number(/\d+/.exec(snapshots(d)[0]!)![0]);
    // The case this row is for: the snapshot falls inside a journal batch (its books are past the
    // stream's last batch end); at a batch end it still must hold.
    if (batchEnds(d).has(older)) console.warn(`snapshot ${older} fell on a batch end this time`);
    const original = book(d);
    const lines = original.split('\n').filter(Boolean);
    const kept = lines.filter((line) => (JSON.parse(line) as { seq: number }).seq <= older);
    expect(lines.length - kept.length).toBeGreaterThan(100);
    fs.writeFileSync(path.join(d, 'book.ndjson'), `${kept.join('\n')}\n`);
    const r = await engine(d, 40000, [], SMALL_SEGMENTS);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`rebuilding the lost lines from snapshot ${older} and the WAL`);
    expect(book(d)).toBe(original);
  }, 60_000);

  it('a deleted depth stream file is rebuilt from the whole WAL, byte for byte; a garbage last line is cut and written again', async () => {
    const d = dir();
    expect((await engine(d, 30000, ['--snapshot-every', '10000'])).code).toBe(0);
    const original = book(d);
    fs.rmSync(path.join(d, 'book.ndjson'));
    const rebuilt = await engine(d, 30000);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toMatch(/book\.ndjson.*rebuilding the lost lines from the whole WAL|rebuilding the lost lines from the whole WAL/);
    expect(book(d)).toBe(original);
    fs.appendFileSync(path.join(d, 'book.ndjson'), '{"n":99999,"type":"lev');
    const cut = await engine(d, 30000);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toContain('book.ndjson');
    expect(book(d)).toBe(original);
  }, 90_000);
});

describe('fault matrix: the process', () => {
  it('SIGTERM during start-up stops cleanly (exit 0) and the next run ends exactly', async () => {
    const d = dir();
    const child = start([...RUN, '--data-dir', d, '--orders', '40000']);
    // The lock appears early in start-up, before recovery and the workers.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no lock within 20 s')), 20_000);
      const watcher = fs.watch(d, (_event, name) => {
        if (name === 'engine.lock') {
          clearTimeout(timer);
          watcher.close();
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const exit = await waitExit(child);
    expect(exit).toEqual({ code: 0, signal: null });
    const r = await engine(d, 40000);
    expect(r.code, r.stderr).toBe(0);
    expect(trades(d)).toBe(await reference(40000));
  }, 60_000);

  const root = process.getuid?.() === 0;
  const mountable =
    root &&
    os.platform() === 'linux' &&
    (() => {
      try {
        execFileSync('mount', ['--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
  if (!mountable) console.warn('[fault matrix] SKIPPED: the disk-full case needs root and mount (tmpfs); CI runs as root');
  it.skipIf(!mountable)(
    'disk full on a small tmpfs: exit 1 with one ENOSPC line; once space is freed the restart ends exactly',
    async () => {
      const d = dir();
      const mnt = path.join(d, 'mnt');
      fs.mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
      try {
        const data = path.join(mnt, 'data');
        const full = await engine(data, 40000, ['--snapshot-every', '5000'], { RINGMATCH_WAL_SEGMENT_BYTES: String(1024 * 1024) });
        expect(full.code).toBe(1);
        expect(oneLine(full.stderr)).toMatch(/^ringmatch: ENOSPC on .*disk is full/);
        execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
        const again = await engine(data, 40000, ['--snapshot-every', '5000'], { RINGMATCH_WAL_SEGMENT_BYTES: String(1024 * 1024) });
        expect(again.code, again.stderr).toBe(0);
        expect(trades(data)).toBe(await reference(40000));
      } finally {
        execFileSync('umount', [mnt]);
      }
    },
    90_000,
  );

  it.skipIf(!mountable)(
    'a read-only file system: exit 1 with one EROFS line naming the file; nothing is lost once it is writable again',
    async () => {
      const d = dir();
      const mnt = path.join(d, 'mnt');
      fs.mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
      try {
        const data = path.join(mnt, 'data');
        const small = { RINGMATCH_WAL_SEGMENT_BYTES: String(1024 * 1024) };
        expect((await engine(data, 20000, [], small)).code).toBe(0);
        execFileSync('mount', ['-o', 'remount,ro', mnt]);
        const readOnly = await engine(data, 40000, [], small);
        expect(readOnly.code).toBe(1);
        expect(oneLine(readOnly.stderr)).toMatch(new RegExp(`^ringmatch: EROFS on \\w+ ${data}/.*read-only`));
        execFileSync('mount', ['-o', 'remount,rw', mnt]);
        const again = await engine(data, 40000, [], small);
        expect(again.code, again.stderr).toBe(0);
        expect(trades(data)).toBe(await reference(40000));
      } finally {
        execFileSync('umount', [mnt]);
      }
    },
    90_000,
  );
});

describe('fault matrix: Kafka at start', () => {
  it('brokers that refuse every connection: exit 1 with one line naming the brokers, the orders topic and the way out, no stack', async () => {
    // Port 1: nothing listens, every connection is refused; the engine gives up after its start-up retries.
    const r = await cli(['run', '--data-dir', dir(), '--source', 'kafka', '--brokers', '127.0.0.1:1', '--topic', 'orders'], { timeoutMs: 120_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1), r.stderr).toMatch(
      /^ringmatch: cannot read orders topic orders on 127\.0\.0\.1:1 \(.+\): check --brokers and that the brokers are up, then run again; nothing was read yet$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 150_000);
});
