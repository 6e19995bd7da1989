// Self-trade prevention: which mode an order runs under (its own, else its account's default) and
// what a match against a resting order of the same account does under each mode.
import { StpMode, type Command } from '@ringmatch/protocol';

/** A self-match under `mode` cancels the resting order (CancelOldest, CancelBoth). */
export function stpCancelsResting(mode: number): boolean {
  return mode === StpMode.CancelOldest || mode === StpMode.CancelBoth;
}

/** A self-match under `mode` cancels the incoming order, which stops matching (CancelNewest, CancelBoth). */
export function stpCancelsIncoming(mode: number): boolean {
  return mode !== StpMode.CancelOldest;
}

/** Per-account default modes, used by orders whose own mode is Default. */
export class AccountStpModes {
  private readonly modes = new Map<number, StpMode>();

  /** Default and None both mean "no account default". */
  set(accountId: number, mode: StpMode): void {
    if (mode === StpMode.Default || mode === StpMode.None) this.modes.delete(accountId);
    else this.modes.set(accountId, mode);
  }

  get(accountId: number): StpMode {
    return this.modes.get(accountId) ?? StpMode.None;
  }

  /** The mode a new order runs under (never Default). */
  effective(cmd: Command): number {
    return cmd.stp === StpMode.Default ? (this.modes.get(cmd.accountId) ?? StpMode.None) : cmd.stp;
  }

  /** [account, mode] pairs by account id (a deterministic order for snapshots). */
  sorted(): [number, StpMode][] {
    return [...this.modes.entries()].sort((a, b) => a[0] - b[0]);
  }

  clear(): void {
    this.modes.clear();
  }
}
