// Sink worker: the output ring's "sink" stage. It reads each output slot and hands trades,
// execution reports, depth lines and marks to the run's sink plug-in (files or Kafka, sinks/), and advances the
// engine sequences outputs-written and outputs-durable as the sink reports them. It says when its
// outputs are open: the poller opens intake once the matcher and the sink are ready (intake-gate.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer, SequenceSet, type Sequence } from '@ringmatch/ring';
import {
  MARK_FLAG_SNAPSHOT,
  OutputKind,
  createDepthUpdate,
  createReport,
  createTrade,
  readDepth,
  readMarkFlags,
  readOutput,
  readOutputKind,
  readOutputSeq,
} from '@ringmatch/protocol';
import { Stat } from '../stats.js';
import type { SinkSettings } from '../sinks/output-sink.js';
import { openSink } from '../sinks/sink-registry.js';
import { failureSequence } from '../test-hooks.js';
import { processorPolicy, runWorker } from '../worker-main.js';
import { Control, EngineSequence, SINK, nowMs, type SharedState } from '../shared.js';
import { announceReady } from '../intake-gate.js';
import { GcMeter } from '../gc-meter.js';

export interface SinkData extends SinkSettings {
  shared: SharedState;
}

const data = workerData as SinkData;
const stats = new Float64Array(data.shared.stats);
/** Output slots handed to the sink per batch: Kafka checks its backpressure between chunks. */
const KAFKA_MAX_BATCH = 4096;
/** Idle this long: the sink writes out what it buffers. */
const IDLE_MS = 20;

/** An engine sequence that only grows. */
function advancing(sequence: Sequence): (seq: number) => void {
  let value = sequence.get();
  return (seq) => {
    if (seq <= value) return;
    value = seq;
    sequence.set(seq);
  };
}

runWorker(SINK, async () => {
  const ring = RingBuffer.attach(data.shared.outputRing);
  const sequences = SequenceSet.attach(data.shared.sequences);
  let failure: unknown = null;
  const sink = await openSink(
    {
      ...data,
      progress: {
        written: advancing(sequences.sequence(EngineSequence.outputsWritten)),
        durable: advancing(sequences.sequence(EngineSequence.outputsDurable)),
      },
      onWritten: (count) => (stats[Stat.outputsWritten] = count),
      fail: (error) => {
        failure ??= error;
        ring.halt(); // the processor stops; the error is thrown below
      },
    },
    ring.bytes,
  );
  stats[Stat.sinkReadyAt] = nowMs();
  announceReady(new Int32Array(data.shared.control), Control.sinkReady);
  const gc = new GcMeter();
  gc.start();
  const report = createReport();
  const trade = createTrade();
  const update = createDepthUpdate();
  const bytes = ring.bytes;
  let lastSeq = -1;
  const failAt = failureSequence(SINK);
  const policy = processorPolicy({
    idleTimeoutMs: IDLE_MS,
    onTimeout: () => sink.idle(),
    maxBatch: data.source.kind === 'kafka' ? KAFKA_MAX_BATCH : undefined,
  });
  // A sink that reads the slots itself (the native JSON writer) gets no decoded objects.
  const decode = sink.decodesSlots;
  const take = (first: number, last: number): void => {
    for (let s = first; s <= last; s++) {
      const offset = ring.offsetOf(s);
      const kind = decode ? readOutput(bytes, offset, report, trade) : readOutputKind(bytes, offset);
      if (kind === OutputKind.Trade) sink.output(true, (lastSeq = readOutputSeq(bytes, offset)), bytes, offset, report, trade);
      else if (kind === OutputKind.Report) sink.output(false, (lastSeq = readOutputSeq(bytes, offset)), bytes, offset, report, trade);
      else if (kind === OutputKind.Depth) sink.depth((lastSeq = readDepth(bytes, offset, update).seq), bytes, offset, update);
      else if (kind === OutputKind.Mark) sink.mark(readOutputSeq(bytes, offset), (readMarkFlags(bytes, offset) & MARK_FLAG_SNAPSHOT) !== 0);
      else throw new Error(`output slot ${s} has unknown kind ${kind}`);
    }
    stats[Stat.sinkSequence] = lastSeq;
    if (failAt >= 0 && lastSeq >= failAt) throw new Error(`injected failure in the sink's handler at sequence ${failAt}`);
    sink.endBatch();
  };
  // Backpressure holds the next batch, never the one just taken: its slots are free once take() returns.
  const result = await ring.stage(SINK).runAsync((_bytes, first, last) => {
    const ready = sink.ready();
    return ready ? ready.then(() => take(first, last)) : take(first, last);
  }, policy.options);
  stats[Stat.gcMsSink] = gc.stop();
  if (failure) throw failure;
  policy.outcome(result);
  if (result.status !== 'ended') return; // halted: the engine is failing
  await sink.close();
  parentPort!.postMessage({ type: 'sink-done', lastSeq });
});
