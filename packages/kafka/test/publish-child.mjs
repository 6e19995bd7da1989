// Crash-test child: an "engine" that replays deterministic outputs for seqs [start, total) through
// the Publisher, keeping a lagging local record of what was acknowledged (written after the
// flush, and only every 4th flush: the window a crash can fall into). Killed with SIGKILL by the
// test at random points. argv: brokers trades reports total localRecordFile
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { Publisher, createKafka } from '@ringmatch/kafka';

const [brokers, trades, reports, totalArg, recordFile, mode] = process.argv.slice(2);
const total = Number(totalArg);
const kafka = createKafka({ brokers, clientId: 'crash-child' });
const pack = mode === 'pack' ? (values) => Buffer.from(JSON.stringify(values.map(String))) : undefined;
const publisher = new Publisher(kafka, { topics: [trades, reports], maxBatchRecords: 200, pack, packMax: 16 });
await publisher.connect();
let start = 0;
try {
  start = Number(readFileSync(recordFile, 'utf8'));
} catch {
  start = 0;
}
process.stdout.write(`ready ${start}\n`);
let flushes = 0;
for (let s = start; s < total; s++) {
  const count = 1 + (s % 3);
  for (let j = 0; j < count; j++) {
    publisher.publish({ topic: j % 2 === 0 ? trades : reports, key: `SYM${(s * 7 + j) % 5}`, value: `${s}:${j}`, seq: s });
  }
  if (s % 50 === 49 || s === total - 1) {
    await publisher.flush();
    if (++flushes % 4 === 0 || s === total - 1) {
      writeFileSync(`${recordFile}.tmp`, String(s + 1));
      renameSync(`${recordFile}.tmp`, recordFile);
    }
    process.stdout.write(`acked ${s} skipped ${publisher.stats.skipped}\n`);
  }
}
await publisher.close();
process.stdout.write(`done skipped ${publisher.stats.skipped}\n`);
process.exit(0);
