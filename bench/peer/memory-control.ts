// The machine's own run-to-run spread on cache-bound work, for book-peer: a fixed pointer chase (one
// random cycle through 4 MiB, about the size of a book's hot data: it lives in the shared last-level
// cache, so it slows down when other tenants of the host fill that cache) timed right after each
// sequential repetition of a book. It does the same work every time, so its spread
// (`machine_max_dev`) is the machine's, to read beside the book's own spread one repetition after
// another (`sequential_max_dev`). On this VM the book's time and the control's moved together
// (correlation 0.58 over 30 repetitions; a 32 MiB chase, which misses the caches anyway, only 0.26).

const ENTRIES = 1 << 20;
const STEPS = 2_000_000;

export class MemoryControl {
  private readonly next = new Int32Array(ENTRIES);
  private sink = 0;

  constructor(seed = 7) {
    // A single random cycle (Sattolo's shuffle), so the chase visits every entry in random order.
    const order = new Int32Array(ENTRIES);
    for (let i = 0; i < ENTRIES; i++) order[i] = i;
    let state = seed >>> 0;
    for (let i = ENTRIES - 1; i > 0; i--) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      const j = state % i;
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let i = 0; i < ENTRIES; i++) this.next[order[i]!] = order[(i + 1) % ENTRIES]!;
    this.measure(); // compiled and its pages touched before the first measured chase
  }

  /** One timed chase: nanoseconds per step. */
  measure(): number {
    const next = this.next;
    let at = this.sink & (ENTRIES - 1);
    const start = process.hrtime.bigint();
    for (let i = 0; i < STEPS; i++) at = next[at]!;
    const ns = Number(process.hrtime.bigint() - start) / STEPS;
    this.sink = at;
    return ns;
  }
}
