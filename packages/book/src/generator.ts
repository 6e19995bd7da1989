// Seeded, deterministic, realistic order-flow generator: limit adds near the touch, cancels and
// amends of live orders, marketable flow, and a sprinkling of IOC / FOK / post-only / stops and
// per-order STP. Same seed + options => the same command stream, on any machine.
//
// To cancel and amend orders that are really live (not ones that already traded), the generator
// runs every command it emits through a private shadow MatchingEngine and forgets orders as soon
// as they fill, expire, get cancelled or rejected. That keeps the book's size stationary (adds
// turn into cancels when `livePerSymbol` orders are live) at the cost of matching each command
// twice (the generator costs about one matcher).
import {
  CommandKind,
  OrderType,
  Side,
  StpMode,
  TimeInForce,
  createCommand,
  syntheticSymbolTable,
  ExecStatus,
  type Command,
  type ExecutionReport,
  type SymbolTable,
} from '@ringmatch/protocol';
import { MatchingEngine } from './matching-engine.js';
import type { BookSink } from './types.js';
import { IdMap } from './idmap.js';

/** Relative weights of the command mix (need not sum to 1). */
export interface FlowMix {
  /** Passive limit adds (GTC) near the touch. */
  limit: number;
  /** Cancels of live orders. */
  cancel: number;
  /** Marketable orders: market orders and crossing limits (GTC or IOC). */
  marketable: number;
  /** Amends of live orders (shrink keeps priority; reprice / grow lose it). */
  amend: number;
  /** FOK, post-only, stop and stop-limit orders. */
  special: number;
}

export const DEFAULT_MIX: FlowMix = { limit: 55, cancel: 28, marketable: 10, amend: 4, special: 3 };
/** What nodejs-order-book also supports: limit adds, market orders, cancels. */
export const SUBSET_MIX: FlowMix = { limit: 60, cancel: 30, marketable: 10, amend: 0, special: 0 };

export interface OrderFlowOptions {
  seed: number;
  /** A symbol table, or a count of synthetic symbols (default 1). */
  symbols?: SymbolTable | number;
  /** Number of accounts (ids 1..accounts, default 1000). */
  accounts?: number;
  mix?: Partial<FlowMix>;
  /**
   * Subset mode: only limit GTC adds, market orders and cancels with stp None, i.e. what
   * nodejs-order-book supports (default false). Implies SUBSET_MIX unless `mix` is given.
   */
  subset?: boolean;
  /** First order id (default 1); ids increase by one per new order. */
  firstOrderId?: number;
  /** Timestamp of the first command and the step between commands (default 1.7e15 us, 1). */
  timestampStart?: number;
  timestampStep?: number;
  /** Live orders per symbol the flow aims at; adds turn into cancels above it (default 1024). */
  livePerSymbol?: number;
  /** Fraction of new orders carrying an explicit STP mode (default 0.05; 0 in subset mode). */
  stpRate?: number;
  /**
   * Track fills with a private shadow book (default true): cancels/amends then always target live
   * orders. false halves the generator's cost; cancels then pick remembered orders blindly (about
   * a fifth of the commands become "unknown order" rejects, as many orders have traded).
   */
  shadowBook?: boolean;
}

class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) | 0;
    for (let i = 0; i < 4; i++) this.u32();
  }
  /** mulberry32 */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.u32() * 2.3283064365386963e-10 * n);
  }
  chance(p: number): boolean {
    return this.u32() < p * 4294967296;
  }
}

interface SymState {
  id: number;
  tick: number;
  lot: number;
  /** Mid price in ticks. */
  mid: number;
  /** Reference price in ticks the mid reverts to. */
  ref: number;
  /** Live orders (per the shadow book): id, account, side, price; `index` maps id -> position. */
  liveIds: Float64Array;
  liveAcct: Uint32Array;
  liveSide: Uint8Array;
  livePrice: Float64Array;
  liveN: number;
  index: IdMap;
}

export class OrderFlowGenerator {
  readonly symbols: SymbolTable;
  private readonly rng: Prng;
  private readonly syms: SymState[];
  private readonly symById: (SymState | undefined)[] = [];
  private readonly accounts: number;
  private readonly cum: Float64Array;
  private readonly subset: boolean;
  private readonly stpRate: number;
  private nextOrderId: number;
  private ts: number;
  private readonly tsStep: number;
  private readonly cap: number;
  private readonly shadow: MatchingEngine | null;
  private readonly shadowSink: BookSink;
  /** Commands generated so far. */
  count = 0;

  constructor(options: OrderFlowOptions) {
    this.symbols = typeof options.symbols === 'object' ? options.symbols : syntheticSymbolTable(options.symbols ?? 1);
    if (this.symbols.size === 0) throw new RangeError('OrderFlowGenerator needs at least one symbol');
    this.rng = new Prng(options.seed);
    this.accounts = Math.max(1, options.accounts ?? 1000);
    this.subset = options.subset ?? false;
    this.stpRate = this.subset ? 0 : (options.stpRate ?? 0.05);
    this.cap = Math.max(16, options.livePerSymbol ?? 1024);
    const mix = { ...(this.subset ? SUBSET_MIX : DEFAULT_MIX), ...options.mix };
    if (this.subset) {
      mix.amend = 0;
      mix.special = 0;
    }
    const w = [mix.limit, mix.cancel, mix.marketable, mix.amend, mix.special];
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError('mix weights must sum to a positive number');
    this.cum = new Float64Array(5);
    let acc = 0;
    for (let i = 0; i < 5; i++) this.cum[i] = acc += w[i]! / total;
    this.nextOrderId = options.firstOrderId ?? 1;
    this.ts = options.timestampStart ?? 1_700_000_000_000_000;
    this.tsStep = options.timestampStep ?? 1;
    this.syms = this.symbols.list().map((d) => {
      const mid = Math.max(200, Math.round((d.refPrice ?? d.tickSize * 10_000) / d.tickSize));
      const st: SymState = {
        id: d.id,
        tick: d.tickSize,
        lot: d.lotSize,
        mid,
        ref: mid,
        liveIds: new Float64Array(this.cap),
        liveAcct: new Uint32Array(this.cap),
        liveSide: new Uint8Array(this.cap),
        livePrice: new Float64Array(this.cap),
        liveN: 0,
        index: new IdMap(this.cap),
      };
      this.symById[d.id] = st;
      return st;
    });
    this.shadow = options.shadowBook === false ? null : new MatchingEngine({ symbols: this.symbols, initialOrders: 1024, initialLevels: 256 });
    const self = this;
    this.shadowSink = {
      onReport(r: ExecutionReport): void {
        const st = r.status;
        if (st === ExecStatus.Filled || st === ExecStatus.Cancelled || st === ExecStatus.Expired || st === ExecStatus.Rejected)
          self.forget(r.symbolId, r.orderId);
      },
      onTrade(): void {},
    };
  }

  /** Fills `into` (or a new command) with the next command of the stream and returns it. */
  next(into: Command = createCommand()): Command {
    const r = this.rng;
    const s = this.syms[this.syms.length === 1 ? 0 : r.int(this.syms.length)]!;
    this.count++;
    into.seq = 0;
    into.symbolId = s.id;
    into.timestamp = this.ts;
    this.ts += this.tsStep;
    into.sourceStream = -1;
    into.sourcePosition = -1;
    into.reason = 0;
    into.field = 0;
    into.stopPrice = 0;
    into.stp = this.subset ? StpMode.None : StpMode.Default;
    // slow, mean-reverting random walk of the mid (keeps the traded price range bounded)
    if (r.chance(0.03)) {
      const pull = (s.ref - s.mid) / 100;
      s.mid += r.chance(0.5 + (pull > 0.3 ? 0.3 : pull < -0.3 ? -0.3 : pull)) ? 1 : -1;
    }
    const u = r.u32() / 4294967296;
    const c = this.cum;
    let pick = u < c[0]! ? 0 : u < c[1]! ? 1 : u < c[2]! ? 2 : u < c[3]! ? 3 : 4;
    if ((pick === 1 || pick === 3) && s.liveN === 0) pick = 0;
    if (pick === 0 && s.liveN >= this.cap) pick = 1; // keep the book's size stationary
    switch (pick) {
      case 0:
        this.passive(s, into);
        break;
      case 1:
        this.cancel(s, into);
        break;
      case 2:
        this.marketable(s, into);
        break;
      case 3:
        this.amend(s, into);
        break;
      default:
        this.special(s, into);
    }
    if (this.shadow !== null) this.shadow.process(into, this.shadowSink);
    return into;
  }

  /** Fills an array of n fresh commands. */
  take(n: number): Command[] {
    const out: Command[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next(createCommand());
    return out;
  }

  private qty(s: SymState): number {
    const r = this.rng;
    const lots = r.chance(0.9) ? 1 + r.int(10) : 10 + r.int(90);
    return lots * s.lot;
  }

  private base(s: SymState, into: Command, side: Side): void {
    into.kind = CommandKind.New;
    into.side = side;
    into.orderId = this.nextOrderId++;
    into.accountId = 1 + this.rng.int(this.accounts);
    into.qty = this.qty(s);
    into.type = OrderType.Limit;
    into.tif = TimeInForce.GTC;
    if (this.stpRate > 0 && this.rng.chance(this.stpRate)) into.stp = (StpMode.None + this.rng.int(4)) as StpMode;
  }

  /** Distance from the touch in ticks, skewed towards 0. */
  private depthTicks(): number {
    const r = this.rng;
    const a = r.int(8);
    const b = r.int(8);
    return a < b ? a : b;
  }

  /** Remembers a new order as live (the shadow book forgets it again when it completes). */
  private track(s: SymState, c: Command): void {
    if (s.liveN >= this.cap) return;
    const i = s.liveN++;
    s.liveIds[i] = c.orderId;
    s.liveAcct[i] = c.accountId;
    s.liveSide[i] = c.side;
    s.livePrice[i] = c.price;
    s.index.set(c.orderId, i);
  }

  private forget(symbolId: number, orderId: number): void {
    const s = this.symById[symbolId];
    if (s === undefined) return;
    const k = s.index.get(orderId);
    if (k < 0) return;
    s.index.delete(orderId);
    const last = --s.liveN;
    if (k !== last) {
      s.liveIds[k] = s.liveIds[last]!;
      s.liveAcct[k] = s.liveAcct[last]!;
      s.liveSide[k] = s.liveSide[last]!;
      s.livePrice[k] = s.livePrice[last]!;
      s.index.set(s.liveIds[k]!, k);
    }
  }

  private passive(s: SymState, into: Command): void {
    const side = this.rng.chance(0.5) ? Side.Buy : Side.Sell;
    this.base(s, into, side);
    const d = 1 + this.depthTicks();
    into.price = (side === Side.Buy ? s.mid - d : s.mid + d) * s.tick;
    this.track(s, into);
  }

  /** A live order, recent ones preferred (most cancels hit fresh quotes). */
  private pickLive(s: SymState): number {
    const n = s.liveN;
    return this.rng.chance(0.7) ? n - 1 - this.rng.int(Math.min(n, 64)) : this.rng.int(n);
  }

  private cancel(s: SymState, into: Command): void {
    const k = this.pickLive(s);
    into.kind = CommandKind.Cancel;
    into.orderId = s.liveIds[k]!;
    into.accountId = s.liveAcct[k]!;
    into.side = Side.Buy;
    into.type = OrderType.Limit;
    into.tif = TimeInForce.GTC;
    into.price = 0;
    into.qty = 0;
    if (this.shadow === null) this.forget(s.id, into.orderId);
  }

  private amend(s: SymState, into: Command): void {
    const r = this.rng;
    const k = this.pickLive(s);
    into.kind = CommandKind.Amend;
    into.orderId = s.liveIds[k]!;
    into.accountId = s.liveAcct[k]!;
    into.side = Side.Buy;
    into.type = OrderType.Limit;
    into.tif = TimeInForce.GTC;
    into.price = 0;
    into.qty = 0;
    const what = r.int(10);
    if (what < 5)
      into.qty = (1 + r.int(3)) * s.lot; // usually a shrink: keeps priority
    else if (what < 8 && s.livePrice[k] !== 0) {
      const side = s.liveSide[k]!;
      const d = 1 + this.depthTicks();
      into.price = (side === Side.Buy ? s.mid - d : s.mid + d) * s.tick;
      s.livePrice[k] = into.price;
    } else into.qty = this.qty(s) + 10 * s.lot; // grow: loses priority
  }

  private marketable(s: SymState, into: Command): void {
    const r = this.rng;
    const side = r.chance(0.5) ? Side.Buy : Side.Sell;
    this.base(s, into, side);
    if (r.chance(0.4)) {
      into.type = OrderType.Market;
      into.price = 0;
      return;
    }
    const d = r.int(4);
    into.price = (side === Side.Buy ? s.mid + d : s.mid - d) * s.tick;
    if (!this.subset && r.chance(0.5)) into.tif = TimeInForce.IOC;
    else this.track(s, into);
  }

  private special(s: SymState, into: Command): void {
    const r = this.rng;
    const side = r.chance(0.5) ? Side.Buy : Side.Sell;
    this.base(s, into, side);
    const sign = side === Side.Buy ? 1 : -1;
    switch (r.int(4)) {
      case 0: // FOK near or through the touch
        into.tif = TimeInForce.FOK;
        into.price = (s.mid + sign * r.int(3)) * s.tick;
        return;
      case 1: // post-only near the touch (some will cross and be rejected)
        into.tif = TimeInForce.PostOnly;
        into.price = (s.mid - sign * r.int(3)) * s.tick;
        this.track(s, into);
        return;
      case 2: // stop-market beyond the touch
        into.type = OrderType.Stop;
        into.price = 0;
        into.stopPrice = (s.mid + sign * (1 + r.int(6))) * s.tick;
        this.track(s, into);
        return;
      default: // stop-limit
        into.type = OrderType.StopLimit;
        into.stopPrice = (s.mid + sign * (1 + r.int(6))) * s.tick;
        into.price = into.stopPrice + sign * r.int(3) * s.tick;
        if (r.chance(0.3)) into.tif = TimeInForce.IOC;
        this.track(s, into);
    }
  }
}
