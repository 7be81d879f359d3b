import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { startGroupMember, splitsPartitions, type GroupMember } from './support/group-member.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';

// kafkajs internals, patched in this process only: the broker call that carries an OffsetCommit,
// and the protocol error a coordinator answers when a request timed out (retriable).
const require = createRequire(import.meta.url);
const { default: Broker } = { default: require('kafkajs/src/broker/index.js') } as {
  default: { prototype: { offsetCommit: (request: OffsetCommitRequest) => Promise<unknown> } };
};
const { KafkaJSProtocolError } = require('kafkajs/src/errors.js') as {
  KafkaJSProtocolError: new (e: unknown) => Error;
};
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => unknown;
};
const REQUEST_TIMED_OUT = 7;

interface OffsetCommitRequest {
  groupId: string;
  memberId: string;
  groupGenerationId: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

const PER_PARTITION = 20;

describe('a Kafka-store commit whose first attempt fails across a rebalance (D2)', () => {
  const kit = new KafkaTestKit();
  const members: GroupMember[] = [];
  const original = Broker.prototype.offsetCommit;
  afterEach(async () => {
    Broker.prototype.offsetCommit = original;
    await Promise.all(members.splice(0).map((m) => m.close()));
    await kit.close();
  });

  it('is not sent again under the next generation: the new owner’s committed offset never goes back', async () => {
    const topic = await kit.createTopic(unique('commit-generation'), 2);
    const groupId = unique('commit-generation');
    let next = 0;
    const produce = (partitions: number[]) =>
      kit.produce(
        topic,
        partitions.flatMap((partition) =>
          Array.from({ length: PER_PARTITION }, () => ({ partition, value: JSON.stringify({ id: String(next++) }) })),
        ),
      );
    const committed = async (partition: number) => Number((await kit.committed(groupId, topic))[partition]);

    // kafkajs' round-robin assigner orders members by member id, which starts with the client id:
    // once B ("member-a") joins, it takes partition 0 from A ("member-z"); A keeps partition 1.
    const a = await startGroupMember('member-z', topic, groupId);
    members.push(a);
    const runner = a.server.groups.get(groupId)!;
    const group = await runner.consumer.describeGroup();
    const memberIdOfA = group.members.find((m) => m.clientId === 'member-z')?.memberId ?? '';
    await produce([0, 1]);
    await waitFor(
      'A to commit the first records',
      async () => (await committed(0)) === 20 && (await committed(1)) === 20,
    );
    expect(memberIdOfA).not.toBe('');

    // A's next commit (partition 0 past 20) is held, and then answered "request timed out".
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held: OffsetCommitRequest | undefined;
    const laterAttempts: OffsetCommitRequest[] = [];
    Broker.prototype.offsetCommit = async function (this: unknown, request: OffsetCommitRequest) {
      if (request.groupId === groupId && request.memberId === memberIdOfA) {
        if (!held) {
          held = request;
          await released;
          throw new KafkaJSProtocolError(createErrorFromCode(REQUEST_TIMED_OUT));
        }
        laterAttempts.push(request);
      }
      return original.call(this, request);
    };
    await produce([0]);
    await waitFor('A’s commit of partition 0 to be held', () => held !== undefined);
    const heldOffset = Number(held!.topics[0].partitions.find((p) => p.partition === 0)?.offset);
    expect(heldOffset).toBeGreaterThan(20);

    // Meanwhile B joins, takes partition 0, reads it again from 20, goes on to 60 and commits.
    const b = await startGroupMember('member-a', topic, groupId);
    members.push(b);
    await waitFor('the members to split the partitions', () => splitsPartitions([a, b], 2), 60_000);
    expect([b.partitions(), a.partitions()]).toEqual([[0], [1]]);
    await produce([0, 1]);
    await waitFor('B to commit 60 on partition 0', async () => (await committed(0)) === 60, 60_000);

    // The held attempt now fails. A must not send what it computed under the old generation again.
    // Its commits are serialized: once partition 1 (kept) is committed at 40, the held one is over.
    release();
    await waitFor('A to commit partition 1, which it kept', async () => (await committed(1)) === 40, 60_000);
    console.info(`partition 0 committed after the held commit: ${await committed(0)}`);
    const resent = laterAttempts.filter((request) =>
      request.topics.some((t) => t.partitions.some((p) => p.partition === 0)),
    );
    expect(resent.map((r) => `generation ${r.groupGenerationId}: ${JSON.stringify(r.topics)}`)).toEqual([]);
    expect(await committed(0)).toBe(60);
  });
});
