// The report of an order's state change, read straight from its record: the book sets the few
// values that belong to the event (command, status, fill) and the sink reads the order's identity,
// prices and quantities through getters over the order pool. No copy of the record per report; a
// sink that keeps a report copies it (copyReport) during onReport, while the record is current.
import type { ExecStatus, ExecutionReport, OrderType, Side, TimeInForce } from '@ringmatch/protocol';
import type { OrderPool } from './order-pool.js';

export class OrderReport implements ExecutionReport {
  seq = 0;
  timestamp = 0;
  status: ExecStatus = 0 as ExecStatus;
  reason = 0;
  /** Only decode rejects name a field, and those are not order reports. */
  readonly field = 0;
  lastQty = 0;
  lastPrice = 0;
  tradeId = 0;
  /** Only decode rejects carry a source position. */
  readonly sourceStream = -1;
  readonly sourcePosition = -1;
  /** Slot of the order whose record the getters read. */
  slot = 0;

  constructor(private readonly orders: OrderPool) {}

  get symbolId(): number {
    return this.orders.symbol(this.slot);
  }
  get orderId(): number {
    return this.orders.id(this.slot);
  }
  get accountId(): number {
    return this.orders.account(this.slot);
  }
  get side(): Side {
    return this.orders.side(this.slot) as Side;
  }
  get type(): OrderType {
    return this.orders.type(this.slot) as OrderType;
  }
  get tif(): TimeInForce {
    return this.orders.tif(this.slot) as TimeInForce;
  }
  get price(): number {
    return this.orders.price(this.slot);
  }
  get stopPrice(): number {
    return this.orders.stopPrice(this.slot);
  }
  get qty(): number {
    return this.orders.qty(this.slot);
  }
  get cumQty(): number {
    return this.orders.cumQty(this.slot);
  }
  get leavesQty(): number {
    return this.orders.leavesQty(this.slot);
  }
}
