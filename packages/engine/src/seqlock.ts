// Fixed-size blocks of Float64 words in shared memory, each under its own seqlock: one writer
// thread makes a block's version odd, writes, and makes it even again (Atomics.store each time);
// readers on other threads copy between two Atomics.load of the version and retry if it moved, up to
// MAX_TORN_COPIES times (a writer that keeps finishing writes), and wait while it is odd, up to
// MAX_READ_WAIT_MS (a writer the scheduler took off the CPU in the middle of a write: on 2 busy
// cores, a matter of milliseconds). The writer never waits for a reader.
// Block layout: word 0 holds the version (as the Int32 in its first 4 bytes); the rest is payload.

/** A reader gives up after this many torn copies in a row (the writer rewrote the block each time). */
const MAX_TORN_COPIES = 64;
/** How long a reader waits on a block left mid-write (its writer off the CPU, or gone). */
export const MAX_READ_WAIT_MS = 5;

export class SeqlockBlocks {
  /** Shared memory for `blocks` blocks of `blockWords` words (the version word included). */
  static create(blocks: number, blockWords: number): SharedArrayBuffer {
    return new SharedArrayBuffer(blocks * blockWords * 8);
  }

  readonly words: Float64Array;
  private readonly versions: Int32Array;

  constructor(
    buffer: SharedArrayBuffer,
    /** Words per block, the version word included. */
    readonly blockWords: number,
  ) {
    this.words = new Float64Array(buffer);
    this.versions = new Int32Array(buffer);
  }

  get blocks(): number {
    return this.words.length / this.blockWords;
  }

  /** Index in `words` of the block's first payload word. */
  payload(block: number): number {
    return block * this.blockWords + 1;
  }

  /** The writer: the block is being written (readers retry); returns what endWrite takes. */
  beginWrite(block: number): number {
    const at = block * this.blockWords * 2;
    const version = Atomics.load(this.versions, at);
    Atomics.store(this.versions, at, version + 1);
    return version;
  }

  /** The writer: the block is consistent again. */
  endWrite(block: number, version: number): void {
    Atomics.store(this.versions, block * this.blockWords * 2, version + 2);
  }

  /** A reader: `copy` of the block's payload from one whole write, or null if the writer kept rewriting it, or stayed mid-write for MAX_READ_WAIT_MS. */
  read<T>(block: number, copy: (words: Float64Array, payload: number) => T): T | null {
    if (!(block >= 0 && block < this.blocks)) return null;
    const at = block * this.blockWords * 2;
    let torn = 0;
    let spins = 0;
    let deadline = 0;
    for (;;) {
      const before = Atomics.load(this.versions, at);
      if ((before & 1) === 0) {
        const value = copy(this.words, block * this.blockWords + 1);
        if (Atomics.load(this.versions, at) === before) return value;
        if (++torn >= MAX_TORN_COPIES) return null; // the writer keeps finishing new writes
      } else if ((++spins & 63) === 0) {
        // mid-write: the writer may be off the CPU; wait it out, for a bounded time
        const now = performance.now();
        if (deadline === 0) deadline = now + MAX_READ_WAIT_MS;
        else if (now > deadline) return null;
      }
    }
  }
}
