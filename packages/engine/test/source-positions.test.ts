// The source's resume state as snapshots carry it: per stream, the highest position, in the
// 16-byte entry layout of version-1 snapshot files (u32 stream, u32 0, u64 position, LE).
import { describe, expect, it } from 'vitest';
import { createCommand, writeCommand } from '@ringmatch/protocol';
import { advancePositions, decodeSourcePositions, encodeSourcePositions } from '../src/source-positions.js';

describe('source positions', () => {
  it('round-trips positions up to 2^48 - 2, sorted by stream, in the version-1 entry layout', () => {
    const positions: [number, number][] = [
      [3, 2 ** 48 - 2],
      [0, 7],
      [1, 2 ** 32 + 5],
    ];
    const bytes = encodeSourcePositions(positions);
    expect(bytes.length).toBe(48);
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(0, true), view.getUint32(16, true), view.getUint32(32, true)]).toEqual([0, 1, 3]);
    expect(view.getBigUint64(24, true)).toBe(2n ** 32n + 5n);
    expect([...decodeSourcePositions(bytes)]).toEqual([
      [0, 7],
      [1, 2 ** 32 + 5],
      [3, 2 ** 48 - 2],
    ]);
    expect(decodeSourcePositions(new Uint8Array(0)).size).toBe(0);
    expect(() => decodeSourcePositions(new Uint8Array(17))).toThrow(/16-byte entries/);
  });

  it('a command slot raises its stream to its position, never lowers it, and a slot without one changes nothing', () => {
    const positions = new Map<number, number>([[2, 100]]);
    const slot = new Uint8Array(64);
    for (const [stream, position] of [
      [2, 101],
      [2, 50],
      [5, 0],
      [-1, -1],
    ] as const) {
      writeCommand(slot, 0, createCommand({ sourceStream: stream, sourcePosition: position }));
      advancePositions(positions, slot);
    }
    expect([...positions]).toEqual([
      [2, 101],
      [5, 0],
    ]);
  });
});
