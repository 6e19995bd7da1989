// Command-line flags -> a validated, typed engine configuration. Every bad flag is a UsageError
// with a message naming the flag; the CLI prints it and exits 2.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';

/** How many synthetic symbols a run's table holds (embedded, or a file read with --symbols); null: the default table. */
export function syntheticSymbolCount(source: SourceConfig): number | null {
  if (source.kind === 'embedded') return source.symbols;
  if (source.kind === 'ndjson') return source.symbols;
  return null;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type WaitStrategyName = 'block' | 'yield' | 'spin';
export type WalBackendName = 'auto' | 'fs' | 'native';
export type SourceConfig =
  | { kind: 'embedded'; orders: number; seed: number; symbols: number; accounts: number; pregenerate: boolean }
  /** symbols: the run's synthetic symbol table size (--symbols), null for the default table. */
  | {
      kind: 'ndjson';
      file: string;
      symbols: number | null;
      /** The JSON scanner as asked; the engine resolves 'auto' (json-scanner.ts) before the workers start. */
      jsonScanner: JsonScannerChoice;
    }
  | {
      kind: 'kafka';
      brokers: string[];
      topic: string;
      groupId: string;
      format: 'json' | 'binary';
      outputFormat: 'json' | 'binary';
      /** The Kafka client as asked; the engine resolves 'auto' (kafka-client.ts) before the workers start. */
      client: KafkaClientChoice;
      /** JSON messages on the native client: the scanner as asked, resolved like the file source's. */
      jsonScanner: JsonScannerChoice;
    };

/** --json-scanner: order lines scanned by @ringmatch/native's scanner, the JS one, or native when it loads. */
export type JsonScannerChoice = 'auto' | 'js' | 'native';

/** --json-writer: output JSON written by @ringmatch/native's writer, the JS encoder, or native when it loads. */
export type JsonWriterChoice = 'auto' | 'js' | 'native';
/** --book: the native book in @ringmatch/native, the JS book, or native when it loads. */
export type BookChoice = 'auto' | 'js' | 'native';

/** --kafka-client: librdkafka through @ringmatch/native-kafka, kafkajs, or native when it loads. */
export type KafkaClientChoice = 'auto' | 'kafkajs' | 'native';

export interface RunConfig {
  dataDir: string;
  source: SourceConfig;
  /** Output sink: NDJSON files in the data dir, or Kafka topics when the source is Kafka. */
  outputDir: string;
  /** Orders per second, 0 for as fast as the pipeline goes. */
  rate: number;
  /** Stop after this many seconds (0: when the source ends or on a signal). */
  durationSeconds: number;
  ringSize: number;
  outRingSize: number;
  waitStrategy: WaitStrategyName;
  wal: WalBackendName;
  /** 0 disables the HTTP /metrics endpoint. */
  metricsPort: number;
  /** Take a book snapshot every this many sequences (0: only at clean shutdown). */
  snapshotEvery: number;
  /** Largest WAL group-commit batch, in records. */
  maxBatch: number;
  /** Write per-worker V8 CPU profiles into this folder. */
  cpuProfileDir: string | null;
  /** Progress line interval in ms (0: none). */
  progressMs: number;
  /** Write execution reports as well as trades (reports are one or more per order). */
  writeReports: boolean;
  /** What writes output JSON, as asked; the engine resolves 'auto' (json-writer.ts) before the workers start. */
  jsonWriter: JsonWriterChoice;
  /** Which book matches, as asked; the engine resolves 'auto' (native-book.ts) before the workers start. */
  book: BookChoice;
  /** The L2 depth stream (book.ndjson / <topic>.book), null with --no-depth. */
  depth: DepthConfig | null;
  /** Remove the data dir first. */
  fresh: boolean;
  /** Kafka: stop once the input is consumed to its end and idle this long (0: run until stopped). */
  stopWhenIdleMs: number;
  /** --debug or RINGMATCH_DEBUG=1: stack traces for internal errors. */
  debug: boolean;
}

export interface DepthConfig {
  /** Levels per side the stream covers (--depth-levels). */
  levels: number;
  /** A full top-N snapshot of every symbol at each multiple of this sequence (0: none). */
  snapshotEvery: number;
}

export interface ReplayConfig {
  dataDir: string;
  printTrades: boolean;
  /** Print the depth stream with these settings (--depth), null: do not. */
  printDepth: DepthConfig | null;
  json: boolean;
  fromStart: boolean;
  debug: boolean;
}
export interface InspectConfig {
  dataDir: string;
  what: 'summary' | 'segments' | 'records' | 'snapshots';
  from: number;
  limit: number;
  json: boolean;
  debug: boolean;
}
/** `ringmatch book`: one symbol's book from the data dir, exact at a sequence (null: the WAL's end). */
export interface BookQueryConfig {
  dataDir: string;
  symbol: string;
  levels: number;
  at: number | null;
  json: boolean;
  debug: boolean;
}
/** Cut the WAL so that `truncateAt` and every later sequence are gone. */
export interface RepairConfig {
  dataDir: string;
  truncateAt: number;
  debug: boolean;
}

export type Command =
  | { command: 'run'; config: RunConfig }
  | { command: 'replay'; config: ReplayConfig }
  | { command: 'inspect'; config: InspectConfig }
  | { command: 'repair'; config: RepairConfig }
  | { command: 'book'; config: BookQueryConfig }
  | { command: 'help' };

export const USAGE = `usage: ringmatch <command> [flags]

commands:
  run       run the engine (default source: embedded seeded order generator)
  replay    rebuild state from a data dir and print a summary or the trade log
  inspect   list WAL segments, records, snapshots and lag of a data dir
  book      print one symbol's L2 book from a data dir (snapshot + WAL), exact at a sequence
  repair    cut a damaged WAL at a sequence (the only way past corruption; loses that sequence and
            everything after it)
  help      this text (also: ringmatch <command> --help)

every command:
  --debug                 print stack traces for internal errors (also RINGMATCH_DEBUG=1)
  -h, --help              this text

run flags:
  --data-dir DIR          WAL, snapshots and output files (default ./data)
  --source SRC            embedded | ndjson:FILE | kafka (default embedded)
  --orders N              embedded: orders to generate (default 2000000; 0 = until stopped)
  --seed N                embedded: generator seed (default 1)
  --symbols N             embedded: number of symbols (default 8); ndjson: read symbols as the
                          embedded generator's N synthetic ones (default: the standard table)
  --accounts N            embedded: number of accounts (default 1000)
  --pregenerate           embedded: generate every order before the clock starts, so the run
                          measures the engine, not the generator (benchmarks)
  --brokers LIST          kafka: comma-separated host:port (default 127.0.0.1:9092)
  --topic NAME            kafka: orders topic (default orders)
  --group NAME            kafka: consumer group (default ringmatch.TOPIC)
  --format json|binary    kafka: input message format (default json)
  --output-format json|binary
                          kafka: trades/reports record format (default json: NDJSON lines;
                          binary: 0xB8 batch of 96-byte output slots, see @ringmatch/protocol)
  --stop-when-idle MS     kafka: stop when consumed to the end and idle MS (default 0 = never)
  --kafka-client C        kafka: auto | kafkajs | native (default auto: native when
                          @ringmatch/native-kafka is built; env RINGMATCH_KAFKA_CLIENT)
  --json-scanner S        ndjson, and kafka JSON on the native client: auto | js | native,
                          what turns JSON orders into commands (default auto: native when
                          @ringmatch/native is built; env RINGMATCH_JSON_SCANNER)
  --json-writer W         auto | js | native: what writes the output JSON (trades, reports: files
                          and Kafka), the same bytes either way (default auto: native when
                          @ringmatch/native is built; env RINGMATCH_JSON_WRITER)
  --book B                auto | js | native: the book that matches, the same outputs either way
                          (default auto: native when @ringmatch/native is built; env RINGMATCH_BOOK)
  --rate N                embedded and file sources: orders/s, 0 = unthrottled (default 0)
  --duration S            stop after S seconds, 0 = when the source ends (default 0)
  --ring-size N           command ring slots, a power of two (default 65536)
  --wait-strategy W       block | yield | spin (default block: spin briefly, then park)
  --wal auto|fs|native    WAL backend (default auto: native when built)
  --metrics-port N        serve Prometheus /metrics on 127.0.0.1:N (default 0 = off)
  --snapshot-every N      snapshot the books every N sequences (default 1000000)
  --max-batch N           largest WAL group-commit batch in records (default 8192)
  --reports               also write execution reports (default: trades only)
  --depth-levels N        L2 depth stream: the top N price levels per side (default 20); each
                          group commit's net changes go to book.ndjson (kafka: TOPIC.book)
  --depth-snapshot-every K
                          depth stream: every symbol's full top N at each multiple of K
                          sequences, where a late reader can start (default 10000, 0 = never)
  --no-depth              no depth stream
  --cpu-prof DIR          write a V8 CPU profile per worker into DIR
  --progress-ms N         progress line interval (default 1000, 0 = none)
  --fresh                 start over: delete the engine's own files in --data-dir first (refused
                          for a dir holding anything else)

replay flags: --data-dir DIR  --trades (print the trade log)  --depth (print the depth stream; with
              --depth-levels N, --depth-snapshot-every K as the run had them)  --from-start (ignore
              snapshots)  --json
inspect flags: --data-dir DIR  --what summary|segments|records|snapshots  --from SEQ  --limit N  --json
repair flags:  --data-dir DIR  --truncate-at SEQ (both required; SEQ: the first sequence to drop)
book flags:    --data-dir DIR  --symbol S (required)  --levels N (default 20)  --at SEQ (default: the
               WAL's end)  --json
`;

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${flag} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  if (Number.isSafeInteger(value) && max === Number.MAX_SAFE_INTEGER && min <= 1) {
    throw new UsageError(`--${flag} must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${raw}`);
  }
  if (value < 0 && min === 0) throw new UsageError(`--${flag} must be a non-negative integer, got ${raw}`);
  throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${raw}`);
}

const KAFKA_CLIENTS = ['auto', 'kafkajs', 'native'] as const;
const JSON_SCANNERS = ['auto', 'js', 'native'] as const;
const JSON_WRITERS = ['auto', 'js', 'native'] as const;
const BOOKS = ['auto', 'js', 'native'] as const;

/** The flag `--flag`, else the environment variable `envName`, else auto. */
function choiceOf<T extends string>(flag: string, flagValue: string | undefined, envName: string, envValue: string | undefined, allowed: readonly T[]): T {
  if (flagValue !== undefined || envValue === undefined || envValue === '') return oneOf(flag, flagValue, allowed, 'auto' as T);
  if (!(allowed as readonly string[]).includes(envValue))
    throw new UsageError(`${envName} must be one of ${allowed.join(', ')}, got ${JSON.stringify(envValue)}`);
  return envValue as T;
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function powerOfTwo(flag: string, raw: string | undefined, fallback: number): number {
  const value = integer(flag, raw, fallback, 64, 1 << 24);
  if ((value & (value - 1)) !== 0) throw new UsageError(`--${flag} must be a power of two, got ${value}`);
  return value;
}

type FlagKind = 'string' | 'integer' | 'boolean';
type Flags = Record<string, FlagKind>;
type Values = Record<string, string | boolean | undefined>;

/**
 * Flags -> values, or 'help' when -h/--help is among them (whatever else is wrong). parseArgs runs
 * non-strict for its tokens only and the checks are ours: its strict mode calls `--orders -5`
 * "ambiguous" and silently keeps the last of a repeated flag.
 */
function parse(argv: string[], flags: Flags): Values | 'help' {
  const all: Flags = { ...flags, debug: 'boolean' };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, kind] of Object.entries(all)) options[name] = { type: kind === 'boolean' ? 'boolean' : 'string' };
  let tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>;
  try {
    tokens = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
  const values: Values = {};
  for (const t of tokens) {
    if (t.kind === 'positional') throw new UsageError(`unexpected argument ${JSON.stringify(t.value)} (this command takes flags only)`);
    if (t.kind !== 'option') continue;
    if (!Object.hasOwn(all, t.name) || !t.rawName.startsWith('--')) throw new UsageError(`Unknown option '${t.rawName}'`);
    const kind = all[t.name]!;
    if (values[t.name] !== undefined) throw new UsageError(`--${t.name} is given more than once`);
    if (kind === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`--${t.name} does not take a value, got ${JSON.stringify(t.value)}`);
      values[t.name] = true;
      continue;
    }
    if (t.value === undefined) throw new UsageError(`--${t.name} needs a value`);
    // A separate value that starts with "-" is more likely the next flag than a value, except a
    // negative number for an integer flag (validated, so "-5" is reported as negative).
    if (!t.inlineValue && t.value.startsWith('-') && !(kind === 'integer' && /^-\d/.test(t.value))) {
      throw new UsageError(`--${t.name} needs a value, got ${JSON.stringify(t.value)} (write --${t.name}=${t.value} if that is the value)`);
    }
    values[t.name] = t.value;
  }
  return values;
}

/** --source ndjson:FILE must name a readable file now, before anything is created on disk. */
function checkSourceFile(given: string, file: string): void {
  const where = `--source ndjson:${given}`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${where}: no such file`);
    throw new UsageError(`${where}: cannot be read: ${code ?? (error as Error).message}`);
  }
  if (stat.isDirectory()) throw new UsageError(`${where}: is a directory`);
  // Open to prove it is readable; not a FIFO, whose open would wait for a writer.
  if (!stat.isFile()) return;
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch (error) {
    throw new UsageError(`${where}: cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

const str = 'string' as const;
const int = 'integer' as const;
const bool = 'boolean' as const;

function parseRun(v: Values, debug: boolean, env: NodeJS.ProcessEnv): RunConfig {
  const s = (k: string): string | undefined => v[k] as string | undefined;
  const dataDir = path.resolve(s('data-dir') ?? 'data');
  const sourceRaw = s('source') ?? 'embedded';
  let source: SourceConfig;
  if (sourceRaw === 'embedded') {
    source = {
      kind: 'embedded',
      orders: integer('orders', s('orders'), 2_000_000, 0),
      seed: integer('seed', s('seed'), 1, 0, 2 ** 31 - 1),
      symbols: integer('symbols', s('symbols'), 8, 1, 1024),
      accounts: integer('accounts', s('accounts'), 1000, 1, 1_000_000),
      pregenerate: v.pregenerate === true,
    };
    if (source.pregenerate && (source.orders === 0 || source.orders > 20_000_000)) {
      throw new UsageError('--pregenerate needs --orders between 1 and 20000000 (the orders are held in memory)');
    }
  } else if (sourceRaw.startsWith('ndjson:') && sourceRaw.length > 'ndjson:'.length) {
    const given = sourceRaw.slice('ndjson:'.length);
    const file = path.resolve(given);
    checkSourceFile(given, file);
    const symbols = s('symbols');
    source = {
      kind: 'ndjson',
      file,
      symbols: symbols === undefined ? null : integer('symbols', symbols, 8, 1, 1024),
      jsonScanner: choiceOf('json-scanner', s('json-scanner'), 'RINGMATCH_JSON_SCANNER', env.RINGMATCH_JSON_SCANNER, JSON_SCANNERS),
    };
  } else if (sourceRaw === 'kafka') {
    const brokers = (s('brokers') ?? '127.0.0.1:9092')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    for (const broker of brokers) {
      if (!/^[\w.-]+:\d{1,5}$/.test(broker)) throw new UsageError(`--brokers entries must be host:port, got ${JSON.stringify(broker)}`);
    }
    const topic = s('topic') ?? 'orders';
    source = {
      kind: 'kafka',
      brokers,
      topic,
      // one group per orders topic: engines of other topics never rebalance with these
      groupId: s('group') ?? `ringmatch.${topic}`,
      format: oneOf('format', s('format'), ['json', 'binary'] as const, 'json'),
      outputFormat: oneOf('output-format', s('output-format'), ['json', 'binary'] as const, 'json'),
      client: choiceOf('kafka-client', s('kafka-client'), 'RINGMATCH_KAFKA_CLIENT', env.RINGMATCH_KAFKA_CLIENT, KAFKA_CLIENTS),
      jsonScanner: choiceOf('json-scanner', s('json-scanner'), 'RINGMATCH_JSON_SCANNER', env.RINGMATCH_JSON_SCANNER, JSON_SCANNERS),
    };
  } else {
    throw new UsageError(`--source must be embedded, ndjson:FILE or kafka, got ${JSON.stringify(sourceRaw)}`);
  }
  if (source.kind !== 'embedded') {
    for (const flag of ['orders', 'seed', 'accounts', 'pregenerate']) {
      if (s(flag) !== undefined) throw new UsageError(`--${flag} applies to --source embedded only`);
    }
    if (source.kind === 'kafka' && s('symbols') !== undefined) throw new UsageError('--symbols applies to --source embedded and ndjson:FILE only');
  }
  if (source.kind === 'embedded' && s('json-scanner') !== undefined) throw new UsageError('--json-scanner applies to --source ndjson:FILE and kafka only');
  if (source.kind !== 'kafka') {
    for (const flag of ['brokers', 'topic', 'group', 'format', 'output-format', 'stop-when-idle', 'kafka-client']) {
      if (s(flag) !== undefined) throw new UsageError(`--${flag} applies to --source kafka only`);
    }
  }
  const cpuProf = s('cpu-prof');
  return {
    dataDir,
    source,
    outputDir: dataDir,
    rate: integer('rate', s('rate'), 0, 0, 1e9),
    durationSeconds: integer('duration', s('duration'), 0, 0, 86_400 * 365),
    ringSize: powerOfTwo('ring-size', s('ring-size'), 65_536),
    outRingSize: 65_536,
    waitStrategy: oneOf('wait-strategy', s('wait-strategy'), ['block', 'yield', 'spin'] as const, 'block'),
    wal: oneOf('wal', s('wal'), ['auto', 'fs', 'native'] as const, 'auto'),
    metricsPort: integer('metrics-port', s('metrics-port'), 0, 0, 65_535),
    snapshotEvery: integer('snapshot-every', s('snapshot-every'), 1_000_000, 0),
    maxBatch: integer('max-batch', s('max-batch'), 8192, 1, 1 << 20),
    cpuProfileDir: cpuProf === undefined ? null : path.resolve(cpuProf),
    progressMs: integer('progress-ms', s('progress-ms'), 1000, 0, 3_600_000),
    writeReports: v.reports === true,
    jsonWriter: choiceOf('json-writer', s('json-writer'), 'RINGMATCH_JSON_WRITER', env.RINGMATCH_JSON_WRITER, JSON_WRITERS),
    book: choiceOf('book', s('book'), 'RINGMATCH_BOOK', env.RINGMATCH_BOOK, BOOKS),
    depth: depthConfig(v),
    fresh: v.fresh === true,
    stopWhenIdleMs: integer('stop-when-idle', s('stop-when-idle'), 0, 0, 3_600_000),
    debug,
  };
}

function depthConfig(v: Values): DepthConfig | null {
  const levels = v['depth-levels'] as string | undefined;
  const every = v['depth-snapshot-every'] as string | undefined;
  if (v['no-depth'] === true) {
    if (levels !== undefined || every !== undefined)
      throw new UsageError('--no-depth turns the depth stream off: drop --depth-levels / --depth-snapshot-every');
    return null;
  }
  return { levels: integer('depth-levels', levels, 20, 1, 1000), snapshotEvery: integer('depth-snapshot-every', every, 10_000, 0) };
}

function replayConfig(v: Values, dataDir: string, debug: boolean): ReplayConfig {
  const depth = v.depth === true;
  if (depth && v.trades === true) throw new UsageError('replay prints one stream: --trades or --depth, not both');
  if (!depth && (v['depth-levels'] !== undefined || v['depth-snapshot-every'] !== undefined))
    throw new UsageError('--depth-levels / --depth-snapshot-every set how --depth prints the depth stream: add --depth');
  if (depth && v.json === true) throw new UsageError('--depth prints the stream as book.ndjson lines: drop --json');
  return {
    dataDir,
    printTrades: v.trades === true,
    printDepth: depth ? depthConfig(v) : null,
    json: v.json === true,
    fromStart: v['from-start'] === true,
    debug,
  };
}

const RUN_FLAGS: Flags = {
  'data-dir': str,
  source: str,
  orders: int,
  seed: int,
  symbols: int,
  accounts: int,
  brokers: str,
  topic: str,
  group: str,
  format: str,
  'output-format': str,
  rate: int,
  duration: int,
  'ring-size': int,
  'wait-strategy': str,
  wal: str,
  'metrics-port': int,
  'snapshot-every': int,
  'max-batch': int,
  reports: bool,
  'depth-levels': int,
  'depth-snapshot-every': int,
  'no-depth': bool,
  'cpu-prof': str,
  'progress-ms': int,
  fresh: bool,
  'stop-when-idle': int,
  'kafka-client': str,
  'json-scanner': str,
  book: str,
  'json-writer': str,
  pregenerate: bool,
};
const REPLAY_FLAGS: Flags = {
  'data-dir': str,
  trades: bool,
  depth: bool,
  'depth-levels': int,
  'depth-snapshot-every': int,
  json: bool,
  'from-start': bool,
};
const INSPECT_FLAGS: Flags = { 'data-dir': str, what: str, from: int, limit: int, json: bool };
const REPAIR_FLAGS: Flags = { 'data-dir': str, 'truncate-at': int };
const BOOK_FLAGS: Flags = { 'data-dir': str, symbol: str, levels: int, at: int, json: bool };
const COMMAND_FLAGS: Record<string, Flags> = { run: RUN_FLAGS, replay: REPLAY_FLAGS, inspect: INSPECT_FLAGS, repair: REPAIR_FLAGS, book: BOOK_FLAGS };

/** `env` is read for RINGMATCH_DEBUG, RINGMATCH_KAFKA_CLIENT, RINGMATCH_JSON_SCANNER and RINGMATCH_JSON_WRITER only. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (!Object.hasOwn(COMMAND_FLAGS, command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const v = parse(rest, COMMAND_FLAGS[command]!);
  if (v === 'help') return { command: 'help' };
  const debug = v.debug === true || env.RINGMATCH_DEBUG === '1';
  const dataDir = path.resolve((v['data-dir'] as string | undefined) ?? 'data');
  switch (command) {
    case 'replay':
      return { command: 'replay', config: replayConfig(v, dataDir, debug) };
    case 'inspect':
      return {
        command: 'inspect',
        config: {
          dataDir,
          what: oneOf('what', v.what as string | undefined, ['summary', 'segments', 'records', 'snapshots'] as const, 'summary'),
          from: integer('from', v.from as string | undefined, 0, 0),
          limit: integer('limit', v.limit as string | undefined, 20, 1, 1_000_000),
          json: v.json === true,
          debug,
        },
      };
    case 'repair': {
      const raw = v['truncate-at'] as string | undefined;
      if (raw === undefined) throw new UsageError('repair needs --truncate-at SEQ (the first sequence to drop; `ringmatch inspect` shows the damage)');
      const truncateAt = integer('truncate-at', raw, 0, 1);
      // It deletes data: the dir is named, never defaulted.
      if (v['data-dir'] === undefined) throw new UsageError("repair needs --data-dir DIR (it cuts that data dir's WAL; there is no default)");
      return { command: 'repair', config: { dataDir, truncateAt, debug } };
    }
    case 'book': {
      const symbol = v.symbol as string | undefined;
      if (symbol === undefined) throw new UsageError('book needs --symbol S (a symbol of the data dir, e.g. BTC-USD)');
      const at = v.at as string | undefined;
      return {
        command: 'book',
        config: {
          dataDir,
          symbol,
          levels: integer('levels', v.levels as string | undefined, 20, 1, 100_000),
          at: at === undefined ? null : integer('at', at, 0, 0),
          json: v.json === true,
          debug,
        },
      };
    }
    default:
      return { command: 'run', config: parseRun(v, debug, env) };
  }
}
