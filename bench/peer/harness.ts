// The exchange-core harness (bench/peer/exchange-core, Java 17 + Maven): building it and running
// one of its classes, which prints one JSON line.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/peer/exchange-core in the source tree (this file runs from bench/dist/peer). */
const harnessDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../peer/exchange-core');

/**
 * exchange-core at its best here: the parallel collector measured 96-135 ns per command against
 * G1's 171-186 for the book alone on this 2-core box (G1's concurrent threads take the second
 * core; its pipeline: 1.7M against 1.3M commands/s with the journal on), and a fixed heap large
 * enough that the pre-built commands never trigger a resize. The pipeline's serialization
 * libraries need the three --add-opens on Java 17 (PipelinePeer refuses to start without them).
 */
export const JVM_FLAGS = [
  '-XX:+UseParallelGC',
  '-Xms2g',
  '-Xmx2g',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
];

/** Builds the harness (a no-op when up to date); the reason when it cannot be built, else null. */
export function buildHarness(): string | null {
  const r = spawnSync('bash', [path.join(harnessDir, 'build.sh')], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return `exchange-core harness did not build: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-1)[0]}`;
  return null;
}

/** Runs `ringmatch.peer.<className>` with `args`; its JSON line, parsed. Throws on failure. */
export function runHarness<T>(className: string, args: string[], timeoutMs = 900_000): T {
  const classpath = `${path.join(harnessDir, 'target/classes')}:${path.join(harnessDir, 'target/lib/*')}`;
  const r = spawnSync('java', [...JVM_FLAGS, '-cp', classpath, `ringmatch.peer.${className}`, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`exchange-core ${className}: exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
