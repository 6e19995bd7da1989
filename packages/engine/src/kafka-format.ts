// Format of the engine's Kafka output records. kafkajs spends most of its produce time per record,
// so the sink packs the outputs of one partition into one Kafka record: the value is NDJSON, one
// output (trade or execution report, the same JSON object as a line of the file sink, without "n")
// per line, or with `--output-format binary` a binary output batch (@ringmatch/protocol: 0xB8
// header, then 96-byte output slots); headers `ringmatch-seq`/`ringmatch-idx` give the position of the LAST output in it,
// `ringmatch-first` ("seq.idx") the first and `ringmatch-count` how many (see @ringmatch/kafka).
import { COUNT_HEADER } from '@ringmatch/kafka';
import {
  OutputKind,
  decodeOutputBatch,
  defaultSymbolTable,
  encodeDepthJson,
  encodeReportJson,
  encodeTradeJson,
  isOutputBatch,
  type SymbolTable,
} from '@ringmatch/protocol';

/** Joins output JSON objects into one packed record value (NDJSON, no trailing newline). */
export function packOutputs(values: Array<string | Buffer>): Buffer {
  let text = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    text += (i === 0 ? '' : '\n') + (typeof v === 'string' ? v : v.toString('utf8'));
  }
  return Buffer.from(text, 'utf8');
}

/** A packed record whose line count does not match its `ringmatch-count` header. */
export class PackedRecordError extends Error {
  override readonly name = 'PackedRecordError';
}

/**
 * The output JSON lines of one Kafka record (packed or not, JSON or binary), in order: a binary
 * batch is decoded and rendered as the JSON the json format would carry (symbol names from
 * `symbols`, by default the Kafka engine's table). Checks the count header when present.
 */
export function unpackOutputs(
  value: Buffer | string | null,
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>,
  symbols: SymbolTable = defaultSymbols(),
): string[] {
  if (value === null || value.length === 0) return [];
  const lines =
    typeof value !== 'string' && isOutputBatch(value)
      ? decodeOutputBatch(value).map((o) =>
          o.kind === OutputKind.Trade
            ? encodeTradeJson(o.trade, symbols)
            : o.kind === OutputKind.Report
              ? encodeReportJson(o.report, symbols)
              : encodeDepthJson(o.depth, symbols),
        )
      : (typeof value === 'string' ? value : value.toString('utf8')).split('\n');
  const raw = headers?.[COUNT_HEADER];
  if (raw !== undefined) {
    const one = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const count = Number(Buffer.isBuffer(one) ? one.toString('utf8') : String(one));
    if (count !== lines.length) throw new PackedRecordError(`packed record holds ${lines.length} outputs, header ${COUNT_HEADER} says ${count}`);
  }
  return lines;
}

let kafkaSymbols: SymbolTable | null = null;
function defaultSymbols(): SymbolTable {
  return (kafkaSymbols ??= defaultSymbolTable());
}
