// The kafkajs consumer's partition assigner. kafkajs' own RoundRobinAssigner, on the group leader,
// deals the partitions of the leader's own topics across all members, whatever each one subscribed
// to, and never assigns the other members' topics: two engines on different topics in one group
// then leave partitions nobody reads (an engine ends idle with part of its trades, exit 0). This
// one assigns the topics every member subscribed to, each partition only to a member subscribed to
// its topic, round-robin in member order, as the Java client's and librdkafka's "roundrobin"
// assignors do; it shares their protocol name, so kafkajs and librdkafka engines can share a group.
import { AssignerProtocol, type Assigner, type Cluster, type GroupMember, type GroupMemberAssignment, type PartitionAssigner } from 'kafkajs';

/** The protocol name members agree on (the one librdkafka and the Java client use for round-robin). */
export const ROUND_ROBIN_PROTOCOL = 'roundrobin';

/** Which topics each member subscribed to (from its join metadata; unreadable metadata subscribes to nothing). */
function subscriptions(members: GroupMember[]): Map<string, Set<string>> {
  const byMember = new Map<string, Set<string>>();
  for (const member of members) {
    let topics: string[] = [];
    try {
      topics = AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics ?? [];
    } catch {
      topics = [];
    }
    byMember.set(member.memberId, new Set(topics));
  }
  return byMember;
}

/**
 * Assigns the partitions of `topics` (each topic's partition numbers) to the members subscribed to
 * them: topics and partitions in sorted order, each to the next subscribed member after the one that
 * took the previous partition (members sorted by id). Every member gets an entry, possibly empty.
 */
export function assignRoundRobin(
  members: ReadonlyMap<string, ReadonlySet<string>>,
  partitionsOf: (topic: string) => readonly number[],
  topics: readonly string[],
): Map<string, Record<string, number[]>> {
  const memberIds = [...members.keys()].sort();
  const assignment = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]));
  let next = 0;
  for (const topic of [...new Set(topics)].sort()) {
    const subscribed = memberIds.filter((id) => members.get(id)!.has(topic));
    if (subscribed.length === 0) continue;
    for (const partition of [...partitionsOf(topic)].sort((a, b) => a - b)) {
      // the next member in the circular order that subscribed to this topic
      let id = memberIds[next % memberIds.length]!;
      while (!members.get(id)!.has(topic)) id = memberIds[++next % memberIds.length]!;
      next++;
      const mine = assignment.get(id)!;
      (mine[topic] ??= []).push(partition);
    }
  }
  return assignment;
}

/**
 * Loads the partition metadata of `topics` into the leader's cluster view (kafkajs holds only the
 * leader's own topics). A topic that cannot be loaded (deleted, not authorised) is left out: its
 * subscribers get none of it, and the others still get theirs.
 */
async function loadTopics(cluster: Cluster, topics: string[]): Promise<Set<string>> {
  try {
    await cluster.addMultipleTargetTopics(topics);
    return new Set(topics);
  } catch {
    const loaded = new Set<string>();
    for (const topic of topics) {
      try {
        await cluster.addMultipleTargetTopics([topic]);
        loaded.add(topic);
      } catch {
        // left out: see above
      }
    }
    return loaded;
  }
}

/** kafkajs `partitionAssigners` entry: round-robin over the members subscribed to each topic. */
export const subscribedRoundRobin: PartitionAssigner = ({ cluster }): Assigner => ({
  name: ROUND_ROBIN_PROTOCOL,
  version: 0,
  async assign({ members, topics }): Promise<GroupMemberAssignment[]> {
    const subscribed = subscriptions(members);
    const all = [...new Set([...topics, ...[...subscribed.values()].flatMap((s) => [...s])])];
    const loaded = await loadTopics(cluster, all);
    const partitionsOf = (topic: string) => (loaded.has(topic) ? cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId) : []);
    const assignment = assignRoundRobin(subscribed, partitionsOf, all);
    return [...assignment].map(([memberId, topicPartitions]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: topicPartitions, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: ROUND_ROBIN_PROTOCOL, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
