// The shared depth view: a reader on another thread gets a consistent copy (every level of one
// write, at that write's sequence) or nothing, never a mix of two writes.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DepthView } from '../src/depth-view.js';

const LEVELS = 20;

describe('depth view', () => {
  it('returns what was written, up to the levels asked for; a symbol never written is empty at sequence -1', () => {
    const view = new DepthView(DepthView.create(3, LEVELS), LEVELS);
    expect(view.read(2)).toEqual({ seq: -1, bids: [], asks: [] });
    const prices = Float64Array.from([105, 104, 103, 106, 107]);
    const qtys = Float64Array.from([5, 4, 3, 6, 7]);
    const orders = Int32Array.from([1, 2, 3, 4, 5]);
    view.write(1, 42, prices, qtys, orders, 0, 3, 3, 2);
    expect(view.read(1)).toEqual({
      seq: 42,
      bids: [
        { price: 105, qty: 5, orders: 1 },
        { price: 104, qty: 4, orders: 2 },
        { price: 103, qty: 3, orders: 3 },
      ],
      asks: [
        { price: 106, qty: 6, orders: 4 },
        { price: 107, qty: 7, orders: 5 },
      ],
    });
    expect(view.read(1, 1)).toEqual({ seq: 42, bids: [{ price: 105, qty: 5, orders: 1 }], asks: [{ price: 106, qty: 6, orders: 4 }] });
    expect(view.read(3)).toBeNull();
    expect(view.read(-1)).toBeNull();
  });

  it('a reader on the main thread while a worker rewrites the block as fast as it can: every copy is one whole write', async () => {
    const buffer = DepthView.create(1, LEVELS);
    const url = new URL('../dist/depth-view.js', import.meta.url).href;
    const writes = 300_000;
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       import(workerData.url).then(({ DepthView }) => {
         const view = new DepthView(workerData.buffer, workerData.levels);
         const n = workerData.levels;
         const prices = new Float64Array(2 * n), qtys = new Float64Array(2 * n), orders = new Int32Array(2 * n);
         for (let k = 1; k <= workerData.writes; k++) {
           prices.fill(k); qtys.fill(k); orders.fill(k);
           view.write(0, k, prices, qtys, orders, 0, n - (k % 3), n, n - (k % 5));
         }
       });`,
      { eval: true, workerData: { buffer, url, levels: LEVELS, writes } },
    );
    const done = new Promise<number>((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    let exited = false;
    void done.then(() => (exited = true));
    const view = new DepthView(buffer, LEVELS);
    let reads = 0;
    let whole = 0;
    let last = -1;
    for (let i = 0; i < 5_000_000 && !exited; i++) {
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the exit event through
      const book = view.read(0);
      reads++;
      if (book === null) continue;
      whole++;
      const k = book.seq;
      if (k < 1) continue;
      expect(k).toBeGreaterThanOrEqual(last); // never an older write after a newer one
      last = k;
      expect(book.bids.length).toBe(LEVELS - (k % 3));
      expect(book.asks.length).toBe(LEVELS - (k % 5));
      for (const l of [...book.bids, ...book.asks]) expect(l).toEqual({ price: k, qty: k, orders: k });
    }
    expect(await done).toBe(0);
    expect(reads).toBeGreaterThan(100);
    expect(whole).toBeGreaterThan(50);
    const final = view.read(0)!;
    expect(final.seq).toBe(writes);
  }, 60_000);
});
