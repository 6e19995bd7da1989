// What a data dir was created with (engine.json), so replay/inspect rebuild with the same symbol
// table and a restart cannot silently change it.
import fs from 'node:fs';
import path from 'node:path';
import type { SourceConfig } from './config.js';
import { UsageError } from './config.js';

export interface DataDirMeta {
  format: 1;
  /** 'embedded' uses `symbols` synthetic symbols; other sources use the default symbol table. */
  symbolTable: { kind: 'synthetic'; count: number } | { kind: 'default' };
  source: SourceConfig['kind'];
}

const FILE = 'engine.json';

export function metaFor(source: SourceConfig): DataDirMeta {
  return {
    format: 1,
    symbolTable: source.kind === 'embedded' ? { kind: 'synthetic', count: source.symbols } : { kind: 'default' },
    source: source.kind,
  };
}

export function readMeta(dataDir: string): DataDirMeta | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, FILE), 'utf8')) as DataDirMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`${path.join(dataDir, FILE)} is unreadable: ${(error as Error).message}`);
  }
}

/** Writes engine.json for a new data dir, or checks that a restart uses the same symbol table. */
export function checkOrWriteMeta(dataDir: string, source: SourceConfig): void {
  const wanted = metaFor(source);
  const existing = readMeta(dataDir);
  if (existing === null) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, FILE), `${JSON.stringify(wanted, null, 2)}\n`);
    return;
  }
  if (JSON.stringify(existing.symbolTable) !== JSON.stringify(wanted.symbolTable)) {
    throw new UsageError(
      `data dir ${dataDir} was created with symbol table ${JSON.stringify(existing.symbolTable)}, this run would use ${JSON.stringify(wanted.symbolTable)}: use the same --source/--symbols, another --data-dir, or --fresh`,
    );
  }
}
