// Command-line flags -> a validated, typed engine configuration. Every bad flag is a UsageError
// with a message naming the flag; the CLI prints it and exits 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import path from 'node:path';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type WaitStrategyName = 'block' | 'yield' | 'spin';
export type WalBackendName = 'auto' | 'fs' | 'native';
export type SourceConfig =
  | { kind: 'embedded'; orders: number; seed: number; symbols: number; accounts: number; pregenerate: boolean }
  | { kind: 'ndjson'; file: string }
  | { kind: 'kafka'; brokers: string[]; topic: string; groupId: string; format: 'json' | 'binary'; outputFormat: 'json' | 'binary' };

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
  /** Remove the data dir first. */
  fresh: boolean;
  /** Kafka: stop once the input is consumed to its end and idle this long (0: run until stopped). */
  stopWhenIdleMs: number;
}

export interface ReplayConfig { dataDir: string; printTrades: boolean; json: boolean; fromStart: boolean }
export interface InspectConfig { dataDir: string; what: 'summary' | 'segments' | 'records' | 'snapshots'; from: number; limit: number; json: boolean }

export type Command =
  | { command: 'run'; config: RunConfig }
  | { command: 'replay'; config: ReplayConfig }
  | { command: 'inspect'; config: InspectConfig }
  | { command: 'help' };

export const USAGE = `usage: ringmatch <command> [flags]

commands:
  run       run the engine (default source: embedded seeded order generator)
  replay    rebuild state from a data dir and print a summary or the trade log
  inspect   list WAL segments, records, snapshots and lag of a data dir
  help      this text

run flags:
  --data-dir DIR          WAL, snapshots and output files (default ./data)
  --source SRC            embedded | ndjson:FILE | kafka (default embedded)
  --orders N              embedded: orders to generate (default 2000000; 0 = until stopped)
  --seed N                embedded: generator seed (default 1)
  --symbols N             embedded: number of symbols (default 8)
  --accounts N            embedded: number of accounts (default 1000)
  --pregenerate           embedded: generate every order before the clock starts, so the run
                          measures the engine, not the generator (benchmarks)
  --brokers LIST          kafka: comma-separated host:port (default 127.0.0.1:9092)
  --topic NAME            kafka: orders topic (default orders)
  --group NAME            kafka: consumer group (default ringmatch)
  --format json|binary    kafka: input message format (default json)
  --output-format json|binary
                          kafka: trades/reports record format (default json: NDJSON lines;
                          binary: 0xB8 batch of 96-byte output slots, see @ringmatch/protocol)
  --stop-when-idle MS     kafka: stop when consumed to the end and idle MS (default 0 = never)
  --rate N                embedded and file sources: orders/s, 0 = unthrottled (default 0)
  --duration S            stop after S seconds, 0 = when the source ends (default 0)
  --ring-size N           command ring slots, a power of two (default 65536)
  --wait-strategy W       block | yield | spin (default block: spin briefly, then park)
  --wal auto|fs|native    WAL backend (default auto: native when built)
  --metrics-port N        serve Prometheus /metrics on 127.0.0.1:N (default 0 = off)
  --snapshot-every N      snapshot the books every N sequences (default 1000000)
  --max-batch N           largest WAL group-commit batch in records (default 8192)
  --reports               also write execution reports (default: trades only)
  --cpu-prof DIR          write a V8 CPU profile per worker into DIR
  --progress-ms N         progress line interval (default 1000, 0 = none)
  --fresh                 delete the data dir first

replay flags: --data-dir DIR  --trades (print the trade log)  --from-start (ignore snapshots)  --json
inspect flags: --data-dir DIR  --what summary|segments|records|snapshots  --from SEQ  --limit N  --json
`;

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${flag} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
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

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;

function parseRun(argv: string[]): RunConfig {
  const v = parse(argv, {
    'data-dir': str, source: str, orders: str, seed: str, symbols: str, accounts: str, brokers: str, topic: str,
    group: str, format: str, 'output-format': str, rate: str, duration: str, 'ring-size': str, 'wait-strategy': str, wal: str,
    'metrics-port': str, 'snapshot-every': str, 'max-batch': str, reports: bool, 'cpu-prof': str,
    'progress-ms': str, fresh: bool, 'stop-when-idle': str, pregenerate: bool,
  });
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
    source = { kind: 'ndjson', file: path.resolve(sourceRaw.slice('ndjson:'.length)) };
  } else if (sourceRaw === 'kafka') {
    const brokers = (s('brokers') ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
    for (const broker of brokers) {
      if (!/^[\w.-]+:\d{1,5}$/.test(broker)) throw new UsageError(`--brokers entries must be host:port, got ${JSON.stringify(broker)}`);
    }
    source = {
      kind: 'kafka',
      brokers,
      topic: s('topic') ?? 'orders',
      groupId: s('group') ?? 'ringmatch',
      format: oneOf('format', s('format'), ['json', 'binary'] as const, 'json'),
      outputFormat: oneOf('output-format', s('output-format'), ['json', 'binary'] as const, 'json'),
    };
  } else {
    throw new UsageError(`--source must be embedded, ndjson:FILE or kafka, got ${JSON.stringify(sourceRaw)}`);
  }
  if (source.kind !== 'embedded') {
    for (const flag of ['orders', 'seed', 'symbols', 'accounts', 'pregenerate']) {
      if (s(flag) !== undefined) throw new UsageError(`--${flag} applies to --source embedded only`);
    }
  }
  if (source.kind !== 'kafka') {
    for (const flag of ['brokers', 'topic', 'group', 'format', 'output-format', 'stop-when-idle']) {
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
    fresh: v.fresh === true,
    stopWhenIdleMs: integer('stop-when-idle', s('stop-when-idle'), 0, 0, 3_600_000),
  };
}

export function parseCommandLine(argv: string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help' };
    case 'run':
      return { command: 'run', config: parseRun(rest) };
    case 'replay': {
      const v = parse(rest, { 'data-dir': str, trades: bool, json: bool, 'from-start': bool });
      return {
        command: 'replay',
        config: { dataDir: path.resolve((v['data-dir'] as string | undefined) ?? 'data'), printTrades: v.trades === true, json: v.json === true, fromStart: v['from-start'] === true },
      };
    }
    case 'inspect': {
      const v = parse(rest, { 'data-dir': str, what: str, from: str, limit: str, json: bool });
      return {
        command: 'inspect',
        config: {
          dataDir: path.resolve((v['data-dir'] as string | undefined) ?? 'data'),
          what: oneOf('what', v.what as string | undefined, ['summary', 'segments', 'records', 'snapshots'] as const, 'summary'),
          from: integer('from', v.from as string | undefined, 0, 0),
          limit: integer('limit', v.limit as string | undefined, 20, 1, 1_000_000),
          json: v.json === true,
        },
      };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}
