import { copyReport, createTrade, encodeReportJson, encodeTradeJson, type ExecutionReport, type SymbolTable, type Trade } from '@ringmatch/protocol';
import type { BookSink } from './types.js';

export type BookOutput = { kind: 'report'; report: ExecutionReport } | { kind: 'trade'; trade: Trade };

/** Keeps a copy of every output, in order (tests, tools; allocates per output). */
export class CollectingSink implements BookSink {
  readonly outputs: BookOutput[] = [];
  onReport(report: ExecutionReport): void {
    this.outputs.push({ kind: 'report', report: copyReport(report) });
  }
  onTrade(trade: Trade): void {
    this.outputs.push({ kind: 'trade', trade: createTrade(trade) });
  }
  get reports(): ExecutionReport[] {
    return this.outputs.flatMap((o) => (o.kind === 'report' ? [o.report] : []));
  }
  get trades(): Trade[] {
    return this.outputs.flatMap((o) => (o.kind === 'trade' ? [o.trade] : []));
  }
  clear(): void {
    this.outputs.length = 0;
  }
}

/** Counts outputs and folds them into a checksum (benches; no allocation). */
export class CountingSink implements BookSink {
  reports = 0;
  trades = 0;
  checksum = 0;
  onReport(r: ExecutionReport): void {
    this.reports++;
    this.checksum = (Math.imul(this.checksum, 31) + r.status + r.orderId + r.leavesQty) | 0;
  }
  onTrade(t: Trade): void {
    this.trades++;
    this.checksum = (Math.imul(this.checksum, 31) + t.price + t.qty) | 0;
  }
}

/** Encodes every output as one NDJSON line (stable field order). */
export class NdjsonSink implements BookSink {
  readonly lines: string[] = [];
  constructor(private readonly symbols?: SymbolTable) {}
  onReport(r: ExecutionReport): void {
    this.lines.push(encodeReportJson(r, this.symbols));
  }
  onTrade(t: Trade): void {
    this.lines.push(encodeTradeJson(t, this.symbols));
  }
}
