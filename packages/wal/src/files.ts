// The files of a WAL directory, found by name: segments (oldest first) and snapshots (newest first).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SEGMENT_PREFIX, SEGMENT_SUFFIX, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX, SPARE_SEGMENT_NAME, parseSeqName } from './format.js';

export interface SegmentFile {
  file: string;
  path: string;
  /** First sequence from the file name. */
  firstSequence: number;
}

/** Files of `dir` named prefix + sequence + suffix (none when the directory does not exist). */
function filesBySequence(dir: string, prefix: string, suffix: string): { file: string; path: string; sequence: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: { file: string; path: string; sequence: number }[] = [];
  for (const file of names) {
    const sequence = parseSeqName(file, prefix, suffix);
    if (sequence !== null) out.push({ file, path: path.join(dir, file), sequence });
  }
  return out;
}

/** Segment files, oldest (lowest first sequence) first. */
export function segmentFiles(dir: string): SegmentFile[] {
  return filesBySequence(dir, SEGMENT_PREFIX, SEGMENT_SUFFIX)
    .map(({ file, path: p, sequence }) => ({ file, path: p, firstSequence: sequence }))
    .sort((a, b) => a.firstSequence - b.firstSequence);
}

export interface SnapshotFileInfo {
  file: string;
  path: string;
  sequence: number;
  size: number;
}

/** Snapshot files, newest (highest sequence) first. */
export function snapshotFiles(dir: string): SnapshotFileInfo[] {
  return filesBySequence(dir, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX)
    .map((f) => ({ ...f, size: statSync(f.path).size }))
    .sort((a, b) => b.sequence - a.sequence);
}

/**
 * True for every name the WAL itself creates in its directory: segments, snapshots, their temp
 * files and the spare segment (a data dir's owner may delete these, and nothing else, on a wipe).
 */
export function isWalFileName(name: string): boolean {
  if (name === SPARE_SEGMENT_NAME) return true;
  const base = name.endsWith('.tmp') ? name.slice(0, -'.tmp'.length) : name;
  return parseSeqName(base, SEGMENT_PREFIX, SEGMENT_SUFFIX) !== null || parseSeqName(base, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX) !== null;
}
