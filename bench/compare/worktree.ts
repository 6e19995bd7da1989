// The REF side of `--compare`: REF checked out as a git worktree under the OS temp dir
// (`<tmp>/ringmatch-compare/<sha>-<clone>`, reused by later comparisons against the same commit), its
// dependencies, its native modules and its build.
//   dependencies  REF's package-lock.json identical to the tree's: node_modules is made of links
//                 into the tree's node_modules (seconds), except the workspace links (@ringmatch/*),
//                 which point into REF's own packages. Otherwise `npm ci` in the worktree.
//   native        @ringmatch/native and native-kafka are built artifacts (gitignored). Where REF's
//                 sources are the tree's, the tree's built files are copied; where they differ,
//                 REF's are built with cargo (minutes, once per commit) unless --no-native-build,
//                 when REF runs without them (the WAL on node:fs) and the report says so.
//   build         `tsc -b` and `tsc -b bench` (incremental: a no-op when reused).
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './args.js';
import { git, gitOk, runBounded, tail } from './exec.js';

export interface RefTree {
  sha: string;
  dir: string;
  /** What was done to get it ready, for the log and the report. */
  notes: string[];
}

const NATIVE_PACKAGES = ['native', 'native-kafka'];
const MINUTE = 60_000;

/** The commit a revision names, or a UsageError. */
export function resolveRef(root: string, ref: string): string {
  try {
    return git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], root);
  } catch {
    throw new UsageError(`--compare ${ref}: not a commit in ${root}`);
  }
}

/** `<tmp>/ringmatch-compare/<sha>-<repository>`: one per commit and clone (its node_modules links into that clone). */
export function worktreeDir(root: string, sha: string): string {
  const common = realpathSync(path.resolve(root, git(['rev-parse', '--git-common-dir'], root)));
  return path.join(os.tmpdir(), 'ringmatch-compare', `${sha.slice(0, 12)}-${createHash('sha256').update(common).digest('hex').slice(0, 8)}`);
}

/**
 * A node_modules in `to` mirroring the one in `from`: each package a link to the tree's copy,
 * except links that point back into the tree's sources (npm's workspace links, `../../packages/x`),
 * which are made again with the same relative target, so they resolve inside `to`'s tree.
 */
export function linkNodeModules(fromRoot: string, toRoot: string, rel = 'node_modules'): void {
  const from = path.join(fromRoot, rel);
  const to = path.join(toRoot, rel);
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (name === '.package-lock.json') continue;
    const source = path.join(from, name);
    const target = path.join(to, name);
    if (existsSync(target) || isLink(target)) continue;
    if (name.startsWith('@') && lstatSync(source).isDirectory()) {
      linkNodeModules(fromRoot, toRoot, path.join(rel, name));
      continue;
    }
    if (isLink(source)) {
      const resolved = path.resolve(path.dirname(source), readlinkSync(source));
      const inSources = resolved.startsWith(fromRoot + path.sep) && !path.relative(fromRoot, resolved).split(path.sep).includes('node_modules');
      if (inSources) {
        symlinkSync(readlinkSync(source), target);
        continue;
      }
    }
    symlinkSync(realpathSync(source), target);
  }
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The built files of a native package (gitignored): index.js, index.d.ts, *.node. */
function nativeArtifacts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.node') || f === 'index.js' || f === 'index.d.ts');
}

function sameSources(root: string, sha: string, pkg: string): boolean {
  const paths = ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs', 'package.json'].map((p) => `${pkg}/${p}`);
  const untracked = git(['ls-files', '--others', '--exclude-standard', '--', `${pkg}/src`], root);
  return untracked === '' && gitOk(['diff', '--quiet', sha, '--', ...paths], root);
}

async function step(log: (m: string) => void, what: string, command: string, args: string[], cwd: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  log(`${what}: ${command} ${args.join(' ')} (in ${cwd})`);
  const done = await runBounded(command, args, { cwd, timeoutMs, env: { ...process.env, NPM_CONFIG_AUDIT: 'false', NPM_CONFIG_FUND: 'false' } });
  if (done.timedOut) throw new Error(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`);
  if (done.code !== 0) throw new Error(`${what} failed (exit ${done.code}): ${tail(`${done.stdout}\n${done.stderr}`)}`);
  log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** REF checked out, installed and built, ready for `node bench/dist/run.js`. */
export async function prepareRef(root: string, ref: string, options: { nativeBuild: boolean; log: (m: string) => void }): Promise<RefTree> {
  const { log } = options;
  const sha = resolveRef(root, ref);
  const dir = worktreeDir(root, sha);
  const notes: string[] = [];

  if (existsSync(dir) && gitOk(['-C', dir, 'rev-parse', '--verify', '--quiet', 'HEAD'], root) && git(['-C', dir, 'rev-parse', 'HEAD'], root) === sha) {
    log(`reusing the worktree of ${sha.slice(0, 12)} at ${dir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    log(`checking out ${ref} (${sha.slice(0, 12)}) at ${dir}`);
    // --force: the path may still be registered from a worktree whose directory was deleted.
    git(['worktree', 'add', '--detach', '--force', dir, sha], root);
  }

  // The marker is written last: a node_modules without it is from a run that stopped half-way.
  const ready = path.join(dir, 'node_modules', '.ringmatch-compare-ready');
  if (!existsSync(ready)) {
    rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true }); // links only: rm does not follow them
    const lockfile = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null);
    const same = lockfile(path.join(root, 'package-lock.json')) === lockfile(path.join(dir, 'package-lock.json'));
    if (same && existsSync(path.join(root, 'node_modules'))) {
      log("REF's package-lock.json is the tree's: linking node_modules to the tree's");
      linkNodeModules(root, dir);
      // Packages npm nested under a workspace (a version the root could not hold) live there.
      for (const ws of readdirSync(path.join(root, 'packages'))
        .map((p) => path.join('packages', p))
        .concat(NATIVE_PACKAGES)) {
        if (existsSync(path.join(root, ws, 'node_modules')) && existsSync(path.join(dir, ws))) linkNodeModules(root, dir, path.join(ws, 'node_modules'));
      }
      notes.push('node_modules linked to the tree (same package-lock.json)');
    } else {
      await step(log, 'npm ci (REF has another package-lock.json)', 'npm', ['ci'], dir, 15 * MINUTE);
      notes.push('npm ci (package-lock.json differs from the tree)');
    }
    writeFileSync(ready, `${new Date().toISOString()}\n`);
  }

  for (const pkg of NATIVE_PACKAGES) {
    const built = nativeArtifacts(path.join(root, pkg));
    if (!built.some((f) => f.endsWith('.node')) || !existsSync(path.join(dir, pkg))) continue;
    if (nativeArtifacts(path.join(dir, pkg)).some((f) => f.endsWith('.node'))) continue;
    if (sameSources(root, sha, pkg)) {
      for (const f of built) copyFileSync(path.join(root, pkg, f), path.join(dir, pkg, f));
      notes.push(`${pkg}: REF's sources are the tree's, its built module copied`);
    } else if (options.nativeBuild) {
      const name = (JSON.parse(readFileSync(path.join(dir, pkg, 'package.json'), 'utf8')) as { name: string }).name;
      try {
        await step(log, `${pkg}: REF's sources differ, building them`, 'npm', ['run', 'build:native', '-w', name], dir, 20 * MINUTE);
        notes.push(`${pkg}: built from REF's sources`);
      } catch (error) {
        notes.push(`${pkg}: REF runs WITHOUT it (its build failed: ${(error as Error).message.split('\n')[0]})`);
      }
    } else {
      notes.push(`${pkg}: REF's sources differ from the tree's and --no-native-build: REF runs WITHOUT it`);
    }
  }

  await step(log, "REF's build", 'npx', ['--no-install', 'tsc', '-b'], dir, 10 * MINUTE);
  await step(log, "REF's bench build", 'npx', ['--no-install', 'tsc', '-b', 'bench'], dir, 10 * MINUTE);
  if (!existsSync(path.join(dir, 'bench', 'dist', 'run.js')))
    throw new Error(`REF ${sha.slice(0, 12)} built no bench/dist/run.js: it has no bench runner to compare`);
  return { sha, dir, notes };
}
