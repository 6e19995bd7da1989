// Micro benchmarks of the ring's cursor operations (tinybench), each against the bare memory
// operation it is built on. They take a few ns, far below tinybench's per-call overhead, so each
// task runs CURSOR_OPS operations per call; ops_per_s counts operations, p50/p99 are per operation.
//   micro-cursor-set-get      Sequence.set + get (a stage's cursor)          vs plain Int32Array store + load, Atomics store + load
//   micro-barrier-available   barrier.available, one dependency               vs a bare Atomics.load
//   micro-sequence-set-store  a SequenceSet sequence's set, nobody waiting    vs a bare Atomics.store
import { Pipeline, SequenceSet, WaitStrategies } from '@ringmatch/ring';
import type { BenchGroup } from '../types.js';
import { CURSOR_OPS, cursorLines, measurePerOp } from '../micro/measure.js';

export const groups: BenchGroup[] = [
  {
    group: 'micro-cursor-set-get',
    async *run(ctx) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.blocking() }).then('a').build();
      const cursor = ring.stageSequence('a');
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      let v = 0;
      let sink = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-cursor-set-get': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            cursor.set(++v);
            sink += cursor.get();
          }
        },
        'int32-store-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            i32[0] = ++v;
            sink += i32[0]!;
          }
        },
        'atomics-store-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) {
            Atomics.store(i32, 0, ++v);
            sink += Atomics.load(i32, 0);
          }
        },
      });
      if (sink === 0) throw new Error('nothing stored');
      yield* cursorLines('micro-cursor-set-get', ['int32-store-load', 'atomics-store-load'], results);
    },
  },
  {
    group: 'micro-barrier-available',
    async *run(ctx) {
      const ring = new Pipeline({ slotSize: 64, slotCount: 1024, wait: WaitStrategies.blocking() }).then('a').build();
      const seq = ring.sequencer();
      seq.publish(0, seq.next(100));
      const barrier = ring.stage('a').barrier;
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      i32[0] = 99;
      let sink = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-barrier-available': () => {
          for (let k = 0; k < CURSOR_OPS; k++) sink += barrier.available(50);
        },
        'atomics-load': () => {
          for (let k = 0; k < CURSOR_OPS; k++) sink += Atomics.load(i32, 0);
        },
      });
      if (sink === 0) throw new Error('nothing read');
      yield* cursorLines('micro-barrier-available', ['atomics-load'], results);
    },
  },
  {
    group: 'micro-sequence-set-store',
    async *run(ctx) {
      const set = SequenceSet.create(['committed']);
      const committed = set.sequence('committed');
      const i32 = new Int32Array(new SharedArrayBuffer(64));
      let v = 0;
      const results = await measurePerOp(ctx, CURSOR_OPS, {
        'micro-sequence-set-store': () => {
          for (let k = 0; k < CURSOR_OPS; k++) committed.set(++v);
        },
        'atomics-store': () => {
          for (let k = 0; k < CURSOR_OPS; k++) Atomics.store(i32, 0, ++v);
        },
      });
      if (committed.get() === -1 || committed.waiters() !== 0) throw new Error('sequence not set, or someone waits');
      yield* cursorLines('micro-sequence-set-store', ['atomics-store'], results);
    },
  },
];
