// The book's public data shapes: the output sink, counters, L2 depth, a live order's state and
// the engine's options.
import type { ExecutionReport, OrderType, Side, StpMode, SymbolTable, TimeInForce, Trade } from '@ringmatch/protocol';

/**
 * Receives outputs. The report/trade objects are reused, and a report may read its fields from the
 * order's record (getters): keep a copy made during the call (copyReport, createTrade).
 */
export interface BookSink {
  onReport(report: ExecutionReport): void;
  onTrade(trade: Trade): void;
}

export interface EngineCounters {
  commands: number;
  newOrders: number;
  cancels: number;
  amends: number;
  invalid: number;
  rejected: number;
  trades: number;
  volume: number;
  triggered: number;
  expired: number;
  stpCancels: number;
}

export interface DepthLevel {
  price: number;
  qty: number;
  orders: number;
}

export interface L2Depth {
  symbolId: number;
  bids: DepthLevel[];
  asks: DepthLevel[];
}

export interface OrderInfo {
  orderId: number;
  symbolId: number;
  accountId: number;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  /** Effective STP mode (never Default). */
  stp: StpMode;
  price: number;
  stopPrice: number;
  qty: number;
  cumQty: number;
  leavesQty: number;
  /** true while an untriggered stop. */
  pendingStop: boolean;
}

export interface MatchingEngineOptions {
  symbols: SymbolTable;
  /** Initial order pool size (grows by doubling). */
  initialOrders?: number;
  /** Initial price level pool size (grows by doubling). */
  initialLevels?: number;
}

/** What the depth tracker reads of a book (MatchingEngine, or the engine's native book). */
export interface LevelsSource {
  readonly symbols: SymbolTable;
  /** The top `max` levels of one side, best first, into the arrays from index `at`; returns how many. */
  topLevels(symbolId: number, side: Side, max: number, prices: Float64Array, qtys: Float64Array, orders: Int32Array, at: number): number;
}
