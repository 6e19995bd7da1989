// Atomics.waitAsync as the engine's workers use it: typed for Node 20 (the TypeScript lib has it
// only from ES2024), and holding a handle while it is pending, because a pending waitAsync does
// not keep a worker alive: with no other handle (a source that holds none yet, the Kafka client
// during a broker restart) the worker would exit under the waiter with code 0.

type WaitAsyncResult = { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): WaitAsyncResult }).waitAsync;

/** Resolves when word `index` of `words` is not `value`, on a notify of it, or after `timeoutMs`. */
export async function parkAsync(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const result = waitAsync(words, index, value, timeoutMs);
  if (!result.async) return;
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await result.value;
  } finally {
    clearInterval(keepAlive);
  }
}
