// Poller worker: reads orders from the embedded generator or an NDJSON file, assigns each an engine
// sequence by claiming a command-ring slot, writes the command and publishes the batch.
// Malformed input becomes an Invalid command in sequence (the matcher rejects it with a reason).
import { parentPort, workerData } from 'node:worker_threads';
import { HALTED, INSUFFICIENT_CAPACITY, RingBuffer } from '@ringmatch/ring';
import { COMMAND_SLOT_BYTES, CommandKind, DecodeError, Field, Reason, createCommand, decodeMessageEach, invalidCommand, reasonText, writeCommand, writeCommandSeq, type Command } from '@ringmatch/protocol';
import { DeadLetterPublisher, OrderSource, createKafka, topicOffsets, type DeadLetter, type SourceBatch } from '@ringmatch/kafka';
import { OrderFlowGenerator } from '@ringmatch/book';
import type { SourceConfig } from '../config.js';
import { LineReader } from '../line-reader.js';
import { copyIntoRing } from '../staging.js';
import { failurePoint } from '../test-hooks.js';
import { Stat } from '../stats.js';
import { Control, dlqTopic, fatal, nowMs, reportsTopic, symbolTableFor, tradesTopic, type SharedState } from '../shared.js';

export interface PollerData {
  shared: SharedState;
  source: SourceConfig;
  /** Orders per second (0: unthrottled). */
  rate: number;
  /**
   * Where to resume, per source partition (embedded/file sources are partition 0): the last offset
   * journaled and how many commands of that offset's message are in the WAL.
   */
  resume: { offsets: [number, number][]; commandsAtLastOffset: [number, number][] };
  /** Kafka: stop once every assigned partition is consumed to its end and no input came for this long (0: never). */
  stopWhenIdleMs: number;
}

/** Embedded and file sources are one "partition" 0; the offset is the generator index / line number. */
const SOURCE_PARTITION = 0;
const BATCH = 256;

const data = workerData as PollerData;
const ring = RingBuffer.attach(data.shared.commandRing);
const sequencer = ring.sequencer();
const bytes = ring.bytes;
const stats = new Float64Array(data.shared.stats);
const control = new Int32Array(data.shared.control);
const stamps = new Float64Array(data.shared.stamps);
const stampMask = stamps.length - 1;
const symbols = symbolTableFor(data.source);

let published = ring.published();
/** Start of the --rate schedule: reset when publishing starts (after any pregeneration). */
let startMs = nowMs();
let sent = 0;

function stopRequested(): boolean {
  return Atomics.load(control, Control.stopSource) !== 0;
}

/** Sleeps just enough to keep to the configured rate (integer math on counts, ms waits). */
function throttle(): void {
  if (data.rate <= 0) return;
  const aheadMs = (sent * 1000) / data.rate - (nowMs() - startMs);
  if (aheadMs > 1) Atomics.wait(control, 31, 0, Math.min(aheadMs, 100));
}

/** Claims `n` slots, counting a stall when the ring is full (backpressure). Returns lo, or -1 when halted. */
function claim(n: number): number {
  let hi = sequencer.tryNext(n);
  if (hi === INSUFFICIENT_CAPACITY) {
    stats[Stat.sourceStalls]!++;
    do {
      hi = sequencer.next(n, 250);
      if (stopRequested() && hi < 0) return -1;
    } while (hi < 0 && hi !== HALTED);
  }
  if (hi < 0) return -1;
  return hi - n + 1;
}

function publish(lo: number, hi: number): void {
  const t = nowMs();
  if (stats[Stat.firstPublishAt] === 0) stats[Stat.firstPublishAt] = t;
  for (let s = lo; s <= hi; s++) stamps[s & stampMask] = t;
  sequencer.publish(lo, hi);
  published = hi;
  stats[Stat.published] = hi;
  sent += hi - lo + 1;
}

function runEmbedded(source: Extract<SourceConfig, { kind: 'embedded' }>): void {
  const generator = new OrderFlowGenerator({ seed: source.seed, symbols, accounts: source.accounts });
  const cmd = createCommand();
  let index = (new Map(data.resume.offsets).get(SOURCE_PARTITION) ?? -1) + 1;
  // The generator is a pure function of (seed, index): replay it to where the WAL ends.
  for (let i = 0; i < index; i++) generator.next(cmd);
  const total = source.orders === 0 ? Number.MAX_SAFE_INTEGER : source.orders;
  if (source.pregenerate) {
    runPregenerated(generator, cmd, index, total);
    return;
  }
  while (index < total && !stopRequested()) {
    const n = Math.min(BATCH, ring.slotCount, total - index); // a claim can never exceed the ring
    const lo = claim(n);
    if (lo < 0) break;
    const hi = lo + n - 1;
    for (let s = lo; s <= hi; s++) {
      generator.next(cmd);
      cmd.seq = s;
      cmd.partition = SOURCE_PARTITION;
      cmd.offset = index++;
      writeCommand(bytes, ring.offsetOf(s), cmd);
    }
    publish(lo, hi);
    stats[Stat.inputMessages] = index;
    throttle();
  }
}

/** Generates every remaining order into memory first, then only copies slots into the ring. */
function runPregenerated(generator: OrderFlowGenerator, cmd: Command, firstIndex: number, total: number): void {
  const count = total - firstIndex;
  const orders = new Uint8Array(count * COMMAND_SLOT_BYTES);
  const firstSeq = ring.published() + 1;
  for (let k = 0; k < count; k++) {
    generator.next(cmd);
    cmd.seq = firstSeq + k;
    cmd.partition = SOURCE_PARTITION;
    cmd.offset = firstIndex + k;
    writeCommand(orders, k * COMMAND_SLOT_BYTES, cmd);
  }
  // Large chunks when flat out; when paced, the live generator's batch size (no bursts).
  const chunk = Math.min(data.rate > 0 ? BATCH : 4096, ring.slotCount >> 2);
  let done = 0;
  startMs = nowMs(); // the rate applies from the first publish, not from before generation
  while (done < count && !stopRequested()) {
    const n = Math.min(chunk, count - done);
    const lo = claim(n);
    if (lo < 0) break;
    if (lo !== firstSeq + done) throw new Error(`pregenerated order ${done} would get sequence ${lo}, expected ${firstSeq + done}`);
    copyIntoRing(ring, lo, lo + n - 1, orders, done * COMMAND_SLOT_BYTES);
    publish(lo, lo + n - 1);
    done += n;
    stats[Stat.inputMessages] = firstIndex + done;
    throttle();
  }
}

/** A line of only spaces, tabs and "\r" (JSON whitespace, as trim() treated it) carries no order. */
function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const b = line[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

/**
 * File source: each line's raw bytes go to the same decoder as a Kafka message (bad UTF-8 or bad
 * JSON become Invalid commands, rejected in sequence), staged as slots and published in batches.
 */
function runNdjson(source: Extract<SourceConfig, { kind: 'ndjson' }>): void {
  const reader = new LineReader(source.file);
  const lastOffset = new Map(data.resume.offsets).get(SOURCE_PARTITION) ?? -1;
  let skipFirst = 0;
  if (lastOffset >= 0) {
    // Resume inside the last journaled line if only part of its batch reached the WAL.
    reader.skipTo(lastOffset);
    skipFirst = new Map(data.resume.commandsAtLastOffset).get(SOURCE_PARTITION) ?? Number.MAX_SAFE_INTEGER;
  }
  // As on Kafka: one scratch command and one options object, each command written straight
  // into a staging slot (Invalid commands are fresh objects, written the same way).
  const decodeOptions = { symbols, partition: SOURCE_PARTITION, offset: -1 };
  const scratch = createCommand();
  let staging = new Uint8Array(COMMAND_SLOT_BYTES * BATCH * 2);
  let staged = 0;
  let skipLeft = 0;
  const stage = (c: Command): void => {
    if (skipLeft > 0) {
      skipLeft--; // already in the WAL before the restart
      return;
    }
    if (c.kind === CommandKind.Invalid) stats[Stat.malformed]!++;
    if ((staged + 1) * COMMAND_SLOT_BYTES > staging.length) {
      const bigger = new Uint8Array(staging.length * 2);
      bigger.set(staging);
      staging = bigger;
    }
    writeCommand(staging, staged++ * COMMAND_SLOT_BYTES, c);
  };
  // A line may hold a batch bigger than the ring: publish in pieces the ring can take.
  const chunk = Math.min(BATCH, ring.slotCount);
  let eof = false;
  try {
    while (!eof && !stopRequested()) {
      staged = 0;
      while (staged < BATCH) {
        const lineNumber = reader.lineNumber;
        const line = reader.next();
        if (line === null) {
          eof = true;
          break;
        }
        stats[Stat.inputMessages]!++;
        if (isBlank(line)) continue; // blank lines carry no order (but have a line number)
        decodeOptions.offset = lineNumber;
        // The last journaled line may be in the WAL already, fully or partly: skip that part.
        skipLeft = lineNumber === lastOffset ? skipFirst : 0;
        decodeMessageEach(line, 'json', decodeOptions, scratch, stage);
      }
      for (let done = 0; done < staged; ) {
        const n = Math.min(chunk, staged - done);
        const lo = claim(n);
        if (lo < 0) return;
        for (let k = 0; k < n; k++) writeCommandSeq(staging, (done + k) * COMMAND_SLOT_BYTES, lo + k);
        copyIntoRing(ring, lo, lo + n - 1, staging, done * COMMAND_SLOT_BYTES);
        publish(lo, lo + n - 1);
        done += n;
        throttle();
      }
    }
  } finally {
    reader.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const EMPTY = new Uint8Array(0);

/**
 * Kafka: a consumer-group member whose offsets live in the WAL. Each fetched batch is decoded
 * (bad messages become Invalid commands and dead letters) and published as far as the ring has
 * room; the rest is re-fetched after the source pauses (backpressure, no unbounded queue).
 */
async function runKafka(source: Extract<SourceConfig, { kind: 'kafka' }>): Promise<void> {
  const kafka = createKafka({ brokers: source.brokers, clientId: 'ringmatch-poller' });
  const dlq = new DeadLetterPublisher(kafka, { topic: dlqTopic(source.topic) });
  await dlq.connect();
  // Next offset to read per partition, and how many commands of that message the WAL already has.
  const resumeAt = new Map<number, { offset: number; skip: number }>();
  const counts = new Map(data.resume.commandsAtLastOffset);
  for (const [partition, offset] of data.resume.offsets) resumeAt.set(partition, { offset, skip: counts.get(partition) ?? Number.MAX_SAFE_INTEGER });
  const lowWater = Math.max(1, ring.slotCount >> 2);
  let lastInput = nowMs();
  let fatalError: Error | null = null;
  let lastErrorLog = 0;
  let paceStart = 0;
  let paced = 0;
  const consumer = new OrderSource(kafka, { topic: source.topic, groupId: source.groupId }, {
    async onAssigned(partitions) {
      const start = new Map<number, number | null>();
      for (const p of partitions) start.set(p, resumeAt.get(p)?.offset ?? null);
      const unknown = partitions.filter((p) => !resumeAt.has(p));
      if (unknown.length > 0) {
        const taken = await processedElsewhere(kafka, source.topic, unknown).catch((e: Error) => `cannot check whether partition(s) ${unknown.join(',')} were processed elsewhere: ${e.message}`);
        if (taken) fatalError = new Error(taken);
      }
      return start;
    },
    async onBatch(batch) {
      if (fatalError) return 0;
      try {
        return await takeBatch(batch);
      } catch (error) {
        fatalError = error as Error; // an engine bug, not a broker problem: fail loudly
        return 0;
      }
    },
    async waitForSpace() {
      while (sequencer.remainingCapacity() < lowWater && !stopRequested()) await sleep(1);
    },
    onError(error) {
      // Connection loss, coordinator moves, consumer crashes: OrderSource reconnects (and rebuilds
      // a crashed consumer, then re-assigns and seeks from resumeAt). Log it; not fatal.
      const now = nowMs();
      if (now - lastErrorLog > 1000) {
        lastErrorLog = now;
        process.stderr.write(`[ringmatch] kafka source: ${error.message} (reconnecting)\n`);
      }
    },
  });
  // The hot path allocates nothing per command: one options object re-stamped per message, one
  // scratch command the decoder fills, written straight into a staging slot; the batch is then
  // claimed and copied into the ring in one go (profiled: per-message Command objects, arrays
  // and option objects made GC the poller's largest cost, and the poller is the pipeline's
  // critical path on Kafka).
  const decodeOptions = { symbols, partition: -1, offset: -1 };
  const scratch = createCommand();
  let staging = new Uint8Array(COMMAND_SLOT_BYTES * 8192);
  let staged = 0;
  let skipLeft = 0;
  let invalidInMessage = 0;
  let firstInvalid: Command | null = null;
  const stage = (c: Command): void => {
    if (skipLeft > 0) {
      skipLeft--; // already in the WAL before the restart
      return;
    }
    if (c.kind === CommandKind.Invalid) {
      invalidInMessage++;
      firstInvalid ??= c;
    }
    if ((staged + 1) * COMMAND_SLOT_BYTES > staging.length) {
      const bigger = new Uint8Array(staging.length * 2);
      bigger.set(staging);
      staging = bigger;
    }
    writeCommand(staging, staged++ * COMMAND_SLOT_BYTES, c);
  };
  async function takeBatch(batch: SourceBatch): Promise<number> {
    lastInput = nowMs();
    const capacity = sequencer.remainingCapacity();
    const letters: DeadLetter[] = [];
    let taken = 0;
    // --rate: at most 1/20 s worth of messages per call (the source re-fetches the rest).
    const limit = data.rate > 0 ? Math.max(1, Math.ceil(data.rate / 20)) : Number.MAX_SAFE_INTEGER;
    const resume = resumeAt.get(batch.partition);
    let nextOffset = -1;
    staged = 0;
    decodeOptions.partition = batch.partition;
    for (const record of batch.records) {
      if (taken >= limit) break;
      const before = staged;
      decodeOptions.offset = record.offset;
      skipLeft = resume && resume.offset === record.offset ? resume.skip : 0;
      invalidInMessage = 0;
      firstInvalid = null;
      decodeMessageEach(record.value ?? EMPTY, source.format, decodeOptions, scratch, stage);
      if (staged - before > ring.slotCount) {
        // Could never fit in the ring: reject the message as a whole rather than stall.
        const count = staged - before;
        staged = before;
        invalidInMessage = 0;
        firstInvalid = null;
        stage(invalidCommand(new DecodeError(Reason.TooLarge, Field.Batch, 0, `${count} commands > ring size ${ring.slotCount}`), batch.partition, record.offset));
      }
      if (staged > capacity) {
        staged = before; // no room for this message: it is fetched again after the pause
        break;
      }
      const invalid = firstInvalid as Command | null; // set by stage() during the decode
      if (invalid !== null) {
        stats[Stat.malformed]! += invalidInMessage;
        letters.push({ sourceTopic: batch.topic, partition: batch.partition, offset: record.offset, key: record.key, value: record.value, reason: reasonText(invalid.reason), timestamp: record.timestamp });
      }
      nextOffset = record.offset + 1;
      taken++;
    }
    if (nextOffset >= 0) resumeAt.set(batch.partition, { offset: nextOffset, skip: 0 });
    stats[Stat.inputMessages]! += taken;
    if (staged > 0) {
      const hi = sequencer.tryNext(staged);
      if (hi < 0) throw new Error(`ring claim of ${staged} failed (${hi}) after a capacity check`);
      const first = hi - staged + 1;
      for (let k = 0; k < staged; k++) writeCommandSeq(staging, k * COMMAND_SLOT_BYTES, first + k);
      copyIntoRing(ring, first, hi, staging, 0);
      publish(first, hi);
    }
    if (taken < batch.records.length && taken < limit) stats[Stat.sourceStalls]!++;
    if (letters.length > 0) await dlq.send(letters);
    if (data.rate > 0) {
      // paced from the first batch (the group join does not count)
      if (paceStart === 0) paceStart = nowMs() - (taken * 1000) / data.rate;
      paced += taken;
      const aheadMs = (paced * 1000) / data.rate - (nowMs() - paceStart);
      if (aheadMs > 1) await sleep(Math.min(aheadMs, 1000));
    }
    return taken;
  }
  await consumer.start();
  parentPort!.postMessage({ type: 'source-started', partitions: consumer.assignment() });
  for (;;) {
    await sleep(20);
    if (fatalError) throw fatalError;
    if (stopRequested()) break;
    if (data.stopWhenIdleMs > 0 && nowMs() - lastInput > data.stopWhenIdleMs && (await consumedToEnd(kafka, source.topic, consumer.assignment(), resumeAt))) break;
  }
  await consumer.stop();
  await dlq.close();
}

/**
 * Guard against processing a partition twice: this engine's WAL has no offset for `partitions`,
 * but if their output partitions already hold records, another engine (with its own WAL and
 * books) processed them, e.g. a rebalance moved the partition here. Re-reading it from the start
 * would publish its trades again, so refuse loudly (the other engine resumes it from its WAL).
 * Orders keyed by symbol with the default partitioner and output topics with the same partition
 * count (as prepareTopics creates them) put the outputs of input partition p in output partition p.
 */
async function processedElsewhere(kafka: ReturnType<typeof createKafka>, topic: string, partitions: number[]): Promise<string | null> {
  const inputs = await topicOffsets(kafka, topic);
  for (const out of [tradesTopic(topic), reportsTopic(topic)]) {
    const marks = await topicOffsets(kafka, out);
    if (marks.size !== inputs.size) continue; // not our topology: no mapping to check
    const busy = partitions.filter((p) => { const m = marks.get(p); return m !== undefined && m.high > m.low; });
    if (busy.length > 0) {
      return `partition(s) ${busy.join(',')} of ${topic} were assigned to this engine, whose WAL has no offset for them, but ${out} partition(s) ${busy.join(',')} already hold output: another engine processed them (a rebalance moved them here?). Re-reading them from the start would publish their trades twice; refusing. Run a fixed set of engines that all join before orders flow, or restart the engine that owns this partition's WAL.`;
    }
  }
  return null;
}

async function consumedToEnd(kafka: ReturnType<typeof createKafka>, topic: string, assigned: number[], resumeAt: Map<number, { offset: number }>): Promise<boolean> {
  if (assigned.length === 0) return false;
  let ends: Awaited<ReturnType<typeof topicOffsets>>;
  try {
    ends = await topicOffsets(kafka, topic);
  } catch {
    return false; // broker unreachable (e.g. restarting): not idle, the consumer reconnects
  }
  return assigned.every((p) => (resumeAt.get(p)?.offset ?? 0) >= (ends.get(p)?.high ?? 0));
}

async function main(): Promise<void> {
  failurePoint('poller');
  if (data.source.kind === 'embedded') runEmbedded(data.source);
  else if (data.source.kind === 'ndjson') runNdjson(data.source);
  else await runKafka(data.source);
  stats[Stat.sourceDone] = 1;
  parentPort!.postMessage({ type: 'source-done', published });
}

main().catch((error: unknown) => fatal(error, { published }));
