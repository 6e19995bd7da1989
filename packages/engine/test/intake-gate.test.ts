// Intake opens once the matcher and the sink are ready: the gate itself (real Atomics words, a
// real worker thread setting them), and the engine's start-up after a crash, when the matcher has
// a long WAL replay to do before it can match.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { OrderFlowGenerator } from '@ringmatch/book';
import { commandToJson, createCommand, syntheticSymbolTable } from '@ringmatch/protocol';
import { describe, expect, it } from 'vitest';
import { INTAKE_WAITS_FOR, announceReady, whenIntakeOpens } from '../src/intake-gate.js';
import { Control } from '../src/shared.js';
import { runCli, summaryOf, tempDirs } from './helpers.js';

const dir = tempDirs();
const controlWords = (): Int32Array => new Int32Array(new SharedArrayBuffer(32 * 4));
const notInterrupted = (): null => null;

describe('intake gate', () => {
  it('waits for the matcher and the sink', () => {
    expect(INTAKE_WAITS_FOR.map((s) => s.word)).toEqual([Control.matcherReady, Control.sinkReady]);
  });

  it('opens at once when both stages are ready', async () => {
    const control = controlWords();
    announceReady(control, Control.matcherReady);
    announceReady(control, Control.sinkReady);
    expect(await whenIntakeOpens(control, notInterrupted, 1000)).toBe('open');
  });

  it('opens when another thread announces the stages', async () => {
    const control = controlWords();
    const waiting = whenIntakeOpens(control, notInterrupted, 20_000);
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const control = new Int32Array(workerData.sab);
       for (const word of workerData.words) { Atomics.store(control, word, 1); Atomics.notify(control, word); }`,
      { eval: true, workerData: { sab: control.buffer, words: [Control.sinkReady, Control.matcherReady] } },
    );
    expect(await waiting).toBe('open');
    await worker.terminate();
  });

  it('ends the wait on a stop request or a halted engine', async () => {
    const control = controlWords();
    announceReady(control, Control.matcherReady);
    expect(await whenIntakeOpens(control, () => 'stop', 20_000)).toBe('stop');
    expect(await whenIntakeOpens(control, () => 'halted', 20_000)).toBe('halted');
  });

  it('gives up after its bound, naming the stage that was not ready', async () => {
    const control = controlWords();
    announceReady(control, Control.matcherReady);
    await expect(whenIntakeOpens(control, notInterrupted, 30)).rejects.toThrow('intake never opened: the sink had not opened its outputs after 0s');
  });
});

describe('engine start-up', () => {
  it('publishes its first command only after the matcher replayed the WAL and the sink opened its outputs', async () => {
    const d = dir();
    const file = path.join(d, 'orders.ndjson');
    const symbols = syntheticSymbolTable(8);
    const generator = new OrderFlowGenerator({ seed: 3, symbols, accounts: 500 });
    const cmd = createCommand();
    fs.writeFileSync(file, `${Array.from({ length: 400_000 }, () => commandToJson(generator.next(cmd), symbols)).join('\n')}\n`);
    const RUN = [
      'run',
      '--progress-ms',
      '0',
      '--snapshot-every',
      '0',
      '--no-depth',
      '--data-dir',
      path.join(d, 'data'),
      '--source',
      `ndjson:${file}`,
      '--symbols',
      '8',
      '--ring-size',
      '4096',
    ];
    // A failure in the matcher's handler leaves some 350,000 durable commands and no snapshot (the
    // small ring keeps the source within 4,096 commands of the matcher, so at least 45,000 lines
    // are left): the restart replays them all, while the file source resumes at once.
    const failed = await runCli(RUN, 60_000, { RINGMATCH_TEST_FAIL_AT: 'matcher:350000' });
    expect(failed.code, failed.stderr).toBe(1);
    const r = await runCli(RUN, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout) as { recovery: { replayed: number }; lastSequence: number; startup: Record<string, number | null> };
    expect(s.lastSequence).toBe(400_000);
    expect(s.recovery.replayed).toBeGreaterThanOrEqual(349_999);
    expect(s.recovery.replayed).toBeLessThanOrEqual(350_000 + 4096);
    const { matcherReadyMs, sinkReadyMs, firstPublishMs } = s.startup;
    expect(firstPublishMs).not.toBeNull();
    expect(matcherReadyMs).not.toBeNull();
    expect(sinkReadyMs).not.toBeNull();
    expect(firstPublishMs).toBeGreaterThanOrEqual(matcherReadyMs!);
    expect(firstPublishMs).toBeGreaterThanOrEqual(sinkReadyMs!);
  }, 120_000);
});
