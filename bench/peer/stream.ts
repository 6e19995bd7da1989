// The book-peer command stream: one symbol, a mix both ringmatch and exchange-core express the
// same way (passive and crossing GTC limits, IOC limits, cancels, price moves, size reductions),
// written once to a binary file that both harnesses read. A shadow ringmatch book runs while the
// stream is made, so that cancels, moves and reductions name live orders and a reduction is
// known both as "by X" (exchange-core) and as the size left (ringmatch).
//
// File: a 16-byte header (u32 magic "RMPS", u32 version 1, u32 count, u32 0), then 48-byte
// little-endian records: u8 type, u8 side (0 buy, 1 sell), 6 bytes padding, i64 orderId, i64 uid,
// i64 price (place: limit; move: the new price), i64 size (place: quantity; reduce: by how much),
// i64 newQty (reduce: what is left, for ringmatch).
import fs from 'node:fs';
import { CountingSink, MatchingEngine } from '@ringmatch/book';
import {
  CommandKind,
  OrderType,
  Side,
  StpMode,
  SymbolTable,
  TimeInForce,
  commandToJson,
  createCommand,
  syntheticSymbolTable,
  type Command,
} from '@ringmatch/protocol';

export const PeerCommandType = { PlaceGtc: 0, PlaceIoc: 1, Cancel: 2, Move: 3, Reduce: 4 } as const;
const MAGIC = 0x53504d52; // "RMPS"
const HEADER_BYTES = 16;
const RECORD_BYTES = 48;
/** The stream's one symbol: tick 1 and lot 1, as exchange-core's book sees prices and sizes. */
export const PEER_SYMBOL = 1;
export const peerSymbols = () => new SymbolTable([{ id: PEER_SYMBOL, name: 'PEER', tickSize: 1, lotSize: 1 }]);

/** Shares of each command kind (the rest of 1 is reductions). */
const MIX = { passive: 0.47, crossing: 0.1, ioc: 0.08, cancel: 0.2, move: 0.08 } as const;
const MID = 10_000;
const ACCOUNTS = 1000;

/** mulberry32: a small seeded PRNG (the stream is a pure function of its seed). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `count` commands to `file`; returns how many of each type. */
export function writePeerStream(file: string, count: number, seed: number): Record<string, number> {
  const random = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const shadow = new MatchingEngine({ symbols: peerSymbols() });
  const sink = new CountingSink();
  const cmd = createCommand();
  const bytes = Buffer.alloc(HEADER_BYTES + count * RECORD_BYTES);
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt32LE(1, 4);
  bytes.writeUInt32LE(count, 8);
  /** Ids of GTC orders placed; some have filled or gone since (checked on use). */
  const placed: number[] = [];
  const types = { place_gtc: 0, place_ioc: 0, cancel: 0, move: 0, reduce: 0 };
  let nextId = 1;
  const best = (side: number): number => {
    const p = side === Side.Buy ? shadow.bestBid(PEER_SYMBOL) : shadow.bestAsk(PEER_SYMBOL);
    return p > 0 ? p : side === Side.Buy ? MID - 1 : MID + 1;
  };
  /** A live order, or null after a few tries (the id list is pruned as dead ids are met). */
  const liveOrder = () => {
    for (let tries = 0; tries < 8 && placed.length > 0; tries++) {
      const k = int(Math.max(0, placed.length - 5000), placed.length - 1); // recent orders: near the touch
      const info = shadow.order(placed[k]!);
      if (info) return info;
      placed[k] = placed[placed.length - 1]!;
      placed.pop();
    }
    return null;
  };
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * RECORD_BYTES;
    const u = random();
    let type: number;
    let side = random() < 0.5 ? Side.Buy : Side.Sell;
    let orderId = 0;
    let uid = 0;
    let price = 0;
    let size = 0;
    let newQty = 0;
    const target = u < MIX.passive + MIX.crossing + MIX.ioc ? null : liveOrder();
    if (u < MIX.passive + MIX.crossing + MIX.ioc || target === null) {
      // A place: passive behind the touch, crossing a few ticks through it, or IOC at the touch.
      const kind = u < MIX.passive ? 'passive' : u < MIX.passive + MIX.crossing ? 'crossing' : u < MIX.passive + MIX.crossing + MIX.ioc ? 'ioc' : 'passive';
      const opposite = best(side ^ 1);
      const away = side === Side.Buy ? -1 : 1;
      if (kind === 'passive') price = opposite + away * int(1, 12);
      else if (kind === 'crossing') price = opposite - away * int(0, 3);
      else price = opposite - away * int(0, 1);
      price = Math.max(1, price);
      type = kind === 'ioc' ? PeerCommandType.PlaceIoc : PeerCommandType.PlaceGtc;
      orderId = nextId++;
      uid = int(1, ACCOUNTS);
      size = int(1, 100);
      if (type === PeerCommandType.PlaceGtc) placed.push(orderId);
    } else {
      orderId = target.orderId;
      uid = target.accountId;
      side = target.side;
      if (u < MIX.passive + MIX.crossing + MIX.ioc + MIX.cancel) {
        type = PeerCommandType.Cancel;
      } else if (u < MIX.passive + MIX.crossing + MIX.ioc + MIX.cancel + MIX.move || target.leavesQty < 2) {
        type = PeerCommandType.Move;
        // Toward or away from the touch, sometimes through it; never its own price.
        do price = Math.max(1, best(side) + int(-4, 2) * (side === Side.Buy ? -1 : 1));
        while (price === target.price);
      } else {
        type = PeerCommandType.Reduce;
        size = int(1, target.leavesQty - 1);
        newQty = target.leavesQty - size;
      }
    }
    bytes[at] = type;
    bytes[at + 1] = side;
    bytes.writeBigInt64LE(BigInt(orderId), at + 8);
    bytes.writeBigInt64LE(BigInt(uid), at + 16);
    bytes.writeBigInt64LE(BigInt(price), at + 24);
    bytes.writeBigInt64LE(BigInt(size), at + 32);
    bytes.writeBigInt64LE(BigInt(newQty), at + 40);
    toCommand(type, side, orderId, uid, price, newQty, cmd, size);
    cmd.seq = i + 1;
    shadow.process(cmd, sink);
    types[(['place_gtc', 'place_ioc', 'cancel', 'move', 'reduce'] as const)[type]!]++;
  }
  fs.writeFileSync(file, bytes);
  return types;
}

/** One record as a ringmatch command (a move keeps its size: qty 0; a reduce sets what is left). */
function toCommand(type: number, side: number, orderId: number, uid: number, price: number, newQty: number, into: Command, size = 0): Command {
  into.symbolId = PEER_SYMBOL;
  into.orderId = orderId;
  into.accountId = uid;
  into.side = side as Side;
  into.type = OrderType.Limit;
  into.stp = StpMode.None; // exchange-core's book has no self-trade prevention
  into.stopPrice = 0;
  into.timestamp = 0;
  if (type === PeerCommandType.PlaceGtc || type === PeerCommandType.PlaceIoc) {
    into.kind = CommandKind.New;
    into.tif = type === PeerCommandType.PlaceIoc ? TimeInForce.IOC : TimeInForce.GTC;
    into.price = price;
    into.qty = size;
  } else if (type === PeerCommandType.Cancel) {
    into.kind = CommandKind.Cancel;
    into.price = 0;
    into.qty = 0;
  } else {
    into.kind = CommandKind.Amend;
    into.price = type === PeerCommandType.Move ? price : 0;
    into.qty = type === PeerCommandType.Reduce ? newQty : 0;
  }
  return into;
}

/** The stream as ringmatch commands, built before anything is timed. */
export function readPeerStream(file: string): Command[] {
  const bytes = fs.readFileSync(file);
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== 1) throw new Error(`${file}: not a book-peer stream`);
  const count = bytes.readUInt32LE(8);
  if (bytes.length !== HEADER_BYTES + count * RECORD_BYTES) throw new Error(`${file}: ${bytes.length} bytes for ${count} records`);
  const commands: Command[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * RECORD_BYTES;
    const num = (o: number) => Number(bytes.readBigInt64LE(at + o));
    const c = toCommand(bytes[at]!, bytes[at + 1]!, num(8), num(16), num(24), num(40), createCommand(), num(32));
    c.seq = i + 1;
    commands.push(c);
  }
  return commands;
}

/**
 * The stream as NDJSON order lines for `run --source ndjson:FILE --symbols 8`: its one symbol is
 * written as the synthetic table's SYM0006, the one of those 8 with tick 1 and lot 1.
 */
export function writePeerNdjson(streamFile: string, ndjsonFile: string): void {
  const symbols = syntheticSymbolTable(8);
  const symbolId = FILE_SYMBOL;
  const def = symbols.list().find((d) => d.id === symbolId);
  if (def?.tickSize !== 1 || def?.lotSize !== 1) throw new Error(`synthetic symbol ${symbolId} is not tick 1, lot 1`);
  const fd = fs.openSync(ndjsonFile, 'w');
  try {
    let lines: string[] = [];
    for (const cmd of readPeerStream(streamFile)) {
      cmd.symbolId = symbolId;
      lines.push(commandToJson(cmd, symbols));
      if (lines.length === 10_000) {
        fs.writeSync(fd, `${lines.join('\n')}\n`);
        lines = [];
      }
    }
    if (lines.length > 0) fs.writeSync(fd, `${lines.join('\n')}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The synthetic symbol (of 8) with tick 1 and lot 1: the file form of the stream's symbol. */
export const FILE_SYMBOL = 6;
