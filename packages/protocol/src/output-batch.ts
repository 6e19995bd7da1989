// The binary output batch (Kafka output with `--output-format binary`): an 8-byte header, then
// `count` output slots exactly as the matcher writes them into the output ring (OUTPUT_SLOT_BYTES
// each, layout in slot.ts), so the sink packs them with a copy and no encoding.
//   u8 magic 0xB8 | u8 version 2 | u16 reserved 0 | u32 count (little-endian)
// The header is 8 bytes so that slots stay 8-byte aligned in an aligned buffer.
import type { ParsedOutput } from './output-json.js';
import { OUTPUT_SLOT_BYTES, readOutput } from './slot.js';
import { OutputKind, createReport, createTrade } from './types.js';
import { createDepthUpdate, readDepth } from './depth.js';

const OUTPUT_BATCH_MAGIC = 0xb8;
/**
 * 2: report slots may carry a source position (flag at byte 85, in place of the tradeId a reject
 * never has), which a version-1 reader would take for a tradeId. Version-1 batches still decode.
 */
const OUTPUT_BATCH_VERSION = 2;
export const OUTPUT_BATCH_HEADER_BYTES = 8;

/** A binary output batch that is not one (bad magic, version, size, count or slot kind). */
export class OutputBatchError extends Error {
  override readonly name = 'OutputBatchError';
}

/** Writes the batch header for `count` slots at `offset`. */
export function writeOutputBatchHeader(out: Uint8Array, offset: number, count: number): void {
  out[offset] = OUTPUT_BATCH_MAGIC;
  out[offset + 1] = OUTPUT_BATCH_VERSION;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  new DataView(out.buffer, out.byteOffset + offset, 4 + 4).setUint32(4, count, true);
}

/** True if `bytes` starts like a binary output batch (JSON output starts with "{"). */
export function isOutputBatch(bytes: Uint8Array): boolean {
  return bytes.length >= OUTPUT_BATCH_HEADER_BYTES && bytes[0] === OUTPUT_BATCH_MAGIC;
}

/** Decodes a binary output batch into reports, trades and depth lines, in order. Throws OutputBatchError. */
export function decodeOutputBatch(bytes: Uint8Array): ParsedOutput[] {
  if (bytes.length < OUTPUT_BATCH_HEADER_BYTES || bytes[0] !== OUTPUT_BATCH_MAGIC)
    throw new OutputBatchError('not a binary output batch (magic 0xB8 expected)');
  if (bytes[1] !== OUTPUT_BATCH_VERSION && bytes[1] !== 1) throw new OutputBatchError(`unsupported output batch version ${bytes[1]}`);
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (bytes.length !== OUTPUT_BATCH_HEADER_BYTES + count * OUTPUT_SLOT_BYTES) {
    throw new OutputBatchError(`output batch of ${bytes.length} bytes cannot hold the ${count} slots its header announces`);
  }
  const out: ParsedOutput[] = [];
  for (let i = 0; i < count; i++) {
    const offset = OUTPUT_BATCH_HEADER_BYTES + i * OUTPUT_SLOT_BYTES;
    const report = createReport();
    const trade = createTrade();
    const kind = readOutput(bytes, offset, report, trade);
    if (kind === OutputKind.Report) out.push({ kind, report });
    else if (kind === OutputKind.Trade) out.push({ kind, trade });
    else if (kind === OutputKind.Depth) out.push({ kind, depth: readDepth(bytes, offset, createDepthUpdate()) });
    else throw new OutputBatchError(`output slot ${i} of the batch has unknown kind ${kind}`);
  }
  return out;
}
