// Crash-test child: appends batches of 64-byte records (views over a SharedArrayBuffer ring, some
// wrapping its end) as fast as it can, pipelined, and prints "D <seq>" on stdout (synchronous on a
// pipe) each time a batch is reported durable. The parent kills it with SIGKILL at a random moment.
import { openWal } from '@ringmatch/wal';

const [dir, backend, segmentSize, seedArg] = process.argv.slice(2);
let seed = Number(seedArg) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
function fillRecord(target, sequence) {
  const view = new DataView(target.buffer, target.byteOffset, target.length);
  view.setFloat64(0, sequence, true);
  for (let i = 8; i < target.length; i++) target[i] = (sequence * 31 + i * 7) & 0xff;
}
const SLOTS = 1024;
const ring = new Uint8Array(new SharedArrayBuffer(SLOTS * 64));
const wal = await openWal(dir, { backend, segmentSize: Number(segmentSize) });
process.stdout.write(`R ${wal.recovery.lastSequence}\n`);
const pending = [];
const deadline = Date.now() + 10_000; // bounded even if never killed
while (Date.now() < deadline) {
  if (wal.pending >= 2) await pending.shift();
  const first = wal.nextSequence;
  const count = 1 + Math.floor(random() * 200);
  for (let s = first; s < first + count; s++) {
    const i = s % SLOTS;
    fillRecord(ring.subarray(i * 64, (i + 1) * 64), s);
  }
  const start = first % SLOTS;
  const end = start + count;
  const a = end <= SLOTS ? ring.subarray(start * 64, end * 64) : ring.subarray(start * 64);
  const b = end <= SLOTS ? null : ring.subarray(0, (end - SLOTS) * 64);
  const p = wal.appendRecords(first, 64, a, b).then((seq) => {
    process.stdout.write(`D ${seq}\n`);
    return seq;
  });
  pending.push(p);
  if (wal.backend === 'fs') await p; // fs settles in the call; yield so stdout and timers run
}
await wal.close();
