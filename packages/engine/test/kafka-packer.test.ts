// KafkaOutputPacker on the real broker: output slots packed per partition into JSON or binary
// records, positions in the headers, partial packs tracked (oldest sequence and age), and the
// restart rule applied against the partition tails read by the publisher at connect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUTPUT_SLOT_BYTES,
  OutputKind,
  createDepthUpdate,
  createReport,
  createTrade,
  defaultSymbolTable,
  encodeDepthJson,
  encodeReportJson,
  encodeTradeJson,
  isOutputBatch,
  readDepth,
  readOutput,
  writeDepth,
  writeReport,
  writeTrade,
} from '@ringmatch/protocol';
import { COUNT_HEADER, FIRST_HEADER, Publisher, SEQ_HEADER, ensureTopics, partitionForKey } from '@ringmatch/kafka';
import { ensureBroker, kafkaAvailability, readTopic, uniqueTopic, type TestBroker } from '@ringmatch/test-kit';
import { unpackOutputs } from '@ringmatch/engine';
import { KafkaOutputPacker, RecordLimitError, type OutputFormat } from '../src/kafka-packer.js';
import { nativeWriterFor } from '../src/json-writer.js';

const symbols = defaultSymbolTable();
const names = symbols.list().map((d) => d.name);
/** The native JSON writer when @ringmatch/native is built (CI builds it: RINGMATCH_EXPECT_NATIVE=1). */
const nativeWriter = await nativeWriterFor('native', symbols).catch(() => null);
if (process.env.RINGMATCH_EXPECT_NATIVE === '1' && nativeWriter === null) throw new Error('RINGMATCH_EXPECT_NATIVE=1 but the native JSON writer did not load');

/** The three output topics, each with the tag `feed` gives its outputs. */
function byKind(trades: string, reports: string, book: string) {
  return [
    [trades, 't'],
    [reports, 'r'],
    [book, 'b'],
  ] as const;
}

/** `count` outputs in ring slots: for seq s, a report and (every third seq) a trade, else (every other seq) a depth line, symbols cycling. */
function slots(count: number): Uint8Array {
  const bytes = new Uint8Array(count * OUTPUT_SLOT_BYTES);
  for (let i = 0; i < count; i++) {
    const seq = Math.floor(i / 2);
    const symbolId = 1 + (seq % 3);
    if (i % 2 === 1 && seq % 3 !== 0 && seq % 2 === 0)
      writeDepth(
        bytes,
        i * OUTPUT_SLOT_BYTES,
        createDepthUpdate({ seq, symbolId, side: seq % 4 === 0 ? 0 : 1, price: 90 + seq, qty: seq % 5, orders: seq % 5 > 0 ? 2 : 0 }),
      );
    else if (i % 2 === 1 && seq % 3 === 0)
      writeTrade(
        bytes,
        i * OUTPUT_SLOT_BYTES,
        createTrade({ seq, symbolId, tradeId: seq, price: 100 + seq, qty: 1 + i, makerOrderId: 7, takerOrderId: seq, takerSide: 1 }),
      );
    else
      writeReport(
        bytes,
        i * OUTPUT_SLOT_BYTES,
        createReport({
          seq,
          symbolId,
          orderId: seq,
          accountId: 5,
          status: 1 + (i % 4),
          price: 100 + seq,
          qty: 10,
          leavesQty: 10,
          timestamp: 1_700_000_000_000_000 + i,
        }),
      );
  }
  return bytes;
}

/**
 * Feeds every slot to the packer as the sink does (index within the sequence), then writes what
 * the packer queued (the sink's endBatch); returns the JSON of each added output.
 */
function feed(packer: KafkaOutputPacker, bytes: Uint8Array): Array<{ topic: 't' | 'r' | 'b'; json: string; seq: number; added: boolean }> {
  const report = createReport();
  const trade = createTrade();
  const depth = createDepthUpdate();
  const out: Array<{ topic: 't' | 'r' | 'b'; json: string; seq: number; added: boolean }> = [];
  let lastSeq = -1;
  let index = 0;
  for (let offset = 0; offset < bytes.length; offset += OUTPUT_SLOT_BYTES) {
    const kind = readOutput(bytes, offset, report, trade);
    if (kind === OutputKind.Depth) readDepth(bytes, offset, depth);
    const seq = kind === OutputKind.Trade ? trade.seq : kind === OutputKind.Report ? report.seq : depth.seq;
    index = seq === lastSeq ? index + 1 : 0;
    lastSeq = seq;
    const added = packer.add(kind, bytes, offset, report, trade, depth, seq, index);
    if (kind === OutputKind.Trade) out.push({ topic: 't', json: encodeTradeJson(trade, symbols), seq, added });
    else if (kind === OutputKind.Report) out.push({ topic: 'r', json: encodeReportJson(report, symbols), seq, added });
    else out.push({ topic: 'b', json: encodeDepthJson(depth, symbols), seq, added });
  }
  packer.writePending();
  return out;
}

describe.skipIf(!kafkaAvailability().ok)('KafkaOutputPacker (real broker)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await ensureBroker();
  }, 900_000);
  afterAll(async () => {
    await broker?.release();
  });

  // The native writer's case only where it is built (CI requires it: see the top of this file).
  const cases: Array<[OutputFormat, 'js' | 'native']> = [
    ['json', 'js'],
    ...(nativeWriter ? [['json', 'native'] as [OutputFormat, 'native']] : []),
    ['binary', 'js'],
  ];
  it.each(cases)('packs %s records (%s JSON writer) per partition, in order, with positions; a restart skips what Kafka holds', async (format, writer) => {
    const trades = uniqueTopic('pk-trades');
    const reports = uniqueTopic('pk-reports');
    const book = uniqueTopic('pk-book');
    await ensureTopics(broker.kafka, [
      { topic: trades, partitions: 2 },
      { topic: reports, partitions: 3 },
      { topic: book, partitions: 2 },
    ]);
    const bytes = slots(300);
    const options = {
      tradesTopic: trades,
      reportsTopic: reports,
      bookTopic: book,
      format,
      symbols,
      packMax: 7,
      packBytes: 4096,
      maxRecordBytes: 1 << 20,
      nativeWriter: writer === 'native' ? nativeWriter : null,
    };
    const p1 = new Publisher(broker.kafka, { topics: [trades, reports, book] });
    await p1.connect();
    const packer = new KafkaOutputPacker(p1, bytes, options);
    expect(packer.oldestHeldSeq()).toBe(Infinity);
    const firstHalf = feed(packer, bytes.subarray(0, 150 * OUTPUT_SLOT_BYTES));
    expect(firstHalf.every((o) => o.added)).toBe(true);
    // some packs are partial: held, not yet in the publisher
    expect(packer.oldestHeldSeq()).toBeLessThan(75);
    expect(packer.oldestHeldAgeMs(performance.now() + 50)).toBeGreaterThanOrEqual(50);
    packer.handOverAll();
    expect(packer.oldestHeldSeq()).toBe(Infinity);
    expect(packer.oldestHeldAgeMs(performance.now())).toBe(0);
    await p1.close(); // "crash" after the first half

    // Restarted: replays everything from the start; only the second half may be added.
    const p2 = new Publisher(broker.kafka, { topics: [trades, reports, book] });
    await p2.connect();
    const replay = new KafkaOutputPacker(p2, bytes, options);
    const all = feed(replay, bytes);
    expect(all.slice(0, 150).some((o) => o.added)).toBe(false);
    expect(all.slice(150).every((o) => o.added)).toBe(true);
    replay.handOverAll();
    await p2.close();

    expect(all.filter((o) => o.topic === 'b').length).toBeGreaterThan(20);
    for (const [topic, kind] of byKind(trades, reports, book)) {
      const records = await readTopic(broker.kafka, topic);
      for (const r of records) {
        expect(isOutputBatch(r.value!)).toBe(format === 'binary');
        expect(Number(r.headers[COUNT_HEADER]!.toString())).toBeLessThanOrEqual(7);
        expect(r.headers[FIRST_HEADER]).toBeDefined();
        expect(r.headers[SEQ_HEADER]).toBeDefined();
      }
      // per partition: exactly the outputs of that topic routed there, once each, in order
      const expected = all.filter((o) => o.topic === kind);
      const got = new Map<number, string[]>();
      for (const r of records) got.set(r.partition, [...(got.get(r.partition) ?? []), ...unpackOutputs(r.value, r.headers as never, symbols)]);
      const partitions = kind === 'r' ? 3 : 2;
      for (let p = 0; p < partitions; p++) {
        const want = expected
          .filter((o) => partitionForKey(names[(JSON.parse(o.json) as { symbolId: number }).symbolId - 1]!, partitions) === p)
          .map((o) => o.json);
        expect(got.get(p) ?? [], `${topic}[${p}]`).toEqual(want);
      }
    }
  });

  it.each(cases)(
    'keeps %s records (%s JSON writer) within maxRecordBytes: fewer outputs to a record, none lost; below one output it refuses',
    async (format, writer) => {
      const trades = uniqueTopic('pk-cap-trades');
      const reports = uniqueTopic('pk-cap-reports');
      const book = uniqueTopic('pk-cap-book');
      await ensureTopics(
        broker.kafka,
        [trades, reports, book].map((topic) => ({ topic, partitions: 1 })),
      );
      const bytes = slots(300);
      const publisher = new Publisher(broker.kafka, { topics: [trades, reports, book] });
      await publisher.connect();
      const options = (maxRecordBytes: number) => ({
        tradesTopic: trades,
        reportsTopic: reports,
        bookTopic: book,
        format,
        symbols,
        packMax: 50,
        packBytes: 64 << 10,
        maxRecordBytes,
        nativeWriter: writer === 'native' ? nativeWriter : null,
      });
      try {
        expect(() => new KafkaOutputPacker(publisher, bytes, options(90))).toThrow(RecordLimitError);
        const cap = 1200; // a few outputs of either format, far below 50 of them
        const packer = new KafkaOutputPacker(publisher, bytes, options(cap));
        // Binary records hold fewer outputs; JSON records close on bytes.
        if (format === 'binary') expect(packer.packMax).toBeLessThan(50);
        expect(packer.packMax).toBeGreaterThan(0);
        const all = feed(packer, bytes);
        packer.handOverAll();
        await publisher.flush();
        for (const [topic, kind] of byKind(trades, reports, book)) {
          const records = await readTopic(broker.kafka, topic);
          for (const r of records) expect(r.value!.length, topic).toBeLessThanOrEqual(cap);
          expect(records.flatMap((r) => unpackOutputs(r.value, r.headers as never, symbols))).toEqual(all.filter((o) => o.topic === kind).map((o) => o.json));
        }
      } finally {
        await publisher.close();
      }
    },
  );
});
