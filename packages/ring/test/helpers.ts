import { Worker } from 'node:worker_threads';
import type { RingBuffer } from '@ringmatch/ring';

export const WORKER = new URL('./worker.mjs', import.meta.url);

export interface Spawned {
  worker: Worker;
  // biome-ignore lint/suspicious/noExplicitAny: each worker role reports its own fields; tests read them
  result: Promise<any>;
}

const live = new Set<Worker>();

/** Start a test worker playing `role`; its result promise rejects after `timeoutMs`. */
export function spawn(ring: RingBuffer, role: string, data: Record<string, unknown>, timeoutMs = 30_000): Spawned {
  return spawnScript(WORKER, role, { ring: ring.descriptor, ...data }, timeoutMs);
}

/** Start `script` (a test worker taking `role` in workerData); its result promise rejects after `timeoutMs`. */
export function spawnScript(script: URL, role: string, data: Record<string, unknown>, timeoutMs = 30_000): Spawned {
  const worker = new Worker(script, { workerData: { role, ...data } });
  live.add(worker);
  // biome-ignore lint/suspicious/noExplicitAny: as Spawned.result
  const result = new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${role} timed out after ${timeoutMs} ms`)), timeoutMs);
    worker.once('message', (m) => {
      clearTimeout(timer);
      if (m.ok) resolve(m);
      else reject(new Error(m.error));
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      live.delete(worker);
      reject(new Error(`worker ${role} exited (${code}) before reporting`));
    });
  });
  result.catch(() => {});
  return { worker, result };
}

export async function terminateAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.terminate()));
  live.clear();
}

/** Poll `cond` until true or `timeoutMs` (throws). */
export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Sum 1..n (producer-local values). */
export function tri(n: number): number {
  return (n * (n + 1)) / 2;
}
