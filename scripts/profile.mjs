#!/usr/bin/env node
// `npm run profile [-- --orders N] [--clinic]`: profiles a bounded engine run.
// - Always: one V8 CPU profile per worker thread and the main thread (`--cpu-prof`), written to
//   profiles/<timestamp>/, plus a printed top-10 of self time per thread. Open a .cpuprofile in
//   Chrome DevTools (Performance > Load profile) or https://www.speedscope.app.
// - With --clinic: also `clinic doctor` on the main thread (clinic cannot see inside worker_threads).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let orders = 1_000_000;
let clinic = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--orders' && /^\d+$/.test(args[i + 1] ?? '')) orders = Number(args[++i]);
  else if (args[i] === '--clinic') clinic = true;
  else {
    console.error(`profile: unknown or malformed flag ${JSON.stringify(args[i])}\nusage: npm run profile -- [--orders N] [--clinic]`);
    process.exit(2);
  }
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = path.join(root, 'profiles', stamp);
fs.mkdirSync(outDir, { recursive: true });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-profile-'));
const cli = path.join(root, 'packages/engine/dist/cli.js');
const engineArgs = ['run', '--fresh', '--data-dir', dataDir, '--orders', String(orders), '--cpu-prof', outDir, '--progress-ms', '1000'];

function run(command, commandArgs) {
  console.error(`$ ${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', timeout: 300_000, cwd: root });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status ?? result.signal}`);
}

try {
  run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', outDir, '--cpu-prof-name', 'main.cpuprofile', cli, ...engineArgs]);
  if (clinic) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    run('npx', [
      '--yes',
      'clinic@13',
      'doctor',
      '--dest',
      outDir,
      '--open=false',
      '--',
      process.execPath,
      cli,
      ...engineArgs.filter((a, i, all) => a !== '--cpu-prof' && all[i - 1] !== '--cpu-prof'),
    ]);
  }
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// Top self time per profile: a quick answer before opening a viewer.
for (const file of fs
  .readdirSync(outDir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()) {
  const profile = JSON.parse(fs.readFileSync(path.join(outDir, file), 'utf8'));
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples?.length ?? 1);
  const selfByFunction = new Map();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`.trim();
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + (node.hitCount ?? 0) * interval);
  }
  const total = [...selfByFunction.values()].reduce((a, b) => a + b, 0) || 1;
  console.log(`\n${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [name, us] of [...selfByFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}
console.log(`\nprofiles in ${path.relative(root, outDir)}/ (open in Chrome DevTools or speedscope)`);
