// Kafka source of the channel baseline (bench `engine-kafka:channel`): the same client and the same
// decoding as the ring engine's Kafka source (packages/engine/src/sources/kafka-*.ts), writing
// command slots straight into the batch buffer that is then transferred to the journaler.
//   native   librdkafka (@ringmatch/native-kafka): a poll copies fetched messages into one buffer,
//            read in place (NativeRecordReader, no object per message); with the native JSON
//            scanner, runs of plainly valid JSON messages become command slots in one call
//            (CommandScanner.scanRecords); any other message goes through the JS decoder below.
//   kafkajs  OrderSource (eachBatch); kafkajs builds its objects per message, the decoding does not.
// Each message is decoded by decodeMessageEach with one scratch command (the JS byte scanner for
// plain JSON, the full parser for anything else), written into the batch with no Command object.
// The bench's input is valid: what the ring engine does besides (dead letters, resume skips from
// the WAL) is left out.
import { parentPort, type MessagePort } from 'node:worker_threads';
import {
  COMMAND_SLOT_BYTES,
  createCommand,
  decodeMessageEach,
  defaultSymbolTable,
  writeCommand,
  writeCommandSeq,
  type Command,
  type DecodeOptions,
} from '@ringmatch/protocol';
import { NativeRecordReader, OrderSource, createKafka, loadNativeKafka } from '@ringmatch/kafka';
import { NATIVE_PARTITIONS, NATIVE_POLL, createNativeScanner, nowMs, type NativeCommandScanner } from '@ringmatch/engine';
import { creditGate, type CommandBatch, type CreditGate, type EndOfInput } from './messages.js';

export interface KafkaPollerRole {
  role: 'kafka-poller';
  out: MessagePort;
  credits: MessagePort;
  brokers: string[];
  topic: string;
  groupId: string;
  format: 'json' | 'binary';
  /** The Kafka client and JSON scanner of the ring engine line it is compared with. */
  client: 'kafkajs' | 'native';
  jsonScanner: 'js' | 'native';
  /** Input messages to take (one command each in the bench); then the input ends. */
  messages: number;
  /** Posted orders after which the steady window starts (the main thread hears `warmAt`); 0: none. */
  warmOrders: number;
  batch: number;
  window: number;
}

/** Command slots for one batch, written in place, then posted (transferred) under the credit gate. */
class BatchWriter {
  bytes: Uint8Array;
  count = 0;
  seq = 1;
  private first = 1;
  private firstSent = false;
  private warmSent = false;
  private readonly gate: CreditGate;

  constructor(private readonly d: KafkaPollerRole) {
    this.gate = creditGate(d.credits, d.window);
    this.bytes = this.gate.buffer(d.batch * COMMAND_SLOT_BYTES);
  }

  get room(): number {
    return this.d.batch - this.count;
  }

  /** The decoder's emit: the scratch command into the next slot (valid only during the call). */
  readonly add = (c: Command): void => {
    if ((this.count + 1) * COMMAND_SLOT_BYTES > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2); // a message of many commands
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    c.seq = this.seq++;
    writeCommand(this.bytes, this.count++ * COMMAND_SLOT_BYTES, c);
  };

  /** `n` slots written after `count` by the native scanner: their sequences, then counted. */
  added(n: number): void {
    for (let k = 0; k < n; k++) writeCommandSeq(this.bytes, (this.count + k) * COMMAND_SLOT_BYTES, this.seq++);
    this.count += n;
  }

  async post(): Promise<void> {
    if (this.count === 0) return;
    await this.gate.take();
    if (!this.firstSent) {
      this.firstSent = true;
      parentPort!.postMessage({ firstSendAt: nowMs() });
    }
    // The whole buffer goes (a partial batch too: no copy); `count` says how much of it is slots.
    const batch: CommandBatch = { first: this.first, count: this.count, t: nowMs(), bytes: this.bytes.buffer as ArrayBuffer };
    this.d.out.postMessage(batch, [batch.bytes]);
    this.first += this.count;
    if (!this.warmSent && this.d.warmOrders > 0 && this.first - 1 >= this.d.warmOrders) {
      this.warmSent = true;
      parentPort!.postMessage({ warmAt: nowMs(), warmPosted: this.first - 1 });
    }
    this.count = 0;
    this.bytes = this.gate.buffer(this.d.batch * COMMAND_SLOT_BYTES);
  }

  end(): void {
    const end: EndOfInput = { done: true, last: this.seq - 1 };
    this.d.out.postMessage(end);
    this.d.credits.close();
  }
}

export async function kafkaPoller(d: KafkaPollerRole): Promise<void> {
  const out = new BatchWriter(d);
  const options: DecodeOptions = { symbols: defaultSymbolTable(), sourceStream: -1, sourcePosition: -1 };
  const scratch = createCommand();
  const decode = (value: Uint8Array | null, partition: number, offset: number): void => {
    options.sourceStream = partition;
    options.sourcePosition = offset;
    decodeMessageEach(value ?? new Uint8Array(0), d.format, options, scratch, out.add);
  };
  if (d.client === 'native') await nativeDriver(d, out, decode);
  else await kafkajsDriver(d, out, decode);
  out.end();
}

type Decode = (value: Uint8Array | null, partition: number, offset: number) => void;

async function kafkajsDriver(d: KafkaPollerRole, out: BatchWriter, decode: Decode): Promise<void> {
  let consumed = 0;
  let finished!: () => void;
  const allConsumed = new Promise<void>((resolve) => (finished = resolve));
  let failure: Error | null = null;
  const source = new OrderSource(
    createKafka({ brokers: d.brokers, clientId: 'ringmatch-channel-poller' }),
    { topic: d.topic, groupId: d.groupId },
    {
      onAssigned: (partitions) => new Map(partitions.map((p) => [p, null])),
      async onBatch(batch) {
        if (consumed >= d.messages) return batch.records.length;
        for (const record of batch.records) {
          decode(record.value, batch.partition, record.offset);
          if (out.room <= 0) await out.post();
          if (++consumed >= d.messages) break;
        }
        await out.post();
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
}

async function nativeDriver(d: KafkaPollerRole, out: BatchWriter, decode: Decode): Promise<void> {
  const native = await loadNativeKafka();
  if (!native) throw new Error('channel baseline: --kafka-client native asked for, @ringmatch/native-kafka does not load');
  const scanner: NativeCommandScanner | null = d.jsonScanner === 'native' && d.format === 'json' ? await createNativeScanner(defaultSymbolTable()) : null;
  const consumer = new native.NativeConsumer({
    brokers: d.brokers.join(','),
    groupId: d.groupId,
    topic: d.topic,
    clientId: 'ringmatch-channel-poller',
    config: NATIVE_POLL.prefetch,
  });
  const buffer = new Uint8Array(NATIVE_POLL.bytes);
  const records = new NativeRecordReader(buffer);
  const assigned = new Set<number>();
  const takes = new Uint8Array(NATIVE_PARTITIONS);
  const nextOffsets = new Float64Array(NATIVE_PARTITIONS);
  const progress = new Float64Array(2);
  let consumed = 0;
  const nextAssigned = (): boolean => {
    while (records.next()) if (assigned.has(records.partition)) return true;
    return false;
  };
  try {
    while (consumed < d.messages) {
      const count = await consumer.poll(buffer, NATIVE_POLL.maxMessages, NATIVE_POLL.waitMs);
      if (consumer.hasEvents) {
        for (const event of consumer.takeEvents()) {
          if (event.kind === 'assign') {
            consumer.assign(
              event.partitions,
              event.partitions.map(() => null),
            );
            for (const p of event.partitions) {
              assigned.add(p);
              takes[p] = 1;
            }
          } else if (event.kind === 'revoke') {
            for (const p of event.partitions) {
              assigned.delete(p);
              takes[p] = 0;
            }
          } else if (event.kind === 'error') process.stderr.write(`[channel] kafka source: ${event.message}\n`);
        }
      }
      if (count === 0) continue;
      records.reset(count);
      let pending = nextAssigned();
      while (pending && consumed < d.messages) {
        if (out.room <= 0) await out.post();
        if (scanner !== null) {
          const room = Math.min(out.room, d.messages - consumed);
          const taken = scanner.scanRecords(buffer, records.recordStart, records.remaining + 1, takes, nextOffsets, out.bytes, out.count, room, progress);
          if (taken > 0) {
            records.skipTaken(taken, progress[0]!);
            out.added(taken);
            consumed += taken;
            pending = nextAssigned();
            continue;
          }
        }
        decode(records.value(), records.partition, records.offset);
        consumed++;
        pending = nextAssigned();
      }
      await out.post();
    }
  } finally {
    await consumer.close(NATIVE_POLL.closeTimeoutMs);
  }
}
