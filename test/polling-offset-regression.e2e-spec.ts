import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique } from './support/kafka.js';
import { PollingFixture, pollUntil, toGreatestLabel, waitForAssignment } from './support/polling.js';

describe('PollingConsumer commit(records) of a partition that moved away and came back (D3)', () => {
  const kit = new KafkaTestKit();
  let fixture = new PollingFixture();
  afterEach(async () => {
    await fixture.close();
    fixture = new PollingFixture();
    await kit.close();
  });

  it('ignores records polled before the partition moved, so the committed offset never decreases', async () => {
    const topic = await kit.createTopic(unique('poll-d3'), 1);
    const groupId = unique('poll-d3-group');
    await kit.produce(
      topic,
      Array.from({ length: 300 }, (_, n) => ({ value: String(n) })),
    );
    const options = (label: string) => ({
      groupId,
      topics: [topic],
      fromBeginning: true,
      deserializer: 'string' as const,
      consumer: { partitionAssigners: [toGreatestLabel(label)] },
    });

    const a = await fixture.create(options('a'));
    await waitForAssignment(a, 1);
    const polledByA = await pollUntil(a, '100 records', (records) => records.length >= 100);
    const firstHundred = polledByA.slice(0, 100);
    expect(firstHundred.at(-1)!.offset).toBe('99');

    // B takes the partition, processes 200 records and commits them.
    const b = await fixture.create(options('b'));
    await waitForAssignment(b, 1);
    await waitForAssignment(a, 0);
    const polledByB = await pollUntil(b, '200 records', (records) => records.length >= 200);
    await b.commit(polledByB.slice(0, 200));
    expect((await kit.committed(groupId, topic))[0]).toBe('200');
    const committedByB = Number((await kit.committed(groupId, topic))[0]);

    // B leaves: the partition comes back to A (same member), which commits what it polled before.
    await b.close();
    await waitForAssignment(a, 1);
    await a.commit(firstHundred);
    expect(Number((await kit.committed(groupId, topic))[0])).toBe(committedByB);

    // A goes on from B's committed offset, not from what it had buffered before the move.
    const next = await pollUntil(a, 'records after the move', (records) => records.length > 0);
    expect(next[0].offset).toBe(String(committedByB));
  });
});
