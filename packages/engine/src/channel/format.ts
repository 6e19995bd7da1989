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
  let lastSeq = -1;
  let n = 0;
  for (let k = 0; k < task.count; k++) {
    const kind = readOutput(bytes, k * OUTPUT_SLOT_BYTES, report, trade);
    const seq = kind === OutputKind.Trade ? trade.seq : report.seq;
    n = seq === lastSeq ? n + 1 : 0;
    lastSeq = seq;
    if (kind === OutputKind.Trade) out += `{"n":${n},${encodeTradeJson(trade, symbols).slice(1)}\n`;
    else if (task.reports) out += `{"n":${n},${encodeReportJson(report, symbols).slice(1)}\n`;
  }
  return out;
}
