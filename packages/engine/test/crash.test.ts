// kill -9 recovery: the engine is SIGKILLed at random points (mid-stream, during start-up or
// recovery, inside snapshot writes and before output fdatasyncs), restarted on the same data dir;
// its final trade log must equal an uninterrupted run's, and its depth stream must agree with that
// run's (the same books wherever both publish) and equal an offline replay of its own WAL: nothing
// lost, nothing doubled.
import { describe, expect, it } from 'vitest';
import { crashCheck } from '@ringmatch/test-kit';
import { CLI } from './helpers.js';

describe('crash recovery', () => {
  it("20 random SIGKILLs: every restart ends with the identical trade log and a depth stream equal to its WAL's replay", async () => {
    const seed = Number(process.env.RINGMATCH_CRASH_SEED ?? Date.now() % 2 ** 31);
    const result = await crashCheck({ cli: CLI, runs: 20, orders: 30_000, rate: 40_000, seed, processTimeoutMs: 60_000 });
    expect(result.failures, `seed ${seed}`).toEqual([]);
    expect(result.runs).toBe(20);
    expect(result.kills).toBeGreaterThanOrEqual(20);
    // Most kills must land while orders flow, or the test proves little.
    expect(result.killsMidStream, `seed ${seed}`).toBeGreaterThanOrEqual(12);
    // Some kills land inside a snapshot write and between an output write and its fdatasync.
    expect(result.killsAtSnapshotWrite, `seed ${seed}`).toBeGreaterThanOrEqual(4);
    expect(result.killsAtOutputSync, `seed ${seed}`).toBeGreaterThanOrEqual(4);
  }, 600_000);
});
