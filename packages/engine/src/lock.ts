// One engine per data dir: `engine.lock` names the process that owns the dir (pid, host, the
// kernel's start time of that pid), as PostgreSQL's postmaster.pid does. It is created atomically
// (a complete temp file hard-linked into place, which fails if the lock exists), so a reader never
// sees a half-written lock. A lock whose process is gone (SIGKILL, power loss) is taken over at
// once; the start time tells a reused pid from the owner. Not covered: two hosts sharing the dir
// over a network file system (a lock from another host is refused, never taken over).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Refusal } from './refusal.js';

export const LOCK_FILE = 'engine.lock';
/** Held only for the moment a stale lock is replaced, so that two engines cannot both replace it. */
export const TAKEOVER_DIR = 'engine.lock.takeover';
/** A takeover marker older than this was left by a process that died in those few instructions. */
const TAKEOVER_STALE_MS = 10_000;
const ATTEMPTS = 50;

export interface LockOwner {
  pid: number;
  host: string;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), null where /proc is absent. */
  startTicks: string | null;
  command: string;
  since: string;
}

function procStat(pid: number): { state: string; startTicks: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTicks: fields[19] ?? '' };
  } catch {
    return null;
  }
}

function selfOwner(command: string): LockOwner {
  return { pid: process.pid, host: os.hostname(), startTicks: procStat(process.pid)?.startTicks ?? null, command, since: new Date().toISOString() };
}

/** True when the owner is certainly gone: same host, and no such process (or a zombie, or a reused pid). */
function ownerIsGone(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = procStat(owner.pid);
  if (stat === null) return false;
  if (stat.state === 'Z') return true;
  return owner.startTicks !== null && stat.startTicks !== owner.startTicks;
}

function readOwner(file: string): LockOwner | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'unreadable';
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isSafeInteger(owner.pid) && typeof owner.host === 'string') return owner;
  } catch {
    // fall through
  }
  return 'unreadable';
}

const sameOwner = (a: LockOwner, b: LockOwner): boolean => a.pid === b.pid && a.host === b.host && a.startTicks === b.startTicks;

/** Bounded pause between attempts (a lock being replaced by another process is gone in microseconds). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class DataDirLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {
    process.once('exit', this.onExit);
  }

  /**
   * Takes the lock of `dataDir` (created if needed) or throws a Refusal (exit 2) naming the process
   * that holds it. `tookOver` is set when a dead engine's lock was replaced.
   */
  static acquire(dataDir: string, command: string): { lock: DataDirLock; tookOver: LockOwner | null } {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, LOCK_FILE);
    const owner = selfOwner(command);
    const tmp = path.join(dataDir, `${LOCK_FILE}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
    let tookOver: LockOwner | null = null;
    try {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        try {
          fs.linkSync(tmp, file);
          return { lock: new DataDirLock(file, owner), tookOver };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const holder = readOwner(file);
        if (holder === 'absent') continue; // released meanwhile: try again
        if (holder === 'unreadable') {
          throw new Refusal(`data dir ${dataDir} is locked by ${file}, which cannot be read: if no engine uses this dir, delete that file and run again`, 2);
        }
        if (!ownerIsGone(holder)) {
          const where = holder.host === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
          throw new Refusal(
            `data dir ${dataDir} is in use by another ringmatch (${where}, ${holder.command}, since ${holder.since}): stop it first, or use another --data-dir`,
            2,
          );
        }
        if (DataDirLock.replaceStale(dataDir, file, holder, tmp)) {
          tookOver = holder;
          return { lock: new DataDirLock(file, owner), tookOver };
        }
        pause(1 + attempt);
      }
      throw new Refusal(`could not take the lock ${file} after ${ATTEMPTS} attempts (another engine is starting on this dir?)`, 2);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Replaces a dead owner's lock with ours, serialised by the takeover marker; false to retry. */
  private static replaceStale(dataDir: string, file: string, stale: LockOwner, tmp: string): boolean {
    const marker = path.join(dataDir, TAKEOVER_DIR);
    try {
      fs.mkdirSync(marker);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - fs.statSync(marker).mtimeMs > TAKEOVER_STALE_MS) fs.rmdirSync(marker);
      } catch {
        // removed by its owner meanwhile
      }
      return false;
    }
    try {
      const current = readOwner(file);
      // Someone else replaced it first (then that lock is live): let the caller look again.
      if (current !== 'absent' && (current === 'unreadable' || !sameOwner(current, stale))) return false;
      fs.rmSync(file, { force: true });
      try {
        fs.linkSync(tmp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false; // a fresh lock won the race
        throw error;
      }
      return true;
    } finally {
      fs.rmdirSync(marker);
    }
  }

  /** Removes the lock if it is still ours. Idempotent; also runs at process exit. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    const current = readOwner(this.file);
    if (typeof current === 'object' && sameOwner(current, this.owner)) fs.rmSync(this.file, { force: true });
  }
}

/** The live engine holding `dataDir`, if any (replay and inspect use it to refuse or to warn). */
export function liveOwner(dataDir: string): LockOwner | null {
  const holder = readOwner(path.join(dataDir, LOCK_FILE));
  if (typeof holder !== 'object') return null;
  if (holder.pid === process.pid && holder.host === os.hostname()) return null;
  return ownerIsGone(holder) ? null : holder;
}
