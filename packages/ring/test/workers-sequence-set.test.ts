import { afterEach, describe, expect, it } from 'vitest';
import { HALTED, SequenceSet, TIMEOUT, WaitStrategies, type WaitStrategy } from '@ringmatch/ring';
import { spawnScript, terminateAll, until } from './helpers.js';

afterEach(terminateAll);

const SCRIPT = new URL('./sequence-set-worker.mjs', import.meta.url);

const strategies: [string, WaitStrategy][] = [
  ['busy-spin', WaitStrategies.busySpin()],
  ['yielding', WaitStrategies.yielding(100, 0.05)],
  ['blocking', WaitStrategies.blocking(100)],
  ['async', WaitStrategies.async(50)],
];

describe('SequenceSet across real workers', () => {
  for (const [name, wait] of strategies) {
    for (const mode of ['sync', 'async'] as const) {
      it(`${name}, ${mode} waits: a set from one thread wakes waiters in another; timeout; halt`, async () => {
        const set = SequenceSet.create(['ping', 'pong', 'idle'], { wait });
        const d = { set: set.descriptor };
        // Ping-pong, 2000 steps: each side waits for the other's previous value, then sets its own.
        const ping = spawnScript(SCRIPT, 'count', { ...d, name: 'ping', follow: 'pong', to: 2000 });
        const pong = spawnScript(SCRIPT, 'count', { ...d, name: 'pong', follow: 'ping', to: 2000 });
        // A waiter on the same lines, in the mode under test.
        const watcher = spawnScript(SCRIPT, 'wait', { ...d, name: 'pong', targets: [500, 1000, 2000], mode });
        const [pi, po, wa] = await Promise.all([ping.result, pong.result, watcher.result]);
        expect(pi.status).toBe('done');
        expect(po.status).toBe('done');
        expect(wa.status).toBe('done');
        for (const [i, target] of [500, 1000, 2000].entries()) expect(wa.values[i]).toBeGreaterThanOrEqual(target);
        expect(set.snapshot()).toEqual({ ping: 2000, pong: 2000, idle: -1 });

        const timeout = await spawnScript(SCRIPT, 'wait', { ...d, name: 'idle', targets: [0], mode, waitMs: 30 }).result;
        expect(timeout).toMatchObject({ status: 'timeout', values: [TIMEOUT] });

        const parked = spawnScript(SCRIPT, 'wait', { ...d, name: 'idle', targets: [5, 6], mode });
        if (wait.kind === 'blocking' || wait.kind === 'async') await until(() => set.sequence('idle').waiters() > 0, 10_000, 'waiter parked');
        set.sequence('idle').set(5);
        if (wait.kind === 'blocking' || wait.kind === 'async') await until(() => set.sequence('idle').waiters() > 0, 10_000, 'waiter parked again');
        set.halt();
        expect(await parked.result).toMatchObject({ status: 'halted', values: [5, HALTED] });
      });
    }
  }
});
