import { afterEach, describe, expect, it } from 'vitest';
import { startGroupMember, splitsPartitions, type GroupMember } from './support/group-member.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';

const PARTITIONS = 4;

describe('members of one consumer group', () => {
  const kit = new KafkaTestKit();
  const members: GroupMember[] = [];
  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.close().catch(() => undefined)));
    await kit.close();
  });

  it('split the partitions: each partition is processed by exactly one member, each record once', async () => {
    const topic = await kit.createTopic(unique('members'), PARTITIONS);
    const groupId = unique('members-group');
    members.push(await startGroupMember('member-a', topic, groupId));
    members.push(await startGroupMember('member-b', topic, groupId));
    await waitFor('the members to split the partitions', () => splitsPartitions(members, PARTITIONS));
    const owners = new Map(members.flatMap((m) => m.partitions().map((p) => [p, m.name] as const)));

    const total = 400;
    await kit.produce(
      topic,
      Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: `r${i}` }) })),
    );
    const processed = () => members.flatMap((m) => m.processed().map((r) => ({ ...r, member: m.name })));
    await waitFor('every record to be processed', () => processed().length >= total);

    const records = processed();
    expect(records).toHaveLength(total);
    expect(new Set(records.map((r) => r.id)).size).toBe(total);
    const membersByPartition = new Map<number, Set<string>>();
    for (const record of records) {
      membersByPartition.set(
        record.partition,
        (membersByPartition.get(record.partition) ?? new Set()).add(record.member),
      );
    }
    expect(membersByPartition.size).toBe(PARTITIONS);
    for (const [partition, names] of membersByPartition) {
      expect([...names], `members that processed partition ${partition}`).toEqual([owners.get(partition)]);
    }
    for (const member of members) {
      expect(member.processed().length, `${member.name} processed records`).toBeGreaterThan(0);
      // In order within each partition.
      for (const partition of member.partitions()) {
        const offsets = member
          .processed()
          .filter((r) => r.partition === partition)
          .map((r) => r.offset);
        expect(offsets).toEqual(offsets.toSorted((a, b) => a - b));
      }
    }
    // No rebalance happened while records flowed: the split seen before producing held.
    for (const member of members) {
      expect(new Set(member.processed().map((r) => r.partition))).toEqual(new Set(member.partitions()));
    }

    const ends = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor(
      'the group to commit every partition to its end',
      async () => JSON.stringify(await kit.committed(groupId, topic)) === JSON.stringify(ends),
    );
  });
});
