// The free-slot stack of a record pool, grown with the pool: the slots still free are kept, and
// the new records go on the stack highest first, so the lowest one is handed out first. Cold path
// (growth and clear only); alloc and free stay inline in each pool.

/** A stack of `capacity` entries holding the free slots after growing from `oldCapacity` records. */
export function grownFreeSlots(
  previous: Int32Array | undefined,
  freeCount: number,
  oldCapacity: number,
  capacity: number,
  slotStride: number,
): { slots: Int32Array; count: number } {
  const slots = new Int32Array(capacity);
  let n = freeCount;
  if (n > 0 && previous) slots.set(previous.subarray(0, n));
  for (let r = capacity - 1; r >= oldCapacity; r--) slots[n++] = r * slotStride;
  return { slots, count: n };
}
