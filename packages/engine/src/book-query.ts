// `ringmatch book`: one symbol's L2 book from a data dir alone, exact at a sequence: the newest
// readable snapshot at or before it, then the WAL records up to it through the books (the code the
// engine's start-up replays with). Read-only; refused while an engine runs on the dir.
import { MatchingEngine, type BookSink, type DepthLevel } from '@ringmatch/book';
import { listSegments, readSnapshotFile, snapshotFiles } from '@ringmatch/wal';
import { UsageError, type BookQueryConfig } from './config.js';
import { Refusal } from './refusal.js';
import { openForReading } from './replay.js';
import { replayRecords, restoreBase } from './wal-replay.js';
import { replayBaseOf, type ReplayBase } from './output-rebuild.js';

export interface BookAt {
  symbol: string;
  /** The sequence the book is exact at: every command up to it, none after. */
  seq: number;
  /** The snapshot the books were restored from (null: rebuilt from the WAL's start). */
  snapshot: number | null;
  bids: DepthLevel[];
  asks: DepthLevel[];
}

const discard: BookSink = { onReport() {}, onTrade() {} };

/** The newest readable snapshot at or before `at`, or null when the WAL itself reaches back to sequence 1. */
function baseAt(walDir: string, at: number, firstInLog: number, dataDir: string): ReplayBase | null {
  for (const info of snapshotFiles(walDir)) {
    if (info.sequence > at) continue;
    const snapshot = readSnapshotFile(info);
    if (typeof snapshot === 'string') continue; // damaged: an older one or the WAL may still reach
    if (snapshot.sequence + 1 < firstInLog) break; // the records after it are gone
    return replayBaseOf(snapshot);
  }
  if (firstInLog <= 1) return null;
  throw new Refusal(
    `no snapshot of ${dataDir} at or before sequence ${at} is readable with the WAL records after it (the WAL starts at ${firstInLog}): ask for a later sequence (--at)`,
    2,
  );
}

export function bookAt(config: BookQueryConfig): BookAt {
  const { walDir, symbols } = openForReading(config.dataDir, 'replay');
  const symbolId = symbols.idOf(config.symbol);
  if (symbolId < 0) {
    throw new UsageError(
      `--symbol ${JSON.stringify(config.symbol)} is not in the data dir's symbol table (${symbols
        .list()
        .map((d) => d.name)
        .join(', ')})`,
    );
  }
  const segments = listSegments(walDir);
  const firstInLog = segments[0]?.firstSequence ?? 1;
  const lastInLog = segments.reduce<number | null>((last, s) => s.lastSequence ?? last, null) ?? 0;
  const at = config.at ?? lastInLog;
  if (at > lastInLog) throw new UsageError(`--at ${at}: the WAL of ${config.dataDir} ends at sequence ${lastInLog}`);
  const engine = new MatchingEngine({ symbols });
  const base = baseAt(walDir, at, firstInLog, config.dataDir);
  restoreBase(engine, base);
  const from = (base?.sequence ?? 0) + 1;
  if (at >= from) replayRecords(engine, walDir, from, at, discard);
  const depth = engine.depth(symbolId, config.levels);
  return { symbol: config.symbol, seq: at, snapshot: base?.sequence ?? null, bids: depth.bids, asks: depth.asks };
}

/** Prints the book: a ladder (asks above, best last; bids below, best first), or one JSON object. */
export function runBookQuery(config: BookQueryConfig, out: (line: string) => void): void {
  const book = bookAt(config);
  if (config.json) {
    out(JSON.stringify(book));
    return;
  }
  out(
    `${book.symbol} at sequence ${book.seq} (${book.snapshot === null ? 'from the WAL start' : `snapshot ${book.snapshot} + WAL`}), top ${config.levels} levels`,
  );
  const row = (side: string, l: DepthLevel): string =>
    `  ${side}  ${String(l.price).padStart(12)}  ${String(l.qty).padStart(12)}  ${String(l.orders).padStart(6)}`;
  out(`  side  ${'price'.padStart(12)}  ${'qty'.padStart(12)}  ${'orders'.padStart(6)}`);
  for (const level of [...book.asks].reverse()) out(row('ask ', level));
  if (book.asks.length === 0 && book.bids.length === 0) out('  (empty book)');
  for (const level of book.bids) out(row('bid ', level));
}
