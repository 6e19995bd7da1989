// `npm run bench -- --compare <ref> ...`: the flags, checked before anything runs. A mistake is a
// UsageError, which the command prints as one line (no stack) and exits 2.
import { betterWhen } from './stats.js';

export const USAGE =
  'npm run bench -- --compare <ref> [--only <prefix>] [--pairs N] [--quick] [--json] [--metric <field>]... [--timeout <seconds>] [--no-native-build]';

export class UsageError extends Error {}

export interface CompareOptions {
  /** The git revision to compare the working tree against. */
  ref: string;
  only: string | null;
  pairs: number;
  quick: boolean;
  json: boolean;
  /** Line fields to compare; each must be a rate or a time (stats.ts betterWhen). */
  metrics: string[];
  /** Per bench run (one side, one pair), in seconds. */
  timeoutS: number;
  /** When REF's native module sources differ from the tree's: build REF's (cargo) or run REF without it. */
  nativeBuild: boolean;
}

export const DEFAULT_METRICS = ['ops_per_s', 'p50_us', 'p99_us'];
export const DEFAULT_PAIRS = 3;
export const DEFAULT_TIMEOUT_S = 900;

function positiveInt(flag: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n < 1 || n > max)
    throw new UsageError(`${flag} needs a whole number from 1 to ${max}, got ${JSON.stringify(value ?? '')}`);
  return n;
}

export function parseCompareArgs(argv: readonly string[]): CompareOptions {
  let ref: string | null = null;
  const options: Omit<CompareOptions, 'ref' | 'metrics'> & { metrics: string[] | null } = {
    only: null,
    pairs: DEFAULT_PAIRS,
    quick: false,
    json: false,
    metrics: null,
    timeoutS: DEFAULT_TIMEOUT_S,
    nativeBuild: true,
  };
  // `--flag value` and `--flag=value` alike.
  const args = argv.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--') || v === '')
        throw new UsageError(arg === '--compare' ? '--compare needs a git revision, e.g. --compare HEAD~1' : `${arg} needs a value`);
      return v;
    };
    if (arg === '--compare') ref = value();
    else if (arg === '--only') options.only = value();
    else if (arg === '--pairs') options.pairs = positiveInt(arg, args[++i], 50);
    else if (arg === '--timeout') options.timeoutS = positiveInt(arg, args[++i], 86_400);
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--no-native-build') options.nativeBuild = false;
    else if (arg === '--metric') {
      const field = value();
      if (betterWhen(field) === null)
        throw new UsageError(`--metric ${field}: not a rate (*_per_s) or a time (*_us, *_ms, *_ns, *_s), so which way is better is unknown`);
      options.metrics = [...(options.metrics ?? []), field];
    } else if (arg === '--write' || arg === '--no-write' || arg === '--render')
      throw new UsageError(`${arg} does not go with --compare (a comparison writes nothing)`);
    else throw new UsageError(`unknown flag ${JSON.stringify(arg)}`);
  }
  if (ref === null) throw new UsageError('--compare needs a git revision, e.g. --compare HEAD~1');
  return { ...options, ref, metrics: options.metrics ?? DEFAULT_METRICS };
}
