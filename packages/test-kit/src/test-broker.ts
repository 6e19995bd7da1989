// A real broker for every Kafka test and bench, never a mock.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '@ringmatch/kafka';
import { brokerPid, brokerUnavailableReason, startBroker, stopBroker } from './broker.js';

/** Port of the broker the helpers start themselves (not 9092, so it never meets CI's broker). */
export const TEST_BROKER_PORT = Number(process.env.RINGMATCH_KAFKA_PORT ?? 19092);

export type BrokerAvailability = { ok: true; brokers: string[]; external: boolean } | { ok: false; reason: string };

/**
 * Synchronous check for test files (`describe.skipIf(!kafkaAvailability().ok)`):
 * - `RINGMATCH_KAFKA_BROKERS` set: use that broker;
 * - else java + mvn (or fetched jars): `ensureBroker()` starts one;
 * - else: skip with a LOUD reason on stderr, except under `CI`, where it throws (CI never skips).
 */
export function kafkaAvailability(): BrokerAvailability {
  const env = process.env.RINGMATCH_KAFKA_BROKERS;
  if (env?.trim()) return { ok: true, brokers: parseBrokers(env), external: true };
  const reason = brokerUnavailableReason();
  if (reason === null) return { ok: true, brokers: [`127.0.0.1:${TEST_BROKER_PORT}`], external: false };
  const message = `Kafka tests need a broker: ${reason}. Set RINGMATCH_KAFKA_BROKERS or install Java 17 + Maven.`;
  if (process.env.CI) throw new Error(`CI must not skip the Kafka tests. ${message}`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING KAFKA TESTS: ${message}\n${'!'.repeat(78)}\n\n`);
  return { ok: false, reason };
}

/**
 * For tests that start and restart a broker of their own (scripts/kafka): true when java and mvn
 * (or fetched jars) are there; otherwise a LOUD skip, or a throw under `CI`.
 */
export function canStartBroker(): boolean {
  const reason = brokerUnavailableReason();
  if (reason === null) return true;
  const message = `this Kafka test starts its own broker, but ${reason}.`;
  if (process.env.CI) throw new Error(`CI must not skip the Kafka tests: ${message}`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING KAFKA BROKER TEST: ${message}\n${'!'.repeat(78)}\n\n`);
  return false;
}

export interface TestBroker {
  brokers: string[];
  /** A client with bounded timeouts. */
  kafka: Kafka;
  /** True when the broker came from RINGMATCH_KAFKA_BROKERS (we never stop it). */
  external: boolean;
  /** Releases this process's use; the last user of a self-started broker stops it. */
  release(): Promise<void>;
}

const lockDir = path.join(os.tmpdir(), `ringmatch-kafka-${TEST_BROKER_PORT}.lock`);
const usersDir = path.join(os.tmpdir(), `ringmatch-kafka-${TEST_BROKER_PORT}.users`);

async function withLock<T>(fn: () => Promise<T>, timeoutMs = 200_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 180_000) rmSync(lockDir, { recursive: true, force: true }); // stale
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`ensureBroker: lock ${lockDir} not acquired within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function liveUsers(): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(usersDir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const n of names) {
    const pid = Number(n);
    try {
      process.kill(pid, 0);
      live.push(pid);
    } catch {
      rmSync(path.join(usersDir, n), { force: true });
    }
  }
  return live;
}

let shared: Promise<TestBroker> | null = null;
let refs = 0;

/**
 * A broker for tests and benches. Uses `RINGMATCH_KAFKA_BROKERS` when set; otherwise starts one
 * with scripts/kafka on 127.0.0.1:19092 (`RINGMATCH_KAFKA_PORT`), shared by every test process
 * (a lock plus one user file per process) and stopped by the last `release()`. Throws when no
 * broker is possible (call `kafkaAvailability()` first to skip loudly instead).
 */
export function ensureBroker(): Promise<TestBroker> {
  refs++;
  shared ??= (async () => {
    const avail = kafkaAvailability();
    if (!avail.ok) throw new Error(`no Kafka broker: ${avail.reason}`);
    const kafka = createKafka({ brokers: avail.brokers, clientId: `ringmatch-test-${process.pid}` });
    if (avail.external) {
      return { brokers: avail.brokers, kafka, external: true, release: async () => undefined };
    }
    await withLock(async () => {
      mkdirSync(usersDir, { recursive: true });
      if (brokerPid(TEST_BROKER_PORT) === null) await startBroker({ port: TEST_BROKER_PORT });
      writeFileSync(path.join(usersDir, String(process.pid)), '');
    });
    return { brokers: avail.brokers, kafka, external: false, release: async () => undefined };
  })();
  const handle = shared;
  return handle.then((b) => ({
    ...b,
    release: async () => {
      if (--refs > 0 || b.external) return;
      shared = null;
      await withLock(async () => {
        rmSync(path.join(usersDir, String(process.pid)), { force: true });
        if (liveUsers().length === 0) {
          await stopBroker({ port: TEST_BROKER_PORT });
          rmSync(usersDir, { recursive: true, force: true });
        }
      });
    },
  }));
}
