// Piscina task of the channel baseline: formats one batch of output slots into NDJSON lines
// (a stateless transform, which is what a worker pool fits).
import { OutputKind, createReport, createTrade, encodeReportJson, encodeTradeJson, readOutput, syntheticSymbolTable, OUTPUT_SLOT_BYTES, type SymbolTable } from '@ringmatch/protocol';

const tables = new Map<number, SymbolTable>();

export default function formatOutputs(task: { bytes: ArrayBuffer; count: number; symbols: number; reports: boolean }): string {
  let symbols = tables.get(task.symbols);
  if (!symbols) tables.set(task.symbols, (symbols = syntheticSymbolTable(task.symbols)));
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
