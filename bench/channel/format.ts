// Piscina task of the channel baseline: formats one batch of output slots into NDJSON lines
// (a stateless transform, which is what a worker pool fits).
import {
  OutputKind,
  createReport,
  createTrade,
  defaultSymbolTable,
  encodeReportJson,
  encodeTradeJson,
  readOutput,
  syntheticSymbolTable,
  OUTPUT_SLOT_BYTES,
  type SymbolTable,
} from '@ringmatch/protocol';

const tables = new Map<number, SymbolTable>();

function tableFor(n: number): SymbolTable {
  let symbols = tables.get(n);
  if (!symbols) tables.set(n, (symbols = n > 0 ? syntheticSymbolTable(n) : defaultSymbolTable()));
  return symbols;
}

/** Kafka variant: one record per output (kind 0 trade / 1 report, symbol key, JSON, seq, index). */
export interface FormattedOutputs {
  kinds: number[];
  keys: string[];
  values: string[];
  seqs: number[];
  idx: number[];
}

export function formatOutputRecords(task: { bytes: ArrayBuffer; count: number; symbols: number }): FormattedOutputs {
  const symbols = tableFor(task.symbols);
  const bytes = new Uint8Array(task.bytes);
  const report = createReport();
  const trade = createTrade();
  const out: FormattedOutputs = { kinds: [], keys: [], values: [], seqs: [], idx: [] };
  let lastSeq = -1;
  let n = 0;
  for (let k = 0; k < task.count; k++) {
    const kind = readOutput(bytes, k * OUTPUT_SLOT_BYTES, report, trade);
    const seq = kind === OutputKind.Trade ? trade.seq : report.seq;
    n = seq === lastSeq ? n + 1 : 0;
    lastSeq = seq;
    const isTrade = kind === OutputKind.Trade;
    const symbolId = isTrade ? trade.symbolId : report.symbolId;
    out.kinds.push(isTrade ? 0 : 1);
    out.keys.push(symbols.nameOf(symbolId) ?? String(symbolId));
    out.values.push(isTrade ? encodeTradeJson(trade, symbols) : encodeReportJson(report, symbols));
    out.seqs.push(seq);
    out.idx.push(n);
  }
  return out;
}

export default function formatOutputs(task: { bytes: ArrayBuffer; count: number; symbols: number; reports: boolean }): string {
  const symbols = tableFor(task.symbols);
  const bytes = new Uint8Array(task.bytes);
  const report = createReport();
  const trade = createTrade();
  let out = '';
  // Line index within a sequence, per file (as the ring engine's sink numbers them).
  let lastTradeSeq = -1;
  let tradeIndex = 0;
  let lastReportSeq = -1;
  let reportIndex = 0;
  for (let k = 0; k < task.count; k++) {
    const kind = readOutput(bytes, k * OUTPUT_SLOT_BYTES, report, trade);
    if (kind === OutputKind.Trade) {
      tradeIndex = trade.seq === lastTradeSeq ? tradeIndex + 1 : 0;
      lastTradeSeq = trade.seq;
      out += `{"n":${tradeIndex},${encodeTradeJson(trade, symbols).slice(1)}\n`;
    } else if (task.reports) {
      reportIndex = report.seq === lastReportSeq ? reportIndex + 1 : 0;
      lastReportSeq = report.seq;
      out += `{"n":${reportIndex},${encodeReportJson(report, symbols).slice(1)}\n`;
    }
  }
  return out;
}
