import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** Where the broker scripts live (scripts/kafka of the repository this package is built in). */
export const scriptsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/kafka');

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, cmd)));
}

/** Why a broker cannot be started on this machine, or null if it can (java, mvn, scripts). */
export function brokerUnavailableReason(): string | null {
  if (!existsSync(path.join(scriptsDir, 'start.sh'))) return `no broker scripts at ${scriptsDir}`;
  if (!onPath('java')) return 'java is not installed (the Kafka broker needs Java 17+)';
  const jars = path.join(scriptsDir, 'jars');
  const haveJars = existsSync(path.join(jars, '.pom.sha256'));
  if (!haveJars && !onPath('mvn')) return 'mvn (Maven) is not installed, so the Kafka broker jars cannot be fetched';
  return null;
}

export interface BrokerScriptOptions {
  /** Client port (default 9092); the controller listens on port + 1. */
  port?: number;
  /** stop: keep the data so a later start resumes the same log (restart tests). */
  keepData?: boolean;
  /** JVM heap for start (default 512m). */
  heap?: string;
  timeoutMs?: number;
}

function run(script: string, options: BrokerScriptOptions, timeoutMs: number): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.port !== undefined) env.RINGMATCH_KAFKA_PORT = String(options.port);
  if (options.heap) env.RINGMATCH_KAFKA_HEAP = options.heap;
  if (options.keepData) env.RINGMATCH_KAFKA_KEEP_DATA = '1';
  else delete env.RINGMATCH_KAFKA_KEEP_DATA;
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(scriptsDir, script)], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/kafka/${script} failed (${error.message.split('\n')[0]}):\n${stderr}${stdout}`));
      else resolve(stdout + stderr);
    });
  });
}

/** Runs scripts/kafka/fetch.sh (Maven; quick when the jars are present). */
export function fetchBrokerJars(timeoutMs = 600_000): Promise<string> {
  return run('fetch.sh', {}, timeoutMs);
}

/** Runs scripts/kafka/start.sh on the port (fetching the jars first if needed). */
export async function startBroker(options: BrokerScriptOptions = {}): Promise<string> {
  await fetchBrokerJars();
  return run('start.sh', options, options.timeoutMs ?? 150_000);
}

/** Runs scripts/kafka/stop.sh for the port. */
export function stopBroker(options: BrokerScriptOptions = {}): Promise<string> {
  return run('stop.sh', options, options.timeoutMs ?? 60_000);
}

/** The pid of the broker start.sh recorded for the port, if that process is alive. */
export function brokerPid(port = 9092): number | null {
  const file = path.join(process.env.RINGMATCH_KAFKA_STATE_DIR ?? path.join(os.tmpdir(), `ringmatch-kafka-${port}`), 'broker.pid');
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}
