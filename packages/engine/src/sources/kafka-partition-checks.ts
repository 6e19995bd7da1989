// Two questions both Kafka drivers ask the broker (through kafkajs' admin client): was a partition
// newly assigned here processed by another engine, and has the input been consumed to its end.
import { topicOffsets, type createKafka } from '@ringmatch/kafka';
import { reportsTopic, tradesTopic } from '../shared.js';

/**
 * Guard against processing a partition twice: this engine's WAL has no offset for `partitions`,
 * but if their output partitions already hold records, another engine (with its own WAL and
 * books) processed them, e.g. a rebalance moved the partition here. Re-reading it from the start
 * would publish its trades again, so refuse loudly (the other engine resumes it from its WAL).
 * Orders keyed by symbol with the default partitioner and output topics with the same partition
 * count (as prepareTopics creates them) put the outputs of input partition p in output partition p.
 */
async function processedElsewhere(kafka: ReturnType<typeof createKafka>, topic: string, partitions: number[]): Promise<string | null> {
  const inputs = await topicOffsets(kafka, topic);
  for (const out of [tradesTopic(topic), reportsTopic(topic)]) {
    const marks = await topicOffsets(kafka, out);
    if (marks.size !== inputs.size) continue; // not our topology: no mapping to check
    const busy = partitions.filter((p) => {
      const m = marks.get(p);
      return m !== undefined && m.high > m.low;
    });
    if (busy.length > 0) {
      return `partition(s) ${busy.join(',')} of ${topic} were assigned to this engine, whose WAL has no offset for them, but ${out} partition(s) ${busy.join(',')} already hold output: another engine processed them (a rebalance moved them here?). Re-reading them from the start would publish their trades twice; refusing. Run a fixed set of engines that all join before orders flow, or restart the engine that owns this partition's WAL.`;
    }
  }
  return null;
}

export async function consumedToEnd(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  assigned: number[],
  resumeAt: Map<number, { offset: number }>,
): Promise<boolean> {
  if (assigned.length === 0) return false;
  let ends: Awaited<ReturnType<typeof topicOffsets>>;
  try {
    ends = await topicOffsets(kafka, topic);
  } catch {
    return false; // broker unreachable (e.g. restarting): not idle, the consumer reconnects
  }
  return assigned.every((p) => (resumeAt.get(p)?.offset ?? 0) >= (ends.get(p)?.high ?? 0));
}

/** A partition another engine processed was assigned here: an operator's topology slip, refused in one line (fault.ts). */
export class PartitionTakenError extends Error {
  override readonly name = 'PartitionTakenError';
  readonly code = 'KAFKA_PARTITION_TAKEN';
}

/**
 * For newly assigned `partitions`: the error to fail with when one the WAL has no offset for was
 * processed by another engine (see processedElsewhere), or when that cannot be checked; null when
 * all is well.
 */
export async function takenElsewhere(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  partitions: number[],
  resumeAt: Map<number, unknown>,
): Promise<Error | null> {
  const unknown = partitions.filter((p) => !resumeAt.has(p));
  if (unknown.length === 0) return null;
  try {
    const taken = await processedElsewhere(kafka, topic, unknown);
    return taken === null ? null : new PartitionTakenError(taken);
  } catch (e) {
    return new Error(`cannot check whether partition(s) ${unknown.join(',')} were processed elsewhere: ${(e as Error).message}`);
  }
}
