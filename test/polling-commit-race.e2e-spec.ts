import { CommitFailedError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { PollingFixture, pollUntil, waitForAssignment } from './support/polling.js';

describe('PollingConsumer commit that loses a race with a rebalance', () => {
  const kit = new KafkaTestKit();
  let fixture = new PollingFixture();
  afterEach(async () => {
    await fixture.close();
    fixture = new PollingFixture();
    await kit.close();
  });

  it('rejects with CommitFailedError naming the revoked partitions, and polls their records again when they come back', async () => {
    const topic = await kit.createTopic(unique('poll-race'), 2);
    const groupId = unique('poll-race-group');
    await kit.produce(topic, [
      ...Array.from({ length: 10 }, (_, n) => ({ partition: 0, value: `p0-${n}` })),
      ...Array.from({ length: 10 }, (_, n) => ({ partition: 1, value: `p1-${n}` })),
    ]);
    // A heartbeats rarely, so it misses B's join: the group completes the rebalance without it
    // (rebalance timeout 3 s) and A's commit reaches the coordinator under a generation that is over.
    const a = await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string',
      consumer: { sessionTimeout: 30_000, heartbeatInterval: 12_000, rebalanceTimeout: 3000 },
    });
    await waitForAssignment(a, 2);
    const polled = await pollUntil(a, 'the 20 records', (records) => records.length === 20);

    const b = await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string',
      // B heartbeats often, so it always makes the 3 s rebalance window when A rejoins (a B that
      // missed it would be dropped, and the two would take turns holding both partitions).
      consumer: { rebalanceTimeout: 3000, heartbeatInterval: 500 },
    });
    await waitForAssignment(b, 2, 60_000);

    const error = await a.commit(polled).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommitFailedError);
    expect((error as CommitFailedError).code).toBe('KAFKA_CONSUMER_COMMIT_FAILED');
    expect((error as CommitFailedError).partitions.map((p) => p.partition).toSorted()).toEqual([0, 1]);
    expect((error as Error).message).toContain(topic);
    expect(await kit.committed(groupId, topic)).toEqual({ 0: '-1', 1: '-1' });

    // A rejoined and got a partition back: its records, never committed, are polled again from the start.
    // A learns at its next heartbeat (up to 12 s) that it must rejoin.
    await waitForAssignment(a, 1, 60_000);
    const [{ partition }] = a.assignment();
    const again = await pollUntil(a, `partition ${partition} again`, (records) =>
      records.some((r) => r.partition === partition),
    );
    expect(again.find((r) => r.partition === partition)!.offset).toBe('0');
    await a.commit();
    await waitFor('the commit of the partition that came back', async () => {
      return Number((await kit.committed(groupId, topic))[partition]) > 0;
    });
  });
});
