// Execution reports: rejects fill one reused report object from the command; every report of an
// accepted order (ACCEPTED and each later state change) is a view of its record (order-report.ts).
import * as protocol from '@ringmatch/protocol';
import { createReport, type Command, type ExecutionReport } from '@ringmatch/protocol';
import { OrderReport } from './order-report.js';
import type { OrderPool } from './order-pool.js';
import type { BookSink, EngineCounters } from './types.js';

// The protocol's enums as module constants, which V8 folds (README: Keeping it fast).
const { ExecStatus, Reason } = protocol;

export class Reports {
  private readonly rep: ExecutionReport = createReport();
  private readonly view: OrderReport;

  constructor(
    orders: OrderPool,
    private readonly counters: EngineCounters,
  ) {
    this.view = new OrderReport(orders);
  }

  /** REJECTED, from the command's values (counted in `rejected`). */
  reject(cmd: Command, reason: number, field: number, sink: BookSink): void {
    this.counters.rejected++;
    const r = this.rep;
    r.seq = cmd.seq;
    r.timestamp = cmd.timestamp;
    r.status = ExecStatus.Rejected;
    r.reason = reason;
    r.field = field;
    r.symbolId = cmd.symbolId;
    r.orderId = cmd.orderId;
    r.accountId = cmd.accountId;
    r.side = cmd.side;
    r.type = cmd.type;
    r.tif = cmd.tif;
    r.price = cmd.price;
    r.stopPrice = cmd.stopPrice;
    r.qty = cmd.qty;
    r.cumQty = 0;
    r.leavesQty = 0;
    r.lastQty = 0;
    r.lastPrice = 0;
    r.tradeId = 0;
    sink.onReport(r);
  }

  /**
   * Undecodable input: the reject says where it came from. Set and cleared here only, so the
   * reused report costs the other paths nothing.
   */
  rejectInvalid(cmd: Command, sink: BookSink): void {
    this.rep.sourceStream = cmd.sourceStream;
    this.rep.sourcePosition = cmd.sourcePosition;
    try {
      this.reject(cmd, cmd.reason || Reason.Malformed, cmd.field, sink);
    } finally {
      this.rep.sourceStream = -1;
      this.rep.sourcePosition = -1;
    }
  }

  /** ACCEPTED: order `o`'s record, just made from the command, holds the command's values. */
  accepted(cmd: Command, o: number, sink: BookSink): void {
    this.order(cmd, o, ExecStatus.Accepted, 0, 0, 0, 0, sink);
  }

  /** A state change of order `o`, from its record; lastQty/lastPrice/tradeId describe a fill (0 otherwise). */
  order(cmd: Command, o: number, status: protocol.ExecStatus, reason: number, lastQty: number, lastPrice: number, tradeId: number, sink: BookSink): void {
    const r = this.view;
    r.seq = cmd.seq;
    r.timestamp = cmd.timestamp;
    r.status = status;
    r.reason = reason;
    r.slot = o;
    r.lastQty = lastQty;
    r.lastPrice = lastPrice;
    r.tradeId = tradeId;
    sink.onReport(r);
  }
}
