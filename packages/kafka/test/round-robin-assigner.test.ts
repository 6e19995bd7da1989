// The group's partition assignment: only members subscribed to a topic get its partitions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AssignerProtocol, ROUND_ROBIN_PROTOCOL, assignRoundRobin, subscribedRoundRobin } from '../src/index.js';

const partitions = (n: number) => () => Array.from({ length: n }, (_, i) => i);

describe('round-robin assignment over subscribed members', () => {
  it('two members on different topics each get all of their own topic and nothing of the other', () => {
    const members = new Map([
      ['m-1', new Set(['orders-b'])],
      ['m-2', new Set(['orders-a'])],
    ]);
    const assignment = assignRoundRobin(members, partitions(2), ['orders-a', 'orders-b']);
    expect(Object.fromEntries(assignment)).toEqual({ 'm-1': { 'orders-b': [0, 1] }, 'm-2': { 'orders-a': [0, 1] } });
  });

  it('members of one topic share its partitions evenly, in member order', () => {
    const members = new Map(['c', 'a', 'b'].map((id) => [id, new Set(['t'])]));
    const assignment = assignRoundRobin(members, partitions(7), ['t']);
    expect(Object.fromEntries(assignment)).toEqual({ a: { t: [0, 3, 6] }, b: { t: [1, 4] }, c: { t: [2, 5] } });
  });

  it('any subscriptions: every partition of a subscribed topic goes to exactly one subscriber; members of one topic differ by at most one', () => {
    const topicNames = ['t0', 't1', 't2'];
    fc.assert(
      fc.property(
        fc.array(fc.subarray(topicNames), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
        (subs, counts) => {
          const members = new Map(subs.map((topics, i) => [`member-${i}`, new Set(topics)]));
          const assignment = assignRoundRobin(members, (t) => partitions(counts[topicNames.indexOf(t)]!)(), topicNames);
          expect([...assignment.keys()].sort()).toEqual([...members.keys()].sort());
          for (const [t, topic] of topicNames.entries()) {
            const owners = [...assignment].flatMap(([id, a]) => (a[topic] ?? []).map((p) => ({ id, p })));
            for (const { id } of owners) expect(members.get(id)!.has(topic)).toBe(true);
            const subscribed = [...members.values()].some((m) => m.has(topic));
            expect(owners.map((o) => o.p).sort((x, y) => x - y)).toEqual(subscribed ? partitions(counts[t]!)() : []);
            if (subs.every((s) => s.length <= 1)) {
              // one topic per member: plain round-robin among that topic's members
              const sizes = [...members].filter(([, m]) => m.has(topic)).map(([id]) => assignment.get(id)![topic]?.length ?? 0);
              if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('speaks the "roundrobin" protocol of librdkafka and the Java client; assigns every member\'s topics, not only the leader\'s', async () => {
    // The leader's cluster view knows only its own topic until the others are loaded; 'gone' cannot be.
    const known = new Set(['x']);
    const metadata: Record<string, Array<{ partitionId: number }>> = { x: [{ partitionId: 1 }, { partitionId: 0 }], y: [{ partitionId: 0 }] };
    const cluster = {
      findTopicPartitionMetadata: (topic: string) => (known.has(topic) ? metadata[topic]! : []),
      addMultipleTargetTopics: async (topics: string[]) => {
        if (topics.includes('gone')) throw new Error('UNKNOWN_TOPIC_OR_PARTITION');
        for (const t of topics) known.add(t);
      },
    };
    const assigner = subscribedRoundRobin({ cluster, groupId: 'g', logger: undefined } as never);
    expect(assigner.name).toBe(ROUND_ROBIN_PROTOCOL);
    const state = assigner.protocol({ topics: ['x'] });
    expect(AssignerProtocol.MemberMetadata.decode(state.metadata)?.topics).toEqual(['x']);
    const members = [
      { memberId: 'b', memberMetadata: state.metadata },
      { memberId: 'a', memberMetadata: assigner.protocol({ topics: ['y'] }).metadata },
      { memberId: 'z', memberMetadata: Buffer.from('garbage') },
      { memberId: 'c', memberMetadata: assigner.protocol({ topics: ['gone'] }).metadata },
    ];
    // kafkajs hands the leader's own topics only: the others come from the members' subscriptions
    const result = await assigner.assign({ members, topics: ['x'] });
    const decoded = Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]));
    expect(decoded).toEqual({ a: { y: [0] }, b: { x: [0, 1] }, c: {}, z: {} });
  });
});
