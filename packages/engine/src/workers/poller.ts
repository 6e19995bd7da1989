// Poller worker: the command ring's producer. It opens the run's source (sources/) and lets it
// prepare, then, once the stages behind it are ready (intake-gate.ts), runs it: the source reads
// orders and publishes them as command slots; each command's engine sequence is the slot's ring
// sequence. When the source ends or a stop is requested, the poller ends the command ring: the
// pipeline then drains behind it, stage by stage, and every worker finishes on its own. It runs
// at a lower priority than the stages behind it (thread-priority.ts): it can run ahead of them.
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from '@ringmatch/ring';
import type { SourceConfig } from '../config.js';
import type { SourceResume } from '../recovery-plan.js';
import { CommandPublisher } from '../sources/command-publisher.js';
import { openSource } from '../sources/source-registry.js';
import { whenIntakeOpens } from '../intake-gate.js';
import { GcMeter } from '../gc-meter.js';
import { Stat } from '../stats.js';
import { runWorker } from '../worker-main.js';
import { symbolTableFor, type SharedState } from '../shared.js';
import { POLLER_NICE, niceCurrentThread } from '../thread-priority.js';

export interface PollerData {
  shared: SharedState;
  source: SourceConfig;
  /** Orders per second (0: unthrottled). */
  rate: number;
  /** Where to resume (from the recovery plan). */
  resume: SourceResume;
  /** Kafka: stop once every assigned partition is consumed to its end and no input came for this long (0: never). */
  stopWhenIdleMs: number;
  snapshotEvery: number;
  /** The matcher samples the latency of the sequences that are multiples of this: only they get a publish time. */
  latencySampleEvery: number;
  /** Longest wait for the matcher and the sink to be ready before the source runs. */
  readyTimeoutMs: number;
}

const data = workerData as PollerData;
niceCurrentThread(POLLER_NICE);
const ring = RingBuffer.attach(data.shared.commandRing);
const out = new CommandPublisher(ring, data.shared, data.snapshotEvery, data.rate, data.latencySampleEvery);

runWorker(
  'poller',
  async () => {
    const source = await openSource({ config: data.source, symbols: symbolTableFor(data.source), resume: data.resume, stopWhenIdleMs: data.stopWhenIdleMs });
    await source.prepare?.(out);
    const control = new Int32Array(data.shared.control);
    const intake = await whenIntakeOpens(control, () => (ring.halted ? 'halted' : out.stopRequested() ? 'stop' : null), data.readyTimeoutMs);
    if (intake === 'open') {
      const gc = new GcMeter();
      gc.start();
      await source.run(out);
      new Float64Array(data.shared.stats)[Stat.gcMsPoller] = gc.stop();
    }
    if (ring.halted) return; // the engine is failing: nothing drains
    ring.end();
    parentPort!.postMessage({ type: 'source-done', published: out.published });
  },
  () => ({ published: out.published }),
);
