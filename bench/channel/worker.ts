// Stages of the channel baseline engine: the same generator, WAL and books as the ring engine, but
// linked the conventional way, by postMessage of transferred ArrayBuffer batches. It exists to be
// measured against (bench `engine-embedded:channel`).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  COMMAND_SLOT_BYTES,
  OUTPUT_SLOT_BYTES,
  createCommand,
  decodeMessageLenient,
  defaultSymbolTable,
  readCommand,
  syntheticSymbolTable,
  writeCommand,
  type Command,
} from '@ringmatch/protocol';
import { OrderSource, createKafka } from '@ringmatch/kafka';
import { MatchingEngine, OrderFlowGenerator } from '@ringmatch/book';
import { OutputStaging, nowMs } from '@ringmatch/engine';
import { openWal } from '@ringmatch/wal';

export type ChannelRole =
  | {
      role: 'poller';
      out: MessagePort;
      credits: MessagePort;
      orders: number;
      rate: number;
      pregenerate: boolean;
      seed: number;
      symbols: number;
      accounts: number;
      batch: number;
      window: number;
    }
  | { role: 'journaler'; in: MessagePort; out: MessagePort; walDir: string; backend: 'auto' | 'fs' | 'native'; maxCoalesce: number }
  | { role: 'matcher'; in: MessagePort; out: MessagePort; symbols: number; sampleEvery: number; emitReports: boolean }
  | {
      role: 'kafka-poller';
      out: MessagePort;
      credits: MessagePort;
      brokers: string[];
      topic: string;
      groupId: string;
      format: 'json' | 'binary';
      messages: number;
      batch: number;
      window: number;
    };

/** A batch of command slots: sequences first .. first + count - 1, published at `t` (ms). */
export interface CommandBatch {
  first: number;
  count: number;
  t: number;
  bytes: ArrayBuffer;
}
/** The outputs of one command batch, with latency samples (ns). */
export interface OutputBatch {
  lastSeq: number;
  count: number;
  bytes: ArrayBuffer;
  latencyNs: number[];
}

const data = workerData as ChannelRole;

/**
 * Credit-based flow control of the channel pollers: at most `window` batches in flight; the main
 * thread returns a credit per batch written, so no queue grows without bound.
 */
function creditGate(port: MessagePort, window: number): { take(): Promise<void> } {
  let credits = window;
  let wake: (() => void) | null = null;
  port.on('message', (n: number) => {
    credits += n;
    wake?.();
  });
  return {
    async take() {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      credits--;
    },
  };
}

async function poller(d: Extract<ChannelRole, { role: 'poller' }>): Promise<void> {
  const generator = new OrderFlowGenerator({ seed: d.seed, symbols: syntheticSymbolTable(d.symbols), accounts: d.accounts });
  const cmd = createCommand();
  const gate = creditGate(d.credits, d.window);
  let seq = 1;
  let generated = 0;
  const generate = (): Uint8Array => {
    const count = Math.min(d.batch, d.orders - generated);
    const bytes = new Uint8Array(count * COMMAND_SLOT_BYTES);
    for (let k = 0; k < count; k++) {
      generator.next(cmd);
      cmd.seq = seq++;
      cmd.sourceStream = 0;
      cmd.sourcePosition = generated++;
      writeCommand(bytes, k * COMMAND_SLOT_BYTES, cmd);
    }
    return bytes;
  };
  // --pregenerate, as in the ring engine: the clock measures the pipeline, not the generator.
  const ready: Uint8Array[] = [];
  if (d.pregenerate) while (generated < d.orders) ready.push(generate());
  parentPort!.postMessage({ firstSendAt: nowMs() });
  const started = nowMs();
  let first = 1;
  for (let sent = 0; sent < d.orders; ) {
    if (d.rate > 0) {
      const aheadMs = (sent * 1000) / d.rate - (nowMs() - started);
      if (aheadMs > 1) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    }
    await gate.take();
    const bytes = d.pregenerate ? ready.shift()! : generate();
    const count = bytes.length / COMMAND_SLOT_BYTES;
    const batch: CommandBatch = { first, count, t: nowMs(), bytes: bytes.buffer as ArrayBuffer };
    d.out.postMessage(batch, [bytes.buffer as ArrayBuffer]);
    first += count;
    sent += count;
  }
  d.out.postMessage({ done: true, last: seq - 1 });
  d.credits.close();
}

/**
 * Kafka source of the channel baseline: the engine's OrderSource (consumer group, eachBatch, from
 * the earliest offset), decoded with the default symbol table, posted in batches of `batch`
 * commands under the same credit window; ends after `messages` input messages.
 */
async function kafkaPoller(d: Extract<ChannelRole, { role: 'kafka-poller' }>): Promise<void> {
  const symbols = defaultSymbolTable();
  const gate = creditGate(d.credits, d.window);
  let seq = 1;
  let consumed = 0;
  let pending: Command[] = [];
  let finished!: () => void;
  const allConsumed = new Promise<void>((resolve) => (finished = resolve));
  let failure: Error | null = null;
  const post = async (): Promise<void> => {
    if (pending.length === 0) return;
    await gate.take();
    const bytes = new Uint8Array(pending.length * COMMAND_SLOT_BYTES);
    const first = seq;
    for (let k = 0; k < pending.length; k++) {
      const c = pending[k]!;
      c.seq = seq++;
      writeCommand(bytes, k * COMMAND_SLOT_BYTES, c);
    }
    const batch: CommandBatch = { first, count: pending.length, t: nowMs(), bytes: bytes.buffer };
    pending = [];
    d.out.postMessage(batch, [bytes.buffer]);
  };
  const kafka = createKafka({ brokers: d.brokers, clientId: 'ringmatch-channel-poller' });
  const source = new OrderSource(
    kafka,
    { topic: d.topic, groupId: d.groupId },
    {
      onAssigned: (partitions) => new Map(partitions.map((p) => [p, null])),
      async onBatch(batch) {
        if (consumed >= d.messages) return batch.records.length;
        for (const record of batch.records) {
          for (const c of decodeMessageLenient(record.value ?? new Uint8Array(0), d.format, {
            symbols,
            sourceStream: batch.partition,
            sourcePosition: record.offset,
          })) {
            pending.push(c);
            if (pending.length >= d.batch) await post();
          }
          if (++consumed >= d.messages) break;
        }
        await post();
        if (consumed >= d.messages) finished();
        return batch.records.length;
      },
      onError(error) {
        failure = error;
        finished();
      },
    },
  );
  await source.start();
  await allConsumed;
  await source.stop();
  if (failure) throw failure;
  d.out.postMessage({ done: true, last: seq - 1 });
  d.credits.close();
}

async function journaler(d: Extract<ChannelRole, { role: 'journaler' }>): Promise<void> {
  const wal = await openWal(d.walDir, { backend: d.backend });
  const queue: (CommandBatch | { done: true; last: number })[] = [];
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      // Group commit: coalesce what is queued into one write + fdatasync.
      const group: CommandBatch[] = [];
      while (queue.length > 0 && group.length < d.maxCoalesce && !('done' in queue[0]!)) group.push(queue.shift() as CommandBatch);
      if (group.length > 0) {
        const total = group.reduce((n, b) => n + b.bytes.byteLength, 0);
        const joined = new Uint8Array(total);
        let at = 0;
        for (const b of group) {
          joined.set(new Uint8Array(b.bytes), at);
          at += b.bytes.byteLength;
        }
        await wal.appendRecords(group[0]!.first, COMMAND_SLOT_BYTES, joined);
        for (const b of group) d.out.postMessage(b, [b.bytes]);
      }
      if (queue.length > 0 && 'done' in queue[0]!) {
        const done = queue.shift()!;
        await wal.close();
        d.out.postMessage(done);
        d.in.close();
      }
    }
    running = false;
  };
  d.in.on('message', (message: CommandBatch | { done: true; last: number }) => {
    queue.push(message);
    if (!running)
      void drain().catch((error: unknown) =>
        setImmediate(() => {
          throw error;
        }),
      );
  });
}

function matcher(d: Extract<ChannelRole, { role: 'matcher' }>): void {
  const engine = new MatchingEngine({ symbols: d.symbols > 0 ? syntheticSymbolTable(d.symbols) : defaultSymbolTable() });
  const cmd = createCommand();
  // As in the ring engine: only what the sink writes (trades) leaves the matcher.
  const staging = new OutputStaging(d.emitReports);
  d.in.on('message', (message: CommandBatch | { done: true; last: number }) => {
    if ('done' in message) {
      d.out.postMessage(message);
      d.in.close();
      return;
    }
    const bytes = new Uint8Array(message.bytes);
    const latencyNs: number[] = [];
    staging.reset();
    for (let k = 0; k < message.count; k++) {
      readCommand(bytes, k * COMMAND_SLOT_BYTES, cmd);
      engine.process(cmd, staging);
      if (cmd.seq % d.sampleEvery === 0) latencyNs.push((nowMs() - message.t) * 1e6);
    }
    const out = staging.bytes.slice(0, staging.staged * OUTPUT_SLOT_BYTES);
    const batch: OutputBatch = { lastSeq: message.first + message.count - 1, count: staging.staged, bytes: out.buffer, latencyNs };
    d.out.postMessage(batch, [out.buffer]);
  });
}

if (data.role === 'poller') await poller(data);
else if (data.role === 'kafka-poller') await kafkaPoller(data);
else if (data.role === 'journaler') await journaler(data);
else matcher(data);
