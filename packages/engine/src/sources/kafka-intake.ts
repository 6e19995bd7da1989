// What both Kafka clients do with a fetched message: decode it (bad messages become Invalid
// commands and dead letters), skip the commands the WAL already holds, stage the commands and
// publish them as far as the ring has room, remember the next offset per partition, and pace
// --rate. The client drivers (kafka-source.ts for kafkajs, kafka-native-source.ts for librdkafka)
// only fetch and hand messages over.
import {
  CommandKind,
  DecodeError,
  Field,
  Reason,
  createCommand,
  decodeMessageEach,
  invalidCommand,
  reasonText,
  type Command,
  type DecodeOptions,
} from '@ringmatch/protocol';
import type { DeadLetter, DeadLetterPublisher, NativeRecordReader } from '@ringmatch/kafka';
import type { NativeCommandScanner } from '../json-scanner.js';
import { Stat } from '../stats.js';
import { nowMs } from '../shared.js';
import type { CommandPublisher } from './command-publisher.js';
import { CommandStaging } from './command-staging.js';
import type { SourceContext } from './command-source.js';

const EMPTY = new Uint8Array(0);
/** Partitions the native scanner can tell apart: the command slot keeps a partition as an i16. */
export const NATIVE_PARTITIONS = 1 << 15;

/** Next offset to read of a partition, and how many commands of that message the WAL already has. */
export interface PartitionResume {
  offset: number;
  skip: number;
}

export class KafkaIntake {
  /** Per partition: where reading resumes (from the WAL at start, then after each message taken). */
  readonly resumeAt = new Map<number, PartitionResume>();
  /** When the last message was taken (the idle check of --stop-when-idle). */
  lastInput = nowMs();
  // The hot path allocates nothing per command: one options object re-stamped per message, one
  // scratch command the decoder fills, written straight into a staging slot; the batch is then
  // claimed and copied into the ring in one go (profiled: per-message Command objects, arrays
  // and option objects made GC the poller's largest cost on Kafka).
  private readonly decodeOptions: DecodeOptions;
  private readonly scratch = createCommand();
  private readonly staging = new CommandStaging(8192);
  private readonly stage = (c: Command): void => {
    if (this.staging.add(c) && c.kind === CommandKind.Invalid) {
      this.invalidInMessage++;
      this.firstInvalid ??= c;
    }
  };
  private readonly format: 'json' | 'binary';
  private invalidInMessage = 0;
  private firstInvalid: Command | null = null;
  private capacity = 0;
  /** Messages one batch may take: 1/20 s worth under --rate, else no limit. */
  readonly perBatch: number;
  private taken = 0;
  private letters: DeadLetter[] = [];
  private paceStart = 0;
  private paced = 0;
  /** Per partition, for the native scanner: 1 while it is assigned and no resume skip is pending. */
  private readonly nativeTakes = new Uint8Array(NATIVE_PARTITIONS);
  /** Per partition, from the native scanner: the offset after the last message it took. */
  private readonly nativeNextOffsets = new Float64Array(NATIVE_PARTITIONS);
  /** The native scanner's [next byte, records taken] per call. */
  private readonly nativeProgress = new Float64Array(2);
  private readonly assigned = new Set<number>();

  constructor(
    private readonly out: CommandPublisher,
    context: SourceContext<'kafka'>,
    private readonly dlq: DeadLetterPublisher,
  ) {
    this.format = context.config.format;
    this.perBatch = out.rate > 0 ? Math.max(1, Math.ceil(out.rate / 20)) : Number.MAX_SAFE_INTEGER;
    this.decodeOptions = { symbols: context.symbols, sourceStream: -1, sourcePosition: -1 };
    const counts = new Map(context.resume.commandsAtLastPosition);
    for (const [partition, offset] of context.resume.positions)
      this.resumeAt.set(partition, { offset, skip: counts.get(partition) ?? Number.MAX_SAFE_INTEGER });
  }

  /** Partitions now assigned to this engine (the native scanner takes only their messages). */
  assign(partitions: readonly number[]): void {
    for (const p of partitions) {
      this.assigned.add(p);
      this.refreshNativeTakes(p);
    }
  }

  revoke(partitions: readonly number[]): void {
    for (const p of partitions) {
      this.assigned.delete(p);
      this.refreshNativeTakes(p);
    }
  }

  /** A partition's message goes to the native scanner only when no resume skip (the WAL's partial message) is pending for it. */
  private refreshNativeTakes(partition: number): void {
    if (partition < 0 || partition >= NATIVE_PARTITIONS) return;
    const skip = this.resumeAt.get(partition)?.skip ?? 0;
    this.nativeTakes[partition] = this.assigned.has(partition) && skip === 0 ? 1 : 0;
  }

  /** Starts a batch: the ring's free room now bounds what it takes (and `perBatch` how many messages). */
  begin(): void {
    this.lastInput = nowMs();
    this.capacity = this.out.remainingCapacity();
    this.taken = 0;
    this.staging.count = 0;
    this.letters = [];
  }

  /** The batch took as many messages as --rate allows per call. */
  get full(): boolean {
    return this.taken >= this.perBatch;
  }

  /** Messages taken in this batch. */
  get count(): number {
    return this.taken;
  }

  /**
   * Decodes one message into the batch. False when it does not fit in the ring's free room (or
   * the batch is full): nothing of it is kept, and it must be handed over again later.
   * `key`/`value` may be views into a reused buffer: a dead letter copies them.
   */
  take(topic: string, partition: number, offset: number, key: Uint8Array | null, value: Uint8Array | null, timestamp: number): boolean {
    if (this.taken >= this.perBatch) return false;
    const staging = this.staging;
    const before = staging.count;
    const resume = this.resumeAt.get(partition);
    this.decodeOptions.sourceStream = partition;
    this.decodeOptions.sourcePosition = offset;
    staging.skip = resume && resume.offset === offset ? resume.skip : 0;
    this.invalidInMessage = 0;
    this.firstInvalid = null;
    decodeMessageEach(value ?? EMPTY, this.format, this.decodeOptions, this.scratch, this.stage);
    if (staging.count - before > this.out.slotCount) {
      // Could never fit in the ring: reject the message as a whole rather than stall.
      const count = staging.count - before;
      staging.count = before;
      this.invalidInMessage = 0;
      this.firstInvalid = null;
      this.stage(invalidCommand(new DecodeError(Reason.TooLarge, Field.Batch, 0, `${count} commands > ring size ${this.out.slotCount}`), partition, offset));
    }
    if (staging.count > this.capacity) {
      staging.count = before; // no room for this message: it comes again after the ring drains
      return false;
    }
    const invalid = this.firstInvalid as Command | null; // set by stage() during the decode
    if (invalid !== null) {
      this.out.count(Stat.malformed, this.invalidInMessage);
      this.letters.push({
        sourceTopic: topic,
        partition,
        offset,
        key: key === null ? null : Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
        reason: reasonText(invalid.reason),
        timestamp,
      });
    }
    if (resume) {
      const skipped = resume.skip > 0;
      resume.offset = offset + 1;
      resume.skip = 0;
      if (skipped) this.refreshNativeTakes(partition);
    } else this.resumeAt.set(partition, { offset: offset + 1, skip: 0 });
    this.taken++;
    return true;
  }

  /**
   * Takes the run of plainly valid JSON messages from the reader's current record on in one call
   * of the native scanner, as far as the batch and the ring's room allow. Returns how many it took
   * (0: the current record goes to take()); the reader is then past them.
   */
  takeRun(records: NativeRecordReader, scanner: NativeCommandScanner): number {
    const staging = this.staging;
    const room = Math.min(this.perBatch - this.taken, this.capacity - staging.count);
    if (room <= 0) return 0;
    staging.reserve(room);
    const progress = this.nativeProgress;
    const taken = scanner.scanRecords(
      records.buffer,
      records.recordStart,
      records.remaining + 1,
      this.nativeTakes,
      this.nativeNextOffsets,
      staging.bytes,
      staging.count,
      room,
      progress,
    );
    if (taken === 0) return 0;
    records.skipTaken(taken, progress[0]!);
    staging.count += taken;
    this.taken += taken;
    for (const partition of this.assigned) {
      const next = this.nativeNextOffsets[partition]!;
      const resume = this.resumeAt.get(partition);
      if (resume === undefined) {
        if (next > 0) this.resumeAt.set(partition, { offset: next, skip: 0 });
      } else if (next > resume.offset) resume.offset = next;
    }
    return taken;
  }

  /**
   * Publishes the batch's commands, sends its dead letters, then waits as far as --rate asks.
   * False when the ring halted or a stop came first (then nothing more is sent).
   */
  async end(): Promise<boolean> {
    this.out.count(Stat.inputMessages, this.taken);
    // Fits: checked against the capacity in take(), and the claim cannot wait.
    if (this.staging.count > 0 && !this.out.publishStaged(this.staging.bytes, this.staging.count)) return false;
    if (this.letters.length > 0) await this.dlq.send(this.letters);
    if (this.out.rate > 0 && this.taken > 0) {
      // paced from the first batch (the group join does not count)
      if (this.paceStart === 0) this.paceStart = nowMs() - (this.taken * 1000) / this.out.rate;
      this.paced += this.taken;
      const aheadMs = (this.paced * 1000) / this.out.rate - (nowMs() - this.paceStart);
      if (aheadMs > 1) await this.out.whenStopRequested(Math.min(aheadMs, 1000)); // pacing; a stop ends it
    }
    return true;
  }
}
