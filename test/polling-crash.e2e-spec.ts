import { ConsumerCrashedError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { PollingFixture, pollUntil, toGreatestLabel, waitForAssignment } from './support/polling.js';

describe('PollingConsumer whose kafkajs consumer crashed without restarting', () => {
  const kit = new KafkaTestKit();
  let fixture = new PollingFixture();
  afterEach(async () => {
    await fixture.close();
    fixture = new PollingFixture();
    await kit.close();
  });

  it('rejects poll() and commit() with ConsumerCrashedError instead of returning [] forever', async () => {
    const topic = await kit.createTopic(unique('poll-crash'), 1);
    const groupId = unique('poll-crash-group');
    await kit.produce(topic, [{ value: 'one' }]);
    let rebalances = 0;
    const a = await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string',
      consumer: {
        // A leads the group; the assignment it computes when B joins throws, and kafkajs gives up.
        partitionAssigners: [
          toGreatestLabel('a', () => {
            if (rebalances++ > 0) throw new Error('assigner failure injected by the test');
          }),
        ],
        retry: { retries: 0, restartOnFailure: async () => false },
      },
    });
    await waitForAssignment(a, 1);
    await pollUntil(a, 'the first record', (records) => records.length === 1);

    await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      consumer: { partitionAssigners: [toGreatestLabel('b')] },
    });

    const error = await waitFor('poll() to reject', () =>
      a.poll({ timeoutMs: 200 }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(error).toBeInstanceOf(ConsumerCrashedError);
    expect((error as ConsumerCrashedError).code).toBe('KAFKA_CONSUMER_CRASHED');
    expect((error as Error).message).toContain(groupId);
    expect(String((error as Error).cause)).toContain('assigner failure injected by the test');
    await expect(a.commit()).rejects.toBeInstanceOf(ConsumerCrashedError);
  });

  it('after a crash it restarts from, drops its buffer and reads again from the committed offset (D3)', async () => {
    const topic = await kit.createTopic(unique('poll-restart'), 1);
    const groupId = unique('poll-restart-group');
    await kit.produce(
      topic,
      Array.from({ length: 20 }, (_, n) => ({ value: String(n) })),
    );
    let rebalances = 0;
    const a = await fixture.create({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string',
      consumer: {
        partitionAssigners: [
          toGreatestLabel('z', () => {
            if (rebalances++ > 0) throw new Error('assigner failure injected by the test');
          }),
        ],
        retry: { retries: 0, restartOnFailure: async () => true },
      },
    });
    // Five records polled (the rest buffered), two of them committed.
    const before = await pollUntil(a, '5 records', (records) => records.length >= 5, 30_000, 5);
    await a.commit(before.slice(0, 2));
    expect((await kit.committed(groupId, topic))[0]).toBe('2');

    // B's join makes A's assigner throw: kafkajs crashes, restarts, and A rejoins under a new member id.
    await fixture.create({
      groupId,
      topics: [topic],
      consumer: { partitionAssigners: [toGreatestLabel('b')] },
    });
    const after = await pollUntil(a, 'records after the restart', (records) =>
      records.some((r) => r.generation > before[0].generation),
    );
    const fresh = after.filter((r) => r.generation > before[0].generation);
    expect(fresh[0].offset).toBe('2');
    expect(after.filter((r) => r.generation === before[0].generation)).toEqual([]);

    // Records polled before the crash are of an earlier assignment: committing them changes nothing.
    await a.commit(before);
    expect((await kit.committed(groupId, topic))[0]).toBe('2');
  });
});
