// `ringmatch replay` and `ringmatch inspect`: offline views of a data dir, built from the WAL and
// snapshots alone (the same code path the matcher uses at start-up).
import fs from 'node:fs';
import path from 'node:path';
import { MatchingEngine, type BookSink } from '@ringmatch/book';
import {
  commandToJson,
  createCommand,
  defaultSymbolTable,
  encodeTradeJson,
  readCommand,
  syntheticSymbolTable,
  type SymbolTable,
} from '@ringmatch/protocol';
import { listSegments, listSnapshots, readLatestSnapshot, readRecords } from '@ringmatch/wal';
import { UsageError, type InspectConfig, type ReplayConfig } from './config.js';
import { readMeta } from './datadir.js';
import { TRADES_FILE, recoverOutputFile } from './output-file.js';

function open(dataDir: string): { walDir: string; symbols: SymbolTable } {
  const walDir = path.join(dataDir, 'wal');
  if (!fs.existsSync(walDir)) throw new UsageError(`no WAL in ${dataDir} (expected ${walDir})`);
  const meta = readMeta(dataDir);
  const symbols = meta?.symbolTable.kind === 'synthetic' ? syntheticSymbolTable(meta.symbolTable.count) : defaultSymbolTable();
  return { walDir, symbols };
}

export interface ReplaySummary {
  snapshotSequence: number | null;
  firstSequence: number | null;
  lastSequence: number | null;
  commands: number;
  trades: number;
  reports: number;
  books: { symbol: string; bestBid: number | null; bestAsk: number | null; bidLevels: number; askLevels: number }[];
}

/**
 * Rebuilds the books from the newest snapshot plus the WAL; `onTrade` gets each trade line.
 * `fromStart` ignores snapshots and replays the whole log (it must still start at sequence 1).
 */
export function replayDataDir(dataDir: string, onTrade?: (line: string) => void, fromStart = false): ReplaySummary {
  const { walDir, symbols } = open(dataDir);
  const engine = new MatchingEngine({ symbols });
  const snapshot = fromStart ? null : readLatestSnapshot(walDir).snapshot;
  if (snapshot) engine.restore(snapshot.data);
  if (fromStart) {
    const first = listSegments(walDir)[0]?.firstSequence;
    if (first !== undefined && first > 1) throw new UsageError(`the WAL starts at sequence ${first}: earlier segments were deleted after a snapshot, replay without --from-start`);
  }
  let trades = 0;
  let reports = 0;
  const sink: BookSink = {
    onReport() {
      reports++;
    },
    onTrade(trade) {
      trades++;
      onTrade?.(encodeTradeJson(trade, symbols));
    },
  };
  const cmd = createCommand();
  let first: number | null = null;
  let last: number | null = null;
  let commands = 0;
  for (const record of readRecords(walDir, snapshot ? snapshot.sequence + 1 : 0)) {
    readCommand(record.payload, 0, cmd);
    engine.process(cmd, sink);
    first ??= record.sequence;
    last = record.sequence;
    commands++;
  }
  const books = symbols.list().map((def) => {
    const depth = engine.depth(def.id, 1_000_000);
    const bid = engine.bestBid(def.id);
    const ask = engine.bestAsk(def.id);
    return {
      symbol: def.name,
      bestBid: depth.bids.length ? bid : null,
      bestAsk: depth.asks.length ? ask : null,
      bidLevels: depth.bids.length,
      askLevels: depth.asks.length,
    };
  });
  return { snapshotSequence: snapshot?.sequence ?? null, firstSequence: first, lastSequence: last, commands, trades, reports, books };
}

export function runReplay(config: ReplayConfig, out: (line: string) => void): void {
  const summary = replayDataDir(config.dataDir, config.printTrades ? out : undefined, config.fromStart);
  if (config.printTrades) {
    if (summary.snapshotSequence !== null) {
      process.stderr.write(`[ringmatch] trades of sequences <= ${summary.snapshotSequence} are in the snapshot's past (their WAL segments may be gone); printed: the ${summary.trades} after it\n`);
    }
    return;
  }
  if (config.json) {
    out(JSON.stringify(summary));
    return;
  }
  out(`snapshot: ${summary.snapshotSequence ?? 'none'}; WAL records replayed: ${summary.commands} (sequences ${summary.firstSequence ?? '-'}..${summary.lastSequence ?? '-'})`);
  out(`outputs of the replayed records: ${summary.trades} trades, ${summary.reports} execution reports`);
  for (const book of summary.books) {
    out(`  ${book.symbol.padEnd(10)} bid ${String(book.bestBid ?? '-').padStart(10)} (${book.bidLevels} levels)  ask ${String(book.bestAsk ?? '-').padStart(10)} (${book.askLevels} levels)`);
  }
}

export function runInspect(config: InspectConfig, out: (line: string) => void): void {
  const { walDir, symbols } = open(config.dataDir);
  const emit = (value: unknown, text: () => string): void => out(config.json ? JSON.stringify(value) : text());
  switch (config.what) {
    case 'segments':
      for (const s of listSegments(walDir)) {
        emit(s, () => `${s.file} first=${s.firstSequence} last=${s.lastSequence ?? '-'} records=${s.records} used=${s.usedBytes}/${s.fileSize} ${s.status}`);
      }
      return;
    case 'snapshots':
      for (const s of listSnapshots(walDir)) emit(s, () => `${s.file} sequence=${s.sequence} bytes=${s.size} ${s.status}`);
      return;
    case 'records': {
      const cmd = createCommand();
      let n = 0;
      for (const record of readRecords(walDir, config.from)) {
        readCommand(record.payload, 0, cmd);
        const line = commandToJson(cmd, symbols);
        out(config.json ? line : `${record.sequence} ${line}`);
        if (++n >= config.limit) break;
      }
      return;
    }
    case 'summary': {
      const segments = listSegments(walDir);
      const snapshots = listSnapshots(walDir);
      const last = segments.reduce<number | null>((acc, s) => (s.lastSequence !== null && (acc === null || s.lastSequence > acc) ? s.lastSequence : acc), null);
      const tradesPosition = recoverOutputFile(path.join(config.dataDir, TRADES_FILE), { truncate: false });
      const trades = tradesPosition.seq >= 0 ? tradesPosition.seq : null;
      const summary = {
        segments: segments.length,
        records: segments.reduce((a, s) => a + s.records, 0),
        firstSequence: segments[0]?.firstSequence ?? null,
        lastSequence: last,
        snapshots: snapshots.map((s) => ({ sequence: s.sequence, status: s.status })),
        tradesFileLastSequence: trades,
        corrupt: segments.filter((s) => s.status !== 'ok').map((s) => ({ file: s.file, status: s.status, at: s.corruptAt })),
      };
      emit(summary, () =>
        [
          `WAL: ${summary.segments} segment(s), ${summary.records} records, sequences ${summary.firstSequence ?? '-'}..${summary.lastSequence ?? '-'}`,
          `snapshots: ${summary.snapshots.map((s) => `${s.sequence}(${s.status})`).join(', ') || 'none'}`,
          `trades file: last trade from sequence ${trades ?? '-'} (the WAL ends at ${last ?? '-'}; later commands may simply not have traded)`,
          ...summary.corrupt.map((c) => `corrupt: ${c.file} at ${c.at}: ${c.status}`),
        ].join('\n'),
      );
      return;
    }
  }
}
