// The files a ringmatch data dir may hold. `--fresh` deletes only these, and only in a dir that
// holds nothing else: a wrong --data-dir (a home folder, `..`, `/`) is refused, never emptied.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isWalFileName } from '@ringmatch/wal';
import { LOCK_FILE, TAKEOVER_DIR } from './lock.js';
import { BOOK_FILE, REPORTS_FILE, TRADES_FILE } from './output-file.js';
import { Refusal } from './refusal.js';

export const META_FILE = 'engine.json';
export const WAL_DIR = 'wal';

const TOP_LEVEL_FILES = new Set([META_FILE, `${META_FILE}.tmp`, TRADES_FILE, REPORTS_FILE, BOOK_FILE, LOCK_FILE]);
const LOCK_TEMP = /^engine\.lock\.\d+\.tmp$/;

function entries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Entries of `dataDir` (and its wal/ folder) that the engine did not make, as relative paths. */
export function unknownEntries(dataDir: string): string[] {
  const unknown: string[] = [];
  for (const entry of entries(dataDir)) {
    const name = entry.name;
    if (entry.isFile() && (TOP_LEVEL_FILES.has(name) || LOCK_TEMP.test(name))) continue;
    if (entry.isDirectory() && name === TAKEOVER_DIR) continue;
    if (entry.isDirectory() && name === WAL_DIR) {
      for (const walEntry of entries(path.join(dataDir, WAL_DIR))) {
        if (!(walEntry.isFile() && isWalFileName(walEntry.name))) unknown.push(path.join(WAL_DIR, walEntry.name));
      }
      continue;
    }
    unknown.push(name);
  }
  return unknown;
}

function listed(names: string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

/** Why `dir` must never be wiped whatever it holds, or null. */
function protectedDir(dir: string): string | null {
  const cwd = process.cwd();
  if (dir === path.parse(dir).root) return 'the file system root';
  if (dir === cwd) return 'the current directory';
  if (cwd.startsWith(dir + path.sep)) return 'a parent of the current directory';
  if (dir === os.homedir()) return 'your home directory';
  return null;
}

/**
 * Refuses (exit 2) a --data-dir that is not a directory, a --fresh on a protected or foreign dir,
 * and a run in a non-empty dir the engine did not make. Reads only: nothing is created or deleted.
 */
export function checkDataDir(dataDir: string, fresh: boolean): void {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stat !== null && !stat.isDirectory()) throw new Refusal(`--data-dir ${dataDir} is not a directory`, 2);
  if (fresh) {
    const reason = protectedDir(dataDir);
    if (reason) throw new Refusal(`--fresh refuses to wipe ${dataDir}: it is ${reason}; nothing was deleted`, 2);
  }
  if (stat === null) return;
  const unknown = unknownEntries(dataDir);
  if (unknown.length === 0) return;
  if (fresh) {
    throw new Refusal(
      `--fresh refuses to wipe ${dataDir}: it holds files ringmatch did not make (${listed(unknown)}); nothing was deleted. Choose another --data-dir, or move those files away`,
      2,
    );
  }
  if (!fs.existsSync(path.join(dataDir, META_FILE))) {
    throw new Refusal(`${dataDir} is not a ringmatch data dir (it holds ${listed(unknown)} and no ${META_FILE}): choose an empty or new --data-dir`, 2);
  }
}

/** Deletes the engine's own files of `dataDir` except the lock (call with the lock held, after checkDataDir). */
export function wipeKnownFiles(dataDir: string): string[] {
  const removed: string[] = [];
  const walDir = path.join(dataDir, WAL_DIR);
  for (const entry of entries(walDir)) {
    if (entry.isFile() && isWalFileName(entry.name)) {
      fs.rmSync(path.join(walDir, entry.name));
      removed.push(path.join(WAL_DIR, entry.name));
    }
  }
  if (fs.existsSync(walDir) && entries(walDir).length === 0) fs.rmdirSync(walDir);
  for (const entry of entries(dataDir)) {
    // Another process's lock temp file is its own to remove (it may be about to link it).
    if (entry.isFile() && entry.name !== LOCK_FILE && TOP_LEVEL_FILES.has(entry.name)) {
      fs.rmSync(path.join(dataDir, entry.name));
      removed.push(entry.name);
    }
  }
  return removed;
}
