// What the channel baseline's stages post to each other, and the pollers' credit gate.
import type { MessagePort } from 'node:worker_threads';

/**
 * A batch of command slots: sequences first .. first + count - 1, published at `t` (ms), in the
 * first count * COMMAND_SLOT_BYTES bytes of `bytes` (a reused buffer may be larger).
 */
export interface CommandBatch {
  first: number;
  count: number;
  t: number;
  bytes: ArrayBuffer;
}

export interface EndOfInput {
  done: true;
  /** Last sequence sent. */
  last: number;
  /** WAL frames (group commits) written: set by the journaler. */
  walFrames?: number;
}

/** The matcher's last message, to the main thread. */
export interface MatcherDone {
  done: true;
  last: number;
  trades: number;
  walFrames: number;
  /** When the last command was matched (ms, performance.timeOrigin-based): the ring engine's end of run. */
  matchedAt: number;
  /** When the sink reported the last output durable (Kafka: acknowledged by the broker). */
  durableAt: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
}

export interface CreditGate {
  /** Waits for a credit: at most `window` batches in flight. */
  take(): Promise<void>;
  /** A buffer of `bytes` for the next batch: a returned one when it is that size. */
  buffer(bytes: number): Uint8Array;
}

/**
 * Credit-based flow control of the channel pollers: at most `window` batches in flight; the matcher
 * returns a credit per batch whose outputs the sink has taken, with that batch's buffer for reuse,
 * so no queue grows without bound and the steady state allocates no batch buffers.
 */
export function creditGate(port: MessagePort, window: number): CreditGate {
  let credits = window;
  let wake: (() => void) | null = null;
  const spare: ArrayBuffer[] = [];
  port.on('message', (returned: ArrayBuffer | number) => {
    credits++;
    if (returned instanceof ArrayBuffer && spare.length < window) spare.push(returned);
    wake?.();
  });
  return {
    async take() {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      credits--;
    },
    buffer(bytes) {
      const reused = spare.pop();
      return reused && reused.byteLength === bytes ? new Uint8Array(reused) : new Uint8Array(bytes);
    },
  };
}
