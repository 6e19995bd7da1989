// Symbol table: names <-> ids with tick size and lot size (both integers in the symbol's price /
// quantity units). Ids are 1..65535 (u16 in the slot; 0 is never a valid symbol id).

export interface SymbolDef {
  id: number;
  name: string;
  /** Prices must be positive multiples of tickSize. */
  tickSize: number;
  /** Quantities must be positive multiples of lotSize. */
  lotSize: number;
  /** Reference price (integer, on the tick grid) used by the order-flow generator. */
  refPrice?: number;
}

export class SymbolTable {
  private readonly byIdArr: (SymbolDef | undefined)[] = [];
  private readonly byNameMap = new Map<string, SymbolDef>();
  private readonly all: SymbolDef[] = [];

  constructor(defs: readonly SymbolDef[] = []) {
    for (const d of defs) this.add(d);
  }

  add(def: SymbolDef): SymbolDef {
    const { id, name, tickSize, lotSize } = def;
    if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new RangeError(`symbol id must be 1..65535, got ${id}`);
    if (typeof name !== 'string' || name.length === 0) throw new RangeError('symbol name must be a non-empty string');
    if (!Number.isSafeInteger(tickSize) || tickSize < 1) throw new RangeError(`tickSize must be a positive integer (${name})`);
    if (!Number.isSafeInteger(lotSize) || lotSize < 1) throw new RangeError(`lotSize must be a positive integer (${name})`);
    if (this.byIdArr[id]) throw new RangeError(`duplicate symbol id ${id}`);
    if (this.byNameMap.has(name)) throw new RangeError(`duplicate symbol name ${name}`);
    const frozen = Object.freeze({ ...def });
    this.byIdArr[id] = frozen;
    this.byNameMap.set(name, frozen);
    this.all.push(frozen);
    return frozen;
  }

  byId(id: number): SymbolDef | undefined {
    return this.byIdArr[id];
  }

  byName(name: string): SymbolDef | undefined {
    return this.byNameMap.get(name);
  }

  /** Id of a symbol name, or -1. */
  idOf(name: string): number {
    return this.byNameMap.get(name)?.id ?? -1;
  }

  /** Name of a symbol id, or undefined. */
  nameOf(id: number): string | undefined {
    return this.byIdArr[id]?.name;
  }

  has(id: number): boolean {
    return this.byIdArr[id] !== undefined;
  }

  list(): readonly SymbolDef[] {
    return this.all;
  }

  get size(): number {
    return this.all.length;
  }

  /** Highest symbol id (0 when empty). */
  get maxId(): number {
    return this.byIdArr.length === 0 ? 0 : this.byIdArr.length - 1;
  }

  toJSON(): SymbolDef[] {
    return this.all.map((d) => ({ ...d }));
  }
}

/** A handful of symbols for the embedded engine (prices in cents, quantities in units). */
const DEFAULT_SYMBOLS: readonly SymbolDef[] = Object.freeze([
  { id: 1, name: 'BTC-USD', tickSize: 1, lotSize: 1, refPrice: 6_500_000 },
  { id: 2, name: 'ETH-USD', tickSize: 1, lotSize: 1, refPrice: 350_000 },
  { id: 3, name: 'SOL-USD', tickSize: 1, lotSize: 10, refPrice: 15_000 },
  { id: 4, name: 'AAPL', tickSize: 1, lotSize: 1, refPrice: 19_000 },
  { id: 5, name: 'MSFT', tickSize: 1, lotSize: 1, refPrice: 42_000 },
  { id: 6, name: 'TSLA', tickSize: 1, lotSize: 1, refPrice: 25_000 },
  { id: 7, name: 'EUR-USD', tickSize: 5, lotSize: 1000, refPrice: 108_000 },
  { id: 8, name: 'ES-FUT', tickSize: 25, lotSize: 1, refPrice: 520_000 },
]);

export function defaultSymbolTable(): SymbolTable {
  return new SymbolTable(DEFAULT_SYMBOLS);
}

/**
 * A table of `count` synthetic symbols named SYM0001.. with tick sizes 1/5/10 and lot sizes
 * 1/10/100 in rotation (benches and tests that want many symbols).
 */
export function syntheticSymbolTable(count: number): SymbolTable {
  const ticks = [1, 5, 10];
  const lots = [1, 10, 100];
  const defs: SymbolDef[] = [];
  for (let i = 1; i <= count; i++) {
    const tickSize = ticks[i % 3]!;
    defs.push({
      id: i,
      name: `SYM${String(i).padStart(4, '0')}`,
      tickSize,
      lotSize: lots[(i >> 1) % 3]!,
      refPrice: tickSize * (1000 + ((i * 7919) % 9000)),
    });
  }
  return new SymbolTable(defs);
}
