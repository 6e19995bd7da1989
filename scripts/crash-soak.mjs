#!/usr/bin/env node
// Crash soak: `node scripts/crash-soak.mjs [--runs 200] [--orders 100000] [--rate 80000] [--seed N] [-- extra run flags]`.
// SIGKILLs the engine at random moments, restarts it, and checks the trade log against an
// uninterrupted run (the CI suite does 20 runs of the same check).
import { fileURLToPath } from 'node:url';
import { crashCheck } from '@ringmatch/test-kit';

const cli = fileURLToPath(new URL('../packages/engine/dist/cli.js', import.meta.url));

const args = process.argv.slice(2);
const options = { cli, runs: 200, orders: 100_000, rate: 80_000, seed: Date.now() % 2 ** 31, extraArgs: [] };
for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  if (flag === '--') {
    options.extraArgs = args.slice(i + 1);
    break;
  }
  const value = Number(args[i + 1]);
  const key = { '--runs': 'runs', '--orders': 'orders', '--rate': 'rate', '--seed': 'seed' }[flag];
  if (!key || !Number.isSafeInteger(value) || value <= 0) {
    console.error(
      `crash-soak: bad flag ${flag} ${args[i + 1] ?? ''}\nusage: node scripts/crash-soak.mjs [--runs N] [--orders N] [--rate N] [--seed N] [-- run flags]`,
    );
    process.exit(2);
  }
  options[key] = value;
  i++;
}
console.error(`crash soak: ${options.runs} runs, seed ${options.seed}`);
const result = await crashCheck({ ...options, log: (line) => console.error(line) });
console.log(JSON.stringify(result));
process.exitCode = result.failures.length === 0 ? 0 : 1;
