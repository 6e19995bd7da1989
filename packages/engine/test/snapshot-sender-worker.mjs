// Sends one snapshot through the snapshot ring from its own thread, then ends the ring.
import { workerData } from 'node:worker_threads';
import { RingBuffer } from '@ringmatch/ring';
import { SnapshotSender } from '../dist/snapshot-handoff.js';

const ring = RingBuffer.attach(workerData.descriptor);
new SnapshotSender(ring).send(workerData.snapshot);
ring.end();
