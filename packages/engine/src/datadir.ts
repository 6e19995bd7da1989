// What a data dir was created with (engine.json), so replay/inspect rebuild with the same symbol
// table and a restart cannot silently read another input; and opening a data dir for a run:
// check it, lock it, wipe it on --fresh, record or check its metadata.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import type { SourceConfig } from './config.js';
import { UsageError, syntheticSymbolCount } from './config.js';
import { META_FILE, checkDataDir, wipeKnownFiles } from './datadir-files.js';
import { DataDirLock, type LockOwner } from './lock.js';
import { Refusal } from './refusal.js';

/** The input a data dir's WAL offsets refer to: a restart must read the same one. */
export type InputIdentity =
  | { kind: 'embedded'; seed: number; symbols: number; accounts: number }
  | { kind: 'ndjson'; file: string; symbols?: number }
  | { kind: 'kafka'; topic: string };

export interface DataDirMeta {
  format: 1;
  /** 'embedded' (and a file read with --symbols) uses `symbols` synthetic symbols; other sources the default table. */
  symbolTable: { kind: 'synthetic'; count: number } | { kind: 'default' };
  source: SourceConfig['kind'];
  /** Absent in data dirs made before it was recorded. */
  input?: InputIdentity;
}

function inputOf(source: SourceConfig): InputIdentity {
  switch (source.kind) {
    case 'embedded':
      return { kind: 'embedded', seed: source.seed, symbols: source.symbols, accounts: source.accounts };
    case 'ndjson':
      // symbols only when given: data dirs made before --symbols applied to files compare equal
      return source.symbols === null ? { kind: 'ndjson', file: source.file } : { kind: 'ndjson', file: source.file, symbols: source.symbols };
    case 'kafka':
      return { kind: 'kafka', topic: source.topic };
  }
}

export function metaFor(source: SourceConfig): DataDirMeta {
  const synthetic = syntheticSymbolCount(source);
  return {
    format: 1,
    symbolTable: synthetic === null ? { kind: 'default' } : { kind: 'synthetic', count: synthetic },
    source: source.kind,
    input: inputOf(source),
  };
}

/** engine.json of `dataDir`, null when there is none; a damaged one is a Refusal (exit 1). */
export function readMeta(dataDir: string): DataDirMeta | null {
  const file = path.join(dataDir, META_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Refusal(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fix its permissions`);
  }
  let meta: DataDirMeta | null = null;
  try {
    meta = JSON.parse(text) as DataDirMeta;
  } catch {
    // reported below
  }
  if (meta === null || typeof meta !== 'object' || meta.format !== 1 || typeof meta.symbolTable?.kind !== 'string') {
    throw new Refusal(
      `${file} is damaged (${text.length === 0 ? 'empty' : "not the engine's JSON"}): restore it, or delete it and run again with the --source flags this data dir was created with`,
    );
  }
  return meta;
}

function describeInput(input: InputIdentity): string {
  switch (input.kind) {
    case 'embedded':
      return `the embedded generator (--seed ${input.seed} --symbols ${input.symbols} --accounts ${input.accounts})`;
    case 'ndjson':
      return `--source ndjson:${input.file}${input.symbols === undefined ? '' : ` --symbols ${input.symbols}`}`;
    case 'kafka':
      return `--source kafka --topic ${input.topic}`;
  }
}

/** Writes engine.json for a new data dir, or checks that a restart reads the same input with the same symbols. */
export function checkOrWriteMeta(dataDir: string, source: SourceConfig): void {
  const wanted = metaFor(source);
  const existing = readMeta(dataDir);
  if (existing === null) {
    fs.mkdirSync(dataDir, { recursive: true });
    writeFileAtomic(path.join(dataDir, META_FILE), `${JSON.stringify(wanted, null, 2)}\n`);
    return;
  }
  const differs = existing.input
    ? JSON.stringify(existing.input) !== JSON.stringify(wanted.input)
    : existing.source !== wanted.source || JSON.stringify(existing.symbolTable) !== JSON.stringify(wanted.symbolTable);
  if (differs) {
    const was = existing.input ? describeInput(existing.input) : `--source ${existing.source} with symbol table ${JSON.stringify(existing.symbolTable)}`;
    throw new UsageError(
      `data dir ${dataDir} was created with ${was}; this run would read ${describeInput(wanted.input!)}, and the WAL's positions refer to the first: use the same flags, another --data-dir, or --fresh`,
    );
  }
}

export interface OpenedDataDir {
  lock: DataDirLock;
  /** A dead engine's lock that was taken over, if any. */
  tookOver: LockOwner | null;
  /** Files --fresh deleted. */
  wiped: string[];
}

/** Opens `dataDir` for `ringmatch run`: checks it, takes its lock, wipes it on --fresh, checks or writes engine.json. */
export function openDataDir(dataDir: string, source: SourceConfig, fresh: boolean): OpenedDataDir {
  checkDataDir(dataDir, fresh);
  const { lock, tookOver } = DataDirLock.acquire(dataDir, `ringmatch run --source ${source.kind}`);
  try {
    let wiped: string[] = [];
    if (fresh) {
      checkDataDir(dataDir, true); // again, under the lock: nothing a wipe would now delete can have appeared
      wiped = wipeKnownFiles(dataDir);
    }
    checkOrWriteMeta(dataDir, source);
    return { lock, tookOver, wiped };
  } catch (error) {
    lock.release();
    throw error;
  }
}
