// Operator and media faults in words an operator can act on: one line naming the file, the
// sequence where one applies, and the way out. Errors that are none of these are bugs and keep
// their stack trace.
import { Refusal } from './refusal.js';

export interface FaultFacts {
  name?: string;
  code?: string;
  message: string;
  stack?: string;
  /** errno errors: the file and the call. */
  path?: string;
  syscall?: string;
  /** WalCorruptError */
  segment?: string;
  offset?: number;
  sequence?: number;
  reason?: string;
  /** The errno error a WalFatalError wraps. */
  cause?: FaultFacts;
}

/** The plain facts of an error, safe to post between threads. */
export function faultFacts(error: unknown): FaultFacts {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & Partial<FaultFacts> & { errno?: number };
  const facts: FaultFacts = { name: e.name, message: e.message, stack: e.stack };
  for (const key of ['code', 'path', 'syscall', 'segment', 'reason'] as const) if (typeof e[key] === 'string') facts[key] = e[key];
  for (const key of ['offset', 'sequence'] as const) if (typeof e[key] === 'number') facts[key] = e[key];
  if (e.cause !== undefined && e.cause !== error) facts.cause = faultFacts(e.cause);
  return facts;
}

const ERRNO_ADVICE: Record<string, string> = {
  ENOSPC:
    'the disk is full: free space on that device (or use a --data-dir elsewhere) and run again; everything acknowledged is in the WAL and the engine resumes from it',
  EDQUOT: 'the disk quota is used up: free space and run again; the engine resumes from the WAL',
  EROFS: 'the file system is read-only: remount it read-write or use another --data-dir',
  EACCES: 'permission denied: fix the permissions of the data dir or run as its owner',
  EPERM: 'operation not permitted: fix the permissions of the data dir or run as its owner',
  EIO: 'the device reported an I/O error: check the disk (dmesg); the engine never retries a failed write, restart it once the disk is healthy',
  ENOENT: 'a file is missing',
  EISDIR: 'a directory is where a file was expected',
  ENOTDIR: 'a file is where a directory was expected',
  EMFILE: 'too many open files: raise the limit (ulimit -n)',
};

/** Faults whose message is already the one line, the way out included. */
const ONE_LINE_CODES = new Set(['KAFKA_PARTITION_TAKEN', 'SOURCE_FILE_SHRANK', 'KAFKA_RECORD_LIMIT', 'KAFKA_START']);

function errnoOf(facts: FaultFacts): FaultFacts | null {
  if (facts.code && ERRNO_ADVICE[facts.code]) return facts;
  return facts.cause ? errnoOf(facts.cause) : null;
}

/** One line for a known operator or media fault of `dataDir`, null for anything else (a bug). */
export function describeFault(facts: FaultFacts, dataDir: string): string | null {
  if (facts.code === 'WAL_CORRUPT' && facts.sequence !== undefined) {
    return (
      `${facts.message}; nothing was changed. Look: ringmatch inspect --data-dir ${dataDir} --what segments. ` +
      `Only if the source can deliver sequence ${facts.sequence} and later again: ringmatch repair --data-dir ${dataDir} --truncate-at ${facts.sequence}`
    );
  }
  if (ONE_LINE_CODES.has(facts.code ?? '')) return facts.message;
  if (facts.code === 'WAL_RECOVERY') {
    return `${facts.message}: the books cannot be rebuilt exactly from what is left in ${dataDir}; restore the missing snapshot or WAL segments from a backup, or start over with --fresh`;
  }
  const errno = errnoOf(facts);
  if (errno) {
    const where = errno.path ? `${errno.syscall ?? 'access'} ${errno.path}` : `${errno.syscall ?? 'write'} in ${dataDir}`;
    const durable = facts.code === 'WAL_FATAL' ? ` (${facts.message.replace(/:.*$/, '')})` : '';
    return `${errno.code} on ${where}${durable}: ${ERRNO_ADVICE[errno.code!]}`;
  }
  return null;
}

/** Runs an offline command on `dataDir`, turning a known fault into a Refusal with its one line. */
export function refusingFaults<T>(dataDir: string, command: () => T): T {
  try {
    return command();
  } catch (error) {
    if (error instanceof Refusal) throw error;
    const line = describeFault(faultFacts(error), dataDir);
    throw line === null ? error : new Refusal(line);
  }
}
