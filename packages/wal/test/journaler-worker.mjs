// Test worker: opens the WAL in a worker thread (like the engine's journaler) and appends batches
// given as views over the SharedArrayBuffer it received; reports the durable sequences back.
import { parentPort, workerData } from 'node:worker_threads';
import { openWal } from '@ringmatch/wal';

const { dir, backend, sab, batches } = workerData;
const ring = new Uint8Array(sab);
const wal = await openWal(dir, { backend, segmentSize: 1 << 20 });
const pending = [];
for (const [firstSlot, count] of batches) {
  if (wal.pending >= 2) await pending[pending.length - 2];
  pending.push(wal.appendRecords(wal.nextSequence, 64, ring.subarray(firstSlot * 64, (firstSlot + count) * 64)));
}
const durable = [];
for (const p of pending) durable.push(await p);
await wal.close();
parentPort.postMessage({ backend: wal.backend, durable });
