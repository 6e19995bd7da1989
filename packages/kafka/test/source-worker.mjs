// Runs an OrderSource inside a worker thread, as the engine's poller does; posts each batch's
// offsets to the parent, stops on request.
import { parentPort, workerData } from 'node:worker_threads';
import { OrderSource, createKafka } from '@ringmatch/kafka';

const { brokers, topic, groupId, start } = workerData;
const kafka = createKafka({ brokers, clientId: 'poller-worker' });
const source = new OrderSource(
  kafka,
  { topic, groupId },
  {
    onAssigned: (parts) => new Map(parts.map((p) => [p, start[p] ?? null])),
    onBatch: (batch) => {
      parentPort.postMessage({
        type: 'batch',
        partition: batch.partition,
        offsets: batch.records.map((r) => r.offset),
        values: batch.records.map((r) => r.value.toString()),
      });
      return batch.records.length;
    },
    onError: (e) => parentPort.postMessage({ type: 'error', message: e.message }),
  },
);
parentPort.on('message', async (m) => {
  if (m === 'stop') {
    await source.stop({ timeoutMs: 10_000 });
    parentPort.postMessage({ type: 'stopped' });
  }
});
await source.start();
parentPort.postMessage({ type: 'started' });
