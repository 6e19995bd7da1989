// Acceptance checks of a new order: quantity, prices and their grids, enum ranges, and the
// conditions decided against the book before acceptance (market into an empty side, post-only
// that would cross, FOK that cannot fill).
import * as protocol from '@ringmatch/protocol';
import type { Command } from '@ringmatch/protocol';
import type { Book } from './book.js';
import type { Matcher } from './matching.js';
import type { AccountStpModes } from './self-trade.js';

// The protocol's enums as module constants, which V8 folds (README: Keeping it fast).
const { Field, OrderType, Reason, Side, StpMode, TimeInForce } = protocol;

export class NewOrderChecks {
  /** The field a non-zero `check` result is about. */
  field = 0;

  constructor(
    private readonly matcher: Matcher,
    private readonly stp: AccountStpModes,
  ) {}

  /** 0 when `cmd` may enter `book`, else a Reason (its field in `field`). */
  check(cmd: Command, book: Book): number {
    const qty = cmd.qty;
    if (!(qty > 0) || !Number.isSafeInteger(qty)) return this.fail(Reason.InvalidQuantity, Field.Qty);
    if (!book.onLotGrid(qty)) return this.fail(Reason.QtyOffLot, Field.Qty);
    const type = cmd.type;
    const tif = cmd.tif;
    const side = cmd.side;
    if (side !== Side.Buy && side !== Side.Sell) return this.fail(Reason.InvalidOrderType, Field.Side);
    if (type === OrderType.Limit || type === OrderType.StopLimit) {
      if (!(cmd.price > 0) || !Number.isSafeInteger(cmd.price)) return this.fail(Reason.InvalidPrice, Field.Price);
      if (!book.onTickGrid(cmd.price)) return this.fail(Reason.PriceOffTick, Field.Price);
    } else if (type === OrderType.Market || type === OrderType.Stop) {
      if (cmd.price !== 0) return this.fail(Reason.InvalidPrice, Field.Price);
    } else return this.fail(Reason.InvalidOrderType, Field.Type);
    const isStop = type === OrderType.Stop || type === OrderType.StopLimit;
    if (isStop) {
      if (!(cmd.stopPrice > 0) || !Number.isSafeInteger(cmd.stopPrice)) return this.fail(Reason.InvalidStopPrice, Field.StopPrice);
      if (!book.onTickGrid(cmd.stopPrice)) return this.fail(Reason.PriceOffTick, Field.StopPrice);
    } else if (cmd.stopPrice !== 0) return this.fail(Reason.InvalidStopPrice, Field.StopPrice);
    if (tif > TimeInForce.PostOnly || (tif === TimeInForce.PostOnly && type !== OrderType.Limit)) return this.fail(Reason.InvalidOrderType, Field.Tif);
    if (cmd.stp > StpMode.CancelBoth) return this.fail(Reason.InvalidOrderType, Field.Stp);
    const opp = book.ladders[side ^ 1]!;
    if (!isStop) {
      if (type === OrderType.Market && opp.count === 0) return this.fail(Reason.NoLiquidity, Field.None);
      if (tif === TimeInForce.PostOnly && this.matcher.crosses(opp, side, cmd.price)) return this.fail(Reason.PostOnlyWouldCross, Field.Price);
      if (tif === TimeInForce.FOK && !this.matcher.canFill(opp, side, type === OrderType.Market ? NaN : cmd.price, qty, cmd.accountId, this.stp.effective(cmd)))
        return this.fail(Reason.FokCannotFill, Field.Qty);
    }
    return 0;
  }

  private fail(reason: number, field: number): number {
    this.field = field;
    return reason;
  }
}
