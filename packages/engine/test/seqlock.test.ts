// The seqlock blocks the depth view and the trade tape share between the matcher (the writer) and
// the HTTP server (readers). Whole writes under a writer rewriting as fast as it can are
// depth-view.test.ts's; here, a block left mid-write (its writer off the CPU, or gone): the reader
// waits a bounded time, then gives up, and reads the block once it is written.
import { describe, expect, it } from 'vitest';
import { MAX_READ_WAIT_MS, SeqlockBlocks } from '../src/seqlock.js';

const BLOCK_WORDS = 1 + 64; // the version word and 64 payload words
const BLOCKS = 4;

describe('seqlock blocks', () => {
  it('a block left mid-write: the reader gives up after the bounded wait, and reads again once it is written', () => {
    const blocks = new SeqlockBlocks(SeqlockBlocks.create(BLOCKS, BLOCK_WORDS), BLOCK_WORDS);
    const version = blocks.beginWrite(1);
    blocks.words[blocks.payload(1)] = 42;
    const start = performance.now();
    expect(blocks.read(1, (words, at) => words[at])).toBeNull();
    const waited = performance.now() - start;
    expect(waited).toBeGreaterThanOrEqual(MAX_READ_WAIT_MS * 0.9);
    expect(waited).toBeLessThan(2_000);
    blocks.endWrite(1, version);
    expect(blocks.read(1, (words, at) => words[at])).toBe(42);
    expect(blocks.read(BLOCKS, (words, at) => words[at])).toBeNull(); // no such block
  });
});
