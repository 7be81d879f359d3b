import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { PollingFixture, waitForAssignment } from './support/polling.js';

describe('PollingConsumer across a rebalance while its buffer had paused fetching (S3)', () => {
  const kit = new KafkaTestKit();
  let fixture = new PollingFixture();
  afterEach(async () => {
    await fixture.close();
    fixture = new PollingFixture();
    await kit.close();
  });

  it.each([
    ["the review's sequence (whole fetches buffered)", {}],
    ['small fetches (about 100 records buffered over 4 partitions)', { maxBytesPerPartition: 2048 }],
  ])(
    "keeps receiving its partitions' records after a second member joins, until their lag is 0: %s",
    async (_case, consumer) => {
      const topic = await kit.createTopic(unique('poll-s3'), 4);
      const groupId = unique('poll-s3-group');
      for (let batch = 0; batch < 10; batch++) {
        await kit.produce(
          topic,
          Array.from({ length: 1000 }, (_, n) => ({ key: `k${batch * 1000 + n}`, value: String(batch * 1000 + n) })),
        );
      }
      const admin = await kit.getAdmin();
      const ends = Object.fromEntries(
        (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high] as const),
      );

      const a = await fixture.create({
        groupId,
        topics: [topic],
        fromBeginning: true,
        maxBufferedMessages: 100,
        consumer,
      });
      await waitForAssignment(a, 4);
      // One small poll: the buffer stays (nearly) full, so fetching stays paused.
      const first = await waitFor('first records', async () => {
        const records = await a.poll({ timeoutMs: 500, maxMessages: 10 });
        return records.length > 0 ? records : undefined;
      });
      expect(first!.length).toBeLessThanOrEqual(10);

      const b = await fixture.create({ groupId, topics: [topic], fromBeginning: true, maxBufferedMessages: 100 });
      await waitForAssignment(b, 2);
      await waitForAssignment(a, 2);
      const mine = a.assignment().map((p) => p.partition);

      // A polls and commits in a loop: each of its partitions must reach its end offset.
      await waitFor(
        `A's partitions ${mine.join(', ')} committed up to their end offsets`,
        async () => {
          await a.poll({ timeoutMs: 200, maxMessages: 500 });
          await a.commit();
          const committed = await kit.committed(groupId, topic);
          return mine.every((p) => committed[p] === ends[p]);
        },
        40_000,
        0,
      );
    },
  );
});
