// `ringmatch replay` and `ringmatch inspect`: offline views of a data dir, built from the WAL and
// snapshots alone. Replay plans its recovery and rebuilds the books with the very functions the
// engine's start-up uses (recovery-plan.ts, wal-replay.ts), read-only.
import fs from 'node:fs';
import path from 'node:path';
import { MatchingEngine, type BookSink } from '@ringmatch/book';
import {
  commandToJson,
  createCommand,
  defaultSymbolTable,
  encodeDepthJson,
  encodeTradeJson,
  readCommand,
  syntheticSymbolTable,
  type SymbolTable,
} from '@ringmatch/protocol';
import { DepthFeed } from './depth-feed.js';
import { describeWal, listSegments, listSnapshots, readRecords, type WalSummary } from '@ringmatch/wal';
import { UsageError, type DepthConfig, type InspectConfig, type ReplayConfig } from './config.js';
import { readMeta } from './datadir.js';
import { WAL_DIR } from './datadir-files.js';
import { planRecovery } from './recovery-plan.js';
import { replayRecords, restoreBase } from './wal-replay.js';
import { liveOwner } from './lock.js';
import { Refusal } from './refusal.js';
import { describeFault } from './fault.js';
import { TRADES_FILE, recoverOutputFile } from './output-file.js';

/** The WAL dir and symbol table of a data dir, for reading it offline; refused while an engine runs on it unless `use` is inspect (a note then). */
export function openForReading(dataDir: string, use: 'replay' | 'inspect'): { walDir: string; symbols: SymbolTable } {
  const walDir = path.join(dataDir, WAL_DIR);
  if (!fs.existsSync(walDir)) throw new UsageError(`no WAL in ${dataDir} (expected ${walDir})`);
  const owner = liveOwner(dataDir);
  if (owner && use === 'replay') {
    throw new Refusal(`data dir ${dataDir} is in use by ringmatch pid ${owner.pid}: its WAL is still growing; replay it once that engine has stopped`, 2);
  }
  if (owner) process.stderr.write(`[ringmatch] note: ringmatch pid ${owner.pid} is running on ${dataDir}; the WAL's end may be in flight\n`);
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

/** The depth stream an offline replay makes: the run's settings, and where each line goes. */
export interface ReplayDepth extends DepthConfig {
  onLine(line: string): void;
}

/**
 * Rebuilds the books from the newest snapshot plus the WAL; `onTrade` gets each trade line and
 * `depth.onLine` each line of the depth stream (as book.ndjson holds it, without "n").
 * `fromStart` ignores snapshots and replays the whole log (it must still start at sequence 1).
 */
export function replayDataDir(dataDir: string, onTrade?: (line: string) => void, fromStart = false, depth?: ReplayDepth): ReplaySummary {
  const { walDir, symbols } = openForReading(dataDir, 'replay');
  if (fromStart) {
    const first = listSegments(walDir)[0]?.firstSequence;
    if (first !== undefined && first > 1)
      throw new Refusal(
        `the WAL of ${dataDir} starts at sequence ${first}: earlier segments were deleted after a snapshot, so the trade log cannot be derived from sequence 1; replay without --from-start`,
      );
  }
  const plan = planRecovery(walDir, [], { readOnly: true, fromStart });
  const engine = new MatchingEngine({ symbols });
  const restored = restoreBase(engine, plan.base);
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
  const feed = depth ? new DepthFeed(engine, depth, { onDepth: (update) => depth.onLine(encodeDepthJson(update, symbols)) }) : null;
  feed?.start(restored?.depth ?? null, plan.base?.sequence ?? 0);
  let first: number | null = null;
  let last: number | null = null;
  const commands = replayRecords(engine, walDir, plan.replayFrom, plan.replayTo, sink, {
    onCommand: (cmd, batchEnd) => {
      feed?.afterCommand(cmd, batchEnd);
      first ??= cmd.seq;
      last = cmd.seq;
    },
  });
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
  return { snapshotSequence: plan.base?.sequence ?? null, firstSequence: first, lastSequence: last, commands, trades, reports, books };
}

export function runReplay(config: ReplayConfig, out: (line: string) => void): void {
  const depth = config.printDepth ? { ...config.printDepth, onLine: out } : undefined;
  const summary = replayDataDir(config.dataDir, config.printTrades ? out : undefined, config.fromStart, depth);
  if (config.printTrades || depth) {
    if (summary.snapshotSequence !== null) {
      const what = depth ? 'depth lines' : 'trades';
      process.stderr.write(
        `[ringmatch] ${what} of sequences <= ${summary.snapshotSequence} are in the snapshot's past (their WAL segments may be gone); printed: the ${depth ? 'lines' : summary.trades} after it\n`,
      );
    }
    return;
  }
  if (config.json) {
    out(JSON.stringify(summary));
    return;
  }
  out(
    `snapshot: ${summary.snapshotSequence ?? 'none'}; WAL records replayed: ${summary.commands} (sequences ${summary.firstSequence ?? '-'}..${summary.lastSequence ?? '-'})`,
  );
  out(`outputs of the replayed records: ${summary.trades} trades, ${summary.reports} execution reports`);
  for (const book of summary.books) {
    out(
      `  ${book.symbol.padEnd(10)} bid ${String(book.bestBid ?? '-').padStart(10)} (${book.bidLevels} levels)  ask ${String(book.bestAsk ?? '-').padStart(10)} (${book.askLevels} levels)`,
    );
  }
}

/** A corrupt WAL as the one line an operator reads, with the way out. */
function corruption(dataDir: string, problem: NonNullable<WalSummary['problem']>): Refusal {
  return new Refusal(
    describeFault(
      {
        code: 'WAL_CORRUPT',
        message: `WAL corrupt: ${path.join(dataDir, WAL_DIR, problem.segment)} at byte ${problem.offset} (sequence ${problem.sequence}): ${problem.reason}`,
        sequence: problem.sequence,
      },
      dataDir,
    )!,
  );
}

/**
 * Prints what a data dir holds. Read-only. A corrupt WAL prints everything it can and then fails
 * (exit 1): a listing that stops at corruption must not look complete.
 */
export function runInspect(config: InspectConfig, out: (line: string) => void): number {
  const { walDir, symbols } = openForReading(config.dataDir, 'inspect');
  const emit = (value: unknown, text: () => string): void => out(config.json ? JSON.stringify(value) : text());
  const verdict = (wal: WalSummary): number => {
    if (wal.problem?.kind !== 'corrupt') return 0;
    process.stderr.write(`ringmatch: ${corruption(config.dataDir, wal.problem).message}\n`);
    return 1;
  };
  switch (config.what) {
    case 'segments': {
      const wal = describeWal(walDir);
      for (const s of wal.segments) {
        emit(
          s,
          () =>
            `${s.file} first=${s.firstSequence} last=${s.lastSequence ?? '-'} records=${s.records} used=${s.usedBytes}/${s.fileSize} ${s.status}${s.warnings.map((w) => `; warning at ${w.offset}: ${w.reason}`).join('')}`,
        );
      }
      return verdict(wal);
    }
    case 'snapshots':
      for (const s of listSnapshots(walDir)) emit(s, () => `${s.file} sequence=${s.sequence} bytes=${s.size} ${s.status}`);
      return 0;
    case 'records': {
      const cmd = createCommand();
      let n = 0;
      for (const record of readRecords(walDir, config.from)) {
        readCommand(record.payload, 0, cmd);
        const line = commandToJson(cmd, symbols);
        out(config.json ? line : `${record.sequence} ${line}`);
        if (++n >= config.limit) break;
      }
      return 0;
    }
    case 'summary': {
      const wal = describeWal(walDir);
      let trades: { lastSequence: number | null; note: string | null };
      try {
        const position = recoverOutputFile(path.join(config.dataDir, TRADES_FILE), { truncate: false });
        const note =
          position.truncatedBytes > 0
            ? `the next run cuts its ${position.damagedLine ? 'damaged' : 'torn'} last line (${position.truncatedBytes} bytes)`
            : null;
        trades = { lastSequence: position.seq >= 0 ? position.seq : null, note };
      } catch (error) {
        trades = { lastSequence: null, note: (error as Error).message };
      }
      const summary = {
        segments: wal.segments.length,
        records: wal.records,
        firstSequence: wal.firstSequence,
        lastSequence: wal.lastSequence,
        snapshots: wal.snapshots.map((s) => ({ sequence: s.sequence, status: s.status })),
        tradesFileLastSequence: trades.lastSequence,
        tradesFileNote: trades.note,
        problem: wal.problem,
        warnings: wal.warnings,
      };
      emit(summary, () =>
        [
          `WAL: ${summary.segments} segment(s), ${summary.records} records, sequences ${summary.firstSequence ?? '-'}..${summary.lastSequence ?? '-'}`,
          `snapshots: ${summary.snapshots.map((s) => `${s.sequence}(${s.status})`).join(', ') || 'none'}`,
          `trades file: last trade from sequence ${trades.lastSequence ?? '-'} (the WAL ends at ${wal.lastSequence ?? '-'}; later commands may simply not have traded)${trades.note ? `; ${trades.note}` : ''}`,
          ...(wal.problem
            ? [
                `${wal.problem.kind === 'torn' ? 'torn tail (the next run cuts it)' : 'CORRUPT'}: ${wal.problem.segment} at byte ${wal.problem.offset}, sequence ${wal.problem.sequence}: ${wal.problem.reason}`,
              ]
            : []),
          ...wal.warnings.map((w) => `warning: ${w.segment} at byte ${w.offset}: ${w.reason}`),
        ].join('\n'),
      );
      return verdict(wal);
    }
  }
}
