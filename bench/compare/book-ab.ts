// `node bench/dist/compare/book-ab.js <ref> [rounds]`: the working tree's book against the book at
// a git revision, both in this one process, on the book-peer stream (bench/peer/stream.ts). Both
// books walk the same stream side by side, taking turns every CHUNK commands (which one goes first
// alternates; bench/peer/turns.ts), so a slow spell of this VM (runs of one book swing 1.5x here from second to second)
// lands on both alike: whole-process A/B runs could not see a 5% change, this sees 2-3%.
// Prints one JSON line: each book's median ns per command, the tree/REF ratio of every round and
// their median (< 1: the tree is faster), and whether both books made the same outputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from '@ringmatch/protocol';
import { median } from '../method.js';
import { peerSymbols, readPeerStream, writePeerStream } from '../peer/stream.js';
import { timeInTurns } from '../peer/turns.js';
import { git } from './exec.js';
import { prepareRef } from './worktree.js';

/** Commands per turn: two books, so finer turns than book-peer's five (bench/peer/turns.ts) cost little cache. */
const CHUNK = 20_000;
const COMMANDS = 2_000_000;
const WARMUP_ROUNDS = 3;
const USAGE = 'usage: node bench/dist/compare/book-ab.js <ref> [rounds (default 8)]';

interface BookSide {
  MatchingEngine: new (options: { symbols: ReturnType<typeof peerSymbols> }) => { process(cmd: Command, sink: unknown): void };
  CountingSink: new () => { trades: number; reports: number; checksum: number };
}

async function main(): Promise<void> {
  const [ref, roundsText = '8'] = process.argv.slice(2);
  const rounds = Number(roundsText);
  if (!ref || !Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
    console.error(USAGE);
    process.exit(2);
  }
  const root = git(['rev-parse', '--show-toplevel'], path.dirname(fileURLToPath(import.meta.url)));
  const refTree = await prepareRef(root, ref, { nativeBuild: false, log: (m) => console.error(`[book-ab] ${m}`) });
  const load = async (dir: string) => (await import(pathToFileURL(path.join(dir, 'packages/book/dist/index.js')).href)) as BookSide;
  const sides = { ref: await load(refTree.dir), tree: await load(root) };

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ringmatch-book-ab-'));
  let commands: Command[];
  try {
    const file = path.join(tmp, 'peer.stream');
    writePeerStream(file, COMMANDS, 42);
    commands = readPeerStream(file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const refNs: number[] = [];
  const treeNs: number[] = [];
  const ratios: number[] = [];
  let sameOutputs = true;
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    const a = { engine: new sides.ref.MatchingEngine({ symbols: peerSymbols() }), sink: new sides.ref.CountingSink() };
    const b = { engine: new sides.tree.MatchingEngine({ symbols: peerSymbols() }), sink: new sides.tree.CountingSink() };
    // Which book takes the first turn alternates by round as well as by turn.
    const order = round % 2 === 0 ? [a, b] : [b, a];
    const ns = timeInTurns(2, commands.length, CHUNK, (k, from, to) => {
      const { engine, sink } = order[k]!;
      for (let i = from; i < to; i++) engine.process(commands[i]!, sink);
    });
    const [aNs, bNs] = round % 2 === 0 ? [ns[0]!, ns[1]!] : [ns[1]!, ns[0]!];
    if (a.sink.trades !== b.sink.trades || a.sink.reports !== b.sink.reports || a.sink.checksum !== b.sink.checksum) sameOutputs = false;
    if (round < WARMUP_ROUNDS) continue;
    refNs.push(aNs);
    treeNs.push(bNs);
    ratios.push(bNs / aNs);
  }
  console.log(
    JSON.stringify({
      ref: refTree.sha.slice(0, 12),
      commands: commands.length,
      rounds,
      ref_ns_per_cmd: Math.round(median(refNs)),
      tree_ns_per_cmd: Math.round(median(treeNs)),
      tree_over_ref: Number(median(ratios).toFixed(3)),
      round_ratios: ratios.map((r) => r.toFixed(3)).join(' '),
      same_outputs: sameOutputs,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(`book-ab: ${(error as Error).message}`);
  process.exit(1);
});
