// Piscina task of the channel baseline: the sink stage. The matcher hands it each batch of output
// slots (the buffer transferred, no copy) and it passes them, one by one, to the ring engine's own
// sink plug-in: FileSink (trades as NDJSON written by OutputJsonEncoder) or KafkaSink (the
// KafkaOutputPacker's packed records, output topics partitioned by symbol, the same publisher and
// client). So both engines encode, pack and write their outputs with the same code; what differs
// is only how the stages are linked. The sink is stateful (files, a connected publisher, partial
// packs), so the pool has one thread and the tasks run one after the other, in the order posted
// (several may be in flight: each waits for the one before).
// Binary outputs (`--output-format binary`): the KafkaOutputPacker copies each slot, as 24 words,
// from the one buffer it was opened on (in the ring engine, the output ring), so here each batch's
// slots are first copied into such a buffer (SLOTS at a time, one memcpy each) and handed to the
// sink from there; the packer's own copy into the record is the ring engine's.
import { Piscina } from 'piscina';
import { OUTPUT_SLOT_BYTES, OutputKind, createReport, createTrade, readOutput } from '@ringmatch/protocol';
import { FileSink, KafkaSink, type OutputSink, type SinkContext, type SourceConfig } from '@ringmatch/engine';

/** Idle this long (no batch): the sink writes out what it buffers (as the ring's sink worker). */
const IDLE_MS = 20;
/** Output slots the binary packer reads from at a time (its "ring"). */
const SLOTS = 8192;

export interface SinkOpenTask {
  op: 'open';
  source: SourceConfig;
  outputDir: string;
  /** What writes output JSON, as in the ring engine's run. */
  jsonWriter: 'js' | 'native';
}
export interface SinkBatchTask {
  op: 'batch';
  /** `count` output slots; transferred here, transferred back with the result (reused). */
  bytes: ArrayBuffer;
  count: number;
  /** Every output of sequences <= lastSeq is in this batch or an earlier one. */
  lastSeq: number;
}
export interface SinkCloseTask {
  op: 'close';
}
export type SinkTask = SinkOpenTask | SinkBatchTask | SinkCloseTask;

export interface SinkClosed {
  trades: number;
  /** When the last output became durable as the sink reports it (ms, performance.timeOrigin-based). */
  durableAt: number;
  durableSeq: number;
}

let sink: OutputSink | null = null;
let chain: Promise<unknown> = Promise.resolve();
let failure: unknown = null;
let trades = 0;
let durableSeq = -1;
let durableAt = 0;
let idle: NodeJS.Timeout | null = null;
const report = createReport();
const trade = createTrade();
/** Binary output: the buffer the packer copies slots from (null for JSON). */
let slots: Uint8Array | null = null;

function context(task: SinkOpenTask): SinkContext {
  const none = { seq: -1, index: -1 };
  // Built apart and returned (no excess-property check): the depth fields are for engines whose
  // SinkContext has them (a book depth feed), and harmless to those whose has not.
  const settings = {
    source: task.source,
    outputDir: task.outputDir,
    writeReports: false,
    jsonWriter: task.jsonWriter,
    writeDepth: false,
    syncInSteps: false,
    tradesPosition: none,
    reportsPosition: none,
    bookPosition: none,
    progress: {
      written: (): void => undefined,
      durable: (seq: number): void => {
        if (seq <= durableSeq) return;
        durableSeq = seq;
        durableAt = performance.timeOrigin + performance.now();
      },
    },
    onWritten: (): void => undefined,
    fail: (error: unknown): void => {
      failure ??= error;
    },
  };
  return settings;
}

async function open(task: SinkOpenTask): Promise<void> {
  if (task.source.kind === 'kafka') {
    // The ring bytes serve the binary format's slot copy only; JSON outputs are encoded from the
    // report/trade read out of each slot.
    slots = task.source.outputFormat === 'binary' ? new Uint8Array(SLOTS * OUTPUT_SLOT_BYTES) : null;
    sink = await KafkaSink.open(context(task), slots ?? new Uint8Array(0));
  } else sink = await FileSink.open(context(task));
  idle = setTimeout(() => sink?.idle(), IDLE_MS);
}

async function batch(task: SinkBatchTask): Promise<ArrayBuffer> {
  const s = sink!;
  const ready = s.ready();
  if (ready) await ready;
  const batchBytes = new Uint8Array(task.bytes);
  const from = slots;
  for (let k = 0; k < task.count; k++) {
    let bytes: Uint8Array = batchBytes;
    let offset = k * OUTPUT_SLOT_BYTES;
    if (from !== null) {
      const at = k % SLOTS;
      if (at === 0) from.set(batchBytes.subarray(offset, Math.min(task.count, k + SLOTS) * OUTPUT_SLOT_BYTES));
      bytes = from;
      offset = at * OUTPUT_SLOT_BYTES;
    }
    const kind = readOutput(bytes, offset, report, trade);
    if (kind === OutputKind.Trade) {
      s.output(true, trade.seq, bytes, offset, report, trade);
      trades++;
    } else if (kind === OutputKind.Report) s.output(false, report.seq, bytes, offset, report, trade);
    else throw new Error(`output slot ${k} has kind ${kind}`);
  }
  s.mark(task.lastSeq, false);
  s.endBatch();
  idle?.refresh();
  return task.bytes;
}

async function close(): Promise<SinkClosed> {
  if (idle) clearTimeout(idle);
  await sink!.close();
  return { trades, durableAt, durableSeq };
}

async function run(task: SinkTask): Promise<unknown> {
  if (failure) throw failure;
  if (task.op === 'open') return open(task);
  if (task.op === 'batch') return Piscina.move(await batch(task));
  return close();
}

export default function sinkTask(task: SinkTask): Promise<unknown> {
  // In order: a task starts once the one posted before it is done (a failure fails every later one).
  const result = chain.then(() => run(task));
  chain = result;
  return result;
}
