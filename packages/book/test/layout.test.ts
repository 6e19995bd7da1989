// Record layouts: every field inside its record, naturally aligned, and no two fields sharing a
// byte; the layout helper refuses a field read through the wrong view or placed badly.
import { describe, expect, it } from 'vitest';
import { LevelLayout } from '../src/level-pool.js';
import { OrderLayout } from '../src/order-pool.js';
import { FIELD_BYTES, type RecordLayout, viewIndex, viewStride } from '../src/record-layout.js';

function byteOwners(layout: RecordLayout): (string | undefined)[] {
  const owners: (string | undefined)[] = new Array(layout.bytes).fill(undefined);
  for (const [name, f] of Object.entries(layout.fields)) {
    for (let b = f.offset; b < f.offset + FIELD_BYTES[f.type]; b++) {
      expect(owners[b], `${name} overlaps ${owners[b]} at byte ${b}`).toBeUndefined();
      owners[b] = name;
    }
  }
  return owners;
}

describe.each([
  ['order', OrderLayout as RecordLayout, 64],
  ['level', LevelLayout as RecordLayout, 32],
])('%s record layout', (_name, layout, bytes) => {
  it('keeps its size (a multiple of 8, so every record is f64-aligned)', () => {
    expect(layout.bytes).toBe(bytes);
    expect(layout.bytes % 8).toBe(0);
  });

  it('puts every field inside the record, naturally aligned', () => {
    for (const [name, f] of Object.entries(layout.fields)) {
      const width = FIELD_BYTES[f.type];
      expect(f.offset % width, `${name} alignment`).toBe(0);
      expect(f.offset, name).toBeGreaterThanOrEqual(0);
      expect(f.offset + width, name).toBeLessThanOrEqual(layout.bytes);
      expect(viewIndex(layout, name, f.type)).toBe(f.offset / width);
    }
  });

  it('gives no byte to two fields', () => {
    byteOwners(layout);
  });
});

describe('layout helper', () => {
  const layout = {
    bytes: 16,
    fields: { a: { offset: 0, type: 'f64' }, b: { offset: 10, type: 'i32' }, c: { offset: 16, type: 'u8' }, d: { offset: 8, type: 'u16' } },
  } as const satisfies RecordLayout;

  it('maps a field to its index in its view and a record to its stride', () => {
    expect(viewIndex(layout, 'a', 'f64')).toBe(0);
    expect(viewIndex(layout, 'd', 'u16')).toBe(4);
    expect(viewStride(layout, 'f64')).toBe(2);
    expect(viewStride(layout, 'u8')).toBe(16);
  });

  it('refuses the wrong view, an unaligned field and one past the record', () => {
    expect(() => viewIndex(layout, 'a', 'i32')).toThrow(/not a i32/);
    expect(() => viewIndex(layout, 'b', 'i32')).toThrow(/unaligned or outside/);
    expect(() => viewIndex(layout, 'c', 'u8')).toThrow(/unaligned or outside/);
    expect(() => viewStride({ bytes: 12, fields: {} }, 'f64')).toThrow(/multiple of 8/);
  });
});
