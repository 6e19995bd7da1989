// `ringmatch repair --truncate-at SEQ`: the operator's explicit cut of a damaged WAL, the only
// way past corruption (recovery refuses it). Everything from SEQ on goes: the log's records, the
// snapshots whose books include them, and the output lines they produced, so that the data dir is
// exactly what a run that stopped before SEQ leaves; the next run takes SEQ onward from its source.
import fs from 'node:fs';
import path from 'node:path';
import { repairWal, snapshotFiles } from '@ringmatch/wal';
import { fsyncDirectory } from './atomic-file.js';
import { UsageError, type RepairConfig } from './config.js';
import { WAL_DIR } from './datadir-files.js';
import { DataDirLock } from './lock.js';
import { BOOK_FILE, REPORTS_FILE, TRADES_FILE, cutOutputsFrom } from './output-file.js';

export function runRepair(config: RepairConfig, out: (line: string) => void): void {
  const walDir = path.join(config.dataDir, WAL_DIR);
  if (!fs.existsSync(walDir)) throw new UsageError(`no WAL in ${config.dataDir} (expected ${walDir})`);
  const { lock } = DataDirLock.acquire(config.dataDir, 'ringmatch repair');
  try {
    const cut = repairWal(walDir, { truncateAt: config.truncateAt });
    const removedSnapshots: string[] = [];
    for (const info of snapshotFiles(walDir)) {
      if (info.sequence < config.truncateAt) continue;
      fs.rmSync(info.path);
      removedSnapshots.push(info.file);
    }
    if (removedSnapshots.length > 0) fsyncDirectory(walDir);
    const outputBytes = [TRADES_FILE, REPORTS_FILE, BOOK_FILE].map(
      (name) => [name, cutOutputsFrom(path.join(config.dataDir, name), config.truncateAt)] as const,
    );
    const lost = cut.lostTo === null ? `${cut.lostFrom} and after` : `${cut.lostFrom}..${cut.lostTo}`;
    out(`cut the WAL of ${config.dataDir} at sequence ${config.truncateAt} (${cut.segment} byte ${cut.offset}); sequences ${lost} are gone`);
    if (cut.removedSegments.length > 0) out(`removed segments: ${cut.removedSegments.join(', ')}`);
    if (removedSnapshots.length > 0) out(`removed snapshots at or after the cut: ${removedSnapshots.join(', ')}`);
    for (const [name, bytes] of outputBytes) if (bytes > 0) out(`cut ${bytes} bytes of outputs of sequences >= ${config.truncateAt} from ${name}`);
    out(`the next 'ringmatch run' continues at sequence ${config.truncateAt} with what its source delivers`);
  } finally {
    lock.release();
  }
}
