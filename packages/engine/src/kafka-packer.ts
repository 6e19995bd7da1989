// Packs the output ring straight into Kafka record values, per output partition, with no object
// and no string per output: JSON lines through OutputJsonEncoder, or binary output slots copied
// as they are (`--output-format binary`). A full pack is handed to the Publisher as one record
// (`publishPacked`); partial packs are handed over when the publisher has nothing queued, so a
// slow broker round trip makes records larger, not more numerous (natural batching). Profiled
// before this: the per-output objects, strings and array joins of the generic `pack` path made
// garbage collection a third of the sink's time.
// With @ringmatch/native's writer (--json-writer native), trades and reports are not encoded one
// by one: each pack queues its outputs' slots (slot-json-runs.ts), written in runs before the
// batch's slots are released (writePending, from the sink's endBatch) or the pack is handed over.
import {
  OUTPUT_BATCH_HEADER_BYTES,
  OUTPUT_SLOT_BYTES,
  OutputJsonEncoder,
  OutputKind,
  writeOutputBatchHeader,
  type DepthUpdate,
  type ExecutionReport,
  type SymbolTable,
  type Trade,
} from '@ringmatch/protocol';
import { partitionForKey, type Publisher } from '@ringmatch/kafka';
import type { NativeOutputJsonWriter } from './json-writer.js';
import { SlotJsonRuns, slotOutputBytes } from './slot-json-runs.js';

export type OutputFormat = 'json' | 'binary';

/** Most record buffers kept for reuse (a few requests' worth at most 128 KiB each). */
const SPARE_BUFFERS = 64;

export interface PackerOptions {
  /** Output topics by kind (no book topic: no depth stream). */
  tradesTopic: string;
  reportsTopic: string;
  bookTopic: string | null;
  format: OutputFormat;
  symbols: SymbolTable;
  /** Most outputs per Kafka record. */
  packMax: number;
  /** Most value bytes per JSON record written by the JS encoder (binary records are 8 + packMax * 96 bytes). */
  packBytes: number;
  /**
   * Most value bytes any record may have (the output topics' `max.message.bytes` less a record's
   * framing): a record closes before packMax outputs where one more might not fit. Below what one
   * output needs the packer refuses (RecordLimitError).
   */
  maxRecordBytes: number;
  /** Writes trades and reports in runs (JSON format); null: the JS encoder writes each. */
  nativeWriter?: NativeOutputJsonWriter | null;
}

/** The outputs of one partition of one topic waiting to become a Kafka record. */
class PartitionPack {
  bytes: Buffer | null = null;
  /** Word view of `bytes` (binary format). */
  words: Int32Array | null = null;
  /** DataView of `bytes` for the JSON encoder (JSON format). */
  view: DataView | null = null;
  used = 0;
  /** Outputs in the pack (with the native writer, some may still be queued in `runs`). */
  count = 0;
  /** Native writer: the slots of outputs counted but not written yet (trades and reports). */
  runs: SlotJsonRuns | null = null;
  firstSeq = 0;
  firstIdx = 0;
  lastSeq = 0;
  lastIdx = 0;
  key = '';
  /** When its first output arrived (performance.now() ms). */
  startedAt = 0;
  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Last position already in Kafka at connect (restart rule), -1 when empty. */
    readonly tailSeq: number,
    readonly tailIdx: number,
  ) {}
}

/** The output topics accept records too small for one output. */
export class RecordLimitError extends Error {
  constructor(
    readonly maxRecordBytes: number,
    readonly neededBytes: number,
  ) {
    super(`a record of at most ${maxRecordBytes} value bytes cannot hold one output (${neededBytes} bytes)`);
  }
}

export class KafkaOutputPacker {
  /** Per topic kind (0 trades, 1 reports, 2 book), per partition. */
  private readonly packs: PartitionPack[][];
  /** Per topic kind, per symbol id: the partition its key hashes to (murmur2, as kafkajs). */
  private readonly partitionOfSymbol: number[][] = [[], [], []];
  private readonly json: OutputJsonEncoder;
  private readonly capacity: number;
  /** Most outputs per record: packMax, or fewer where packMax binary outputs exceed maxRecordBytes. */
  readonly packMax: number;
  /** Most bytes one output takes in a record (its separator included). */
  private readonly longest: number;
  private readonly ringWords: Int32Array | null;
  private readonly native: NativeOutputJsonWriter | null;
  private held = 0;
  /**
   * Record buffers back from settled requests. Reusing them instead of allocating one per record
   * (128 KiB of external memory each) keeps V8's external-memory accounting from forcing
   * full garbage collections in the sink.
   */
  private readonly spare: ArrayBuffer[] = [];
  private readonly recycle = (value: Buffer): void => {
    if (value.buffer.byteLength === this.capacity && this.spare.length < SPARE_BUFFERS && !(value.buffer instanceof SharedArrayBuffer))
      this.spare.push(value.buffer);
  };

  constructor(
    private readonly publisher: Publisher,
    ringBytes: Uint8Array,
    private readonly options: PackerOptions,
  ) {
    this.json = new OutputJsonEncoder(options.symbols);
    this.native = options.format === 'json' ? (options.nativeWriter ?? null) : null;
    // Binary outputs are 96 bytes each, so a record's room is a count. JSON outputs are up to
    // `longest` bytes: the JS encoder's records close when one more might not fit; the native
    // writer's are written after they are counted (see add()).
    const binary = options.format === 'binary';
    this.longest = binary ? OUTPUT_SLOT_BYTES : this.native !== null ? slotOutputBytes(this.native, this.json) : this.json.maxBytes;
    const framing = binary ? OUTPUT_BATCH_HEADER_BYTES : 0;
    if (options.maxRecordBytes < framing + this.longest) throw new RecordLimitError(options.maxRecordBytes, framing + this.longest);
    this.packMax = binary ? Math.min(options.packMax, Math.floor((options.maxRecordBytes - framing) / this.longest)) : options.packMax;
    this.capacity = binary
      ? framing + this.packMax * this.longest
      : Math.min(options.maxRecordBytes, this.native !== null ? options.packMax * this.longest : Math.max(options.packBytes, this.json.maxBytes * 2));
    // Binary slots are copied as 24 Int32 words when both sides are 4-byte aligned (no view object
    // per slot; Float64 copies could canonicalise NaN bit patterns of the integer fields).
    this.ringWords = ringBytes.byteOffset % 4 === 0 ? new Int32Array(ringBytes.buffer, ringBytes.byteOffset, ringBytes.byteLength >> 2) : null;
    const topics = [options.tradesTopic, options.reportsTopic, ...(options.bookTopic === null ? [] : [options.bookTopic])];
    this.packs = topics.map((topic) => {
      const list: PartitionPack[] = [];
      const partitions = publisher.partitionsOf(topic);
      const tails = publisher.resumePoint().get(topic);
      for (let p = 0; p < partitions; p++) {
        const tail = tails?.get(p) ?? null;
        list.push(new PartitionPack(topic, p, tail ? tail.seq : -1, tail ? tail.idx : -1));
      }
      return list;
    });
  }

  private partitionOf(kind: 0 | 1 | 2, symbolId: number): number {
    let p = this.partitionOfSymbol[kind]![symbolId];
    if (p === undefined) {
      p = partitionForKey(this.symbolKey(symbolId), this.packs[kind]!.length);
      this.partitionOfSymbol[kind]![symbolId] = p;
    }
    return p;
  }

  private symbolKey(symbolId: number): string {
    return this.options.symbols.nameOf(symbolId) ?? String(symbolId);
  }

  /**
   * Adds the output in the ring slot at `offset` (already read into `report`, `trade` or `depth`,
   * by `kind`) at position (seq, idx). Returns false if the restart rule drops it (already in Kafka).
   */
  add(
    kind: number,
    ringBytes: Uint8Array,
    offset: number,
    report: ExecutionReport | null,
    trade: Trade | null,
    depth: DepthUpdate | null,
    seq: number,
    idx: number,
  ): boolean {
    const topicKind = kind === OutputKind.Trade ? 0 : kind === OutputKind.Report ? 1 : 2;
    const symbolId = topicKind === 0 ? trade!.symbolId : topicKind === 1 ? report!.symbolId : depth!.symbolId;
    const pack = this.packs[topicKind]![this.partitionOf(topicKind, symbolId)]!;
    if (seq < pack.tailSeq || (seq === pack.tailSeq && idx <= pack.tailIdx)) return false;
    const binary = this.options.format === 'binary';
    const queued = topicKind !== 2 && this.native !== null;
    if (pack.bytes !== null) {
      if (queued) {
        // Queued outputs are written later, each up to `longest` bytes: written early once the
        // worst case of the queue could pass the record's room, and the record closed when one
        // more might not fit even so (outputs are ~250 bytes, `longest` several times that).
        const runs = pack.runs;
        if (runs !== null && runs.count > 0 && pack.used + (runs.count + 1) * this.longest > this.capacity) this.writeQueued(pack);
        if (pack.count >= this.packMax || pack.used + ((pack.runs?.count ?? 0) + 1) * this.longest > this.capacity) this.handOver(pack);
      } else if (pack.count >= this.packMax || (!binary && pack.used + this.json.maxBytes > this.capacity)) this.handOver(pack);
    }
    if (pack.bytes === null) {
      // One buffer per record until its request settles (the client may still be encoding it),
      // then reused. allocUnsafeSlow: not from the shared pool, so offset 0 (aligned for the word
      // copy) and the whole ArrayBuffer is this record's.
      const spare = this.spare.pop();
      pack.bytes = spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(this.capacity);
      if (binary) pack.words = new Int32Array(pack.bytes.buffer, pack.bytes.byteOffset, this.capacity >> 2);
      else pack.view = new DataView(pack.bytes.buffer, pack.bytes.byteOffset, this.capacity);
      pack.used = binary ? OUTPUT_BATCH_HEADER_BYTES : 0;
      pack.firstSeq = seq;
      pack.firstIdx = idx;
      pack.startedAt = performance.now();
      pack.key = this.symbolKey(symbolId);
      this.held++;
    }
    const out = pack.bytes;
    if (binary) {
      const src = this.ringWords;
      if (src !== null && offset % 4 === 0) {
        const dst = pack.words!;
        const to = pack.used >> 2;
        const from = offset >> 2;
        for (let i = 0; i < OUTPUT_SLOT_BYTES >> 2; i++) dst[to + i] = src[from + i]!;
      } else {
        out.set(ringBytes.subarray(offset, offset + OUTPUT_SLOT_BYTES), pack.used);
      }
      pack.used += OUTPUT_SLOT_BYTES;
    } else if (queued) {
      const runs = (pack.runs ??= new SlotJsonRuns(this.native!, this.json, this.packMax, false));
      if (runs.mustWriteBefore(ringBytes)) this.writeQueued(pack); // another buffer's slots (the channel baseline's batches)
      runs.push(ringBytes, offset);
    } else {
      if (pack.count > 0) out[pack.used++] = 10; // NDJSON: newline between outputs, none at the end
      const view = pack.view!;
      if (topicKind === 0) pack.used = this.json.writeTrade(view, pack.used, trade!);
      else if (topicKind === 1) pack.used = this.json.writeReport(view, pack.used, report!);
      else pack.used = this.json.writeDepth(view, pack.used, depth!);
    }
    pack.count++;
    pack.lastSeq = seq;
    pack.lastIdx = idx;
    return true;
  }

  /** Writes the queued outputs of every pack (native writer): before the batch's slots are released. */
  writePending(): void {
    if (this.native === null || this.held === 0) return;
    for (let kind = 0; kind < 2; kind++) for (const pack of this.packs[kind]!) if (pack.runs !== null && pack.runs.count > 0) this.writeQueued(pack);
  }

  private writeQueued(pack: PartitionPack): void {
    const runs = pack.runs!;
    if (!runs.writeInto(pack.bytes!, pack.view!, pack.used, pack.count > runs.count))
      throw new Error(`kafka packer: ${pack.count} outputs overflow a ${this.capacity}-byte record buffer`); // sized for packMax of the longest
    pack.used = runs.end;
  }

  private handOver(pack: PartitionPack): void {
    if (pack.runs !== null && pack.runs.count > 0) this.writeQueued(pack);
    const bytes = pack.bytes!;
    if (this.options.format === 'binary') writeOutputBatchHeader(bytes, 0, pack.count);
    this.publisher.publishPacked({
      topic: pack.topic,
      partition: pack.partition,
      key: pack.key,
      value: bytes.subarray(0, pack.used),
      first: { seq: pack.firstSeq, idx: pack.firstIdx },
      last: { seq: pack.lastSeq, idx: pack.lastIdx },
      count: pack.count,
      recycle: this.recycle,
    });
    pack.bytes = null;
    pack.words = null;
    pack.view = null;
    pack.count = 0;
    pack.used = 0;
    this.held--;
  }

  /** Hands every partial pack to the publisher. */
  handOverAll(): void {
    if (this.held === 0) return;
    for (const list of this.packs) for (const pack of list) if (pack.bytes !== null) this.handOver(pack);
  }

  /** Age of the oldest partial pack held here (ms; 0 when none). */
  oldestHeldAgeMs(now: number): number {
    if (this.held === 0) return 0;
    let oldest = now;
    for (const list of this.packs) for (const pack of list) if (pack.bytes !== null && pack.startedAt < oldest) oldest = pack.startedAt;
    return now - oldest;
  }

  /** Smallest sequence among outputs still held here (not yet handed to the publisher), or Infinity. */
  oldestHeldSeq(): number {
    if (this.held === 0) return Infinity;
    let min = Infinity;
    for (const list of this.packs) for (const pack of list) if (pack.bytes !== null && pack.firstSeq < min) min = pack.firstSeq;
    return min;
  }
}
