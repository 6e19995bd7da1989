// Layouts of the pooled records: each field's byte offset and element type, declared once per
// record. Pools turn them into typed-array indices at load time, so a wrong offset, an unaligned
// field or one past the record's end fails when the module loads, not in a match.

export type FieldType = 'f64' | 'i32' | 'u32' | 'u16' | 'u8';

/** Bytes per element of each field type (the typed-array view it is read through). */
export const FIELD_BYTES: Readonly<Record<FieldType, number>> = { f64: 8, i32: 4, u32: 4, u16: 2, u8: 1 };

export interface FieldLayout {
  /** Byte offset inside the record. */
  readonly offset: number;
  readonly type: FieldType;
}

export interface RecordLayout {
  /** Record size in bytes: a multiple of 8, so the f64 fields of every record stay aligned. */
  readonly bytes: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

/** Elements of a `type` view per record: record `r`'s field sits at `r * stride + viewIndex(...)`. */
export function viewStride(layout: RecordLayout, type: FieldType): number {
  if (layout.bytes % 8 !== 0) throw new Error(`record size ${layout.bytes} is not a multiple of 8`);
  return layout.bytes / FIELD_BYTES[type];
}

/** Index of `field` inside record 0 of its view; throws when `type` is not the field's type or it does not fit. */
export function viewIndex<L extends RecordLayout>(layout: L, field: keyof L['fields'] & string, type: FieldType): number {
  const f = layout.fields[field];
  if (f === undefined || f.type !== type) throw new Error(`record field ${field} is not a ${type}`);
  const width = FIELD_BYTES[type];
  if (f.offset % width !== 0 || f.offset < 0 || f.offset + width > layout.bytes)
    throw new Error(`record field ${field} at byte ${f.offset} is unaligned or outside the record`);
  return f.offset / width;
}
