// The Kafka cluster could not be read at start: the brokers refused or did not answer, or a topic
// the run needs is missing. An operator's fault with a way out, so the engine stops with one line
// (fault.ts), not a stack trace.
export class KafkaStartError extends Error {
  readonly code = 'KAFKA_START';
}

/** The one line for `what` failing on `brokers` with `error`, and the way out. */
export function kafkaStartError(what: string, brokers: string[], error: unknown, after: string): KafkaStartError {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new KafkaStartError(`${what} on ${brokers.join(',')} (${reason}): check --brokers and that the brokers are up, then run again; ${after}`);
}
