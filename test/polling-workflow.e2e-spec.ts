import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique } from './support/kafka.js';
import { PollingFixture, pollUntil, waitForAssignment } from './support/polling.js';

describe('PollingConsumer workflow: connect, subscribe, poll, seek back, pause, commit, close', () => {
  const kit = new KafkaTestKit();
  let fixture = new PollingFixture();
  afterEach(async () => {
    await fixture.close();
    fixture = new PollingFixture();
    await kit.close();
  });

  it('subscribes after connect(), once; poll() before subscribing is refused', async () => {
    const topic = await kit.createTopic(unique('poll-subscribe'), 1);
    const groupId = unique('poll-subscribe');
    await kit.produce(topic, [{ value: 'a' }, { value: 'b' }]);
    const consumer = await fixture.create({ groupId, fromBeginning: true, deserializer: 'string' });
    await expect(consumer.poll({ timeoutMs: 0 })).rejects.toThrow(/not subscribed/);

    await consumer.subscribe([topic]);
    await expect(consumer.subscribe([topic])).rejects.toThrow(/already subscribed/);
    const records = await pollUntil(consumer, 'both records', (polled) => polled.length === 2);
    expect(records.map((r) => r.value)).toEqual(['a', 'b']);
    await consumer.commit();
    expect((await kit.committed(groupId, topic))[0]).toBe('2');

    await consumer.close();
    await expect(consumer.poll()).rejects.toThrow(/closed/);
  });

  it('seeks back to a failed record: it is polled again and commit() stores no offset past it', async () => {
    const topic = await kit.createTopic(unique('poll-seek'), 1);
    const groupId = unique('poll-seek');
    await kit.produce(
      topic,
      Array.from({ length: 10 }, (_, n) => ({ value: String(n) })),
    );
    const consumer = await fixture.create({ groupId, topics: [topic], fromBeginning: true, deserializer: 'string' });
    const first = await pollUntil(consumer, '10 records', (polled) => polled.length === 10);
    // Records 0-3 succeeded, 4 failed: retry from 4.
    const failed = first[4];
    consumer.seek(failed.topic, failed.partition, failed.offset);
    await consumer.commit();
    expect((await kit.committed(groupId, topic))[0]).toBe('4');

    const retried = await pollUntil(consumer, 'records from the failed one', (polled) => polled.length === 6);
    expect(retried.map((r) => r.offset)).toEqual(['4', '5', '6', '7', '8', '9']);
    await consumer.commit();
    expect((await kit.committed(groupId, topic))[0]).toBe('10');
    expect(() => consumer.seek(topic, 5, 0)).toThrow(/not assigned/);
  });

  it('pauses a partition (its records wait, the others flow) until resume(), which delivers them once', async () => {
    const topic = await kit.createTopic(unique('poll-pause'), 2);
    const groupId = unique('poll-pause');
    const consumer = await fixture.create({ groupId, topics: [topic], fromBeginning: true, deserializer: 'string' });
    await waitForAssignment(consumer, 2);
    consumer.pause([{ topic, partition: 0 }]);
    expect(consumer.paused()).toEqual([{ topic, partition: 0 }]);
    await kit.produce(topic, [
      ...Array.from({ length: 5 }, (_, n) => ({ partition: 0, value: `p0-${n}` })),
      ...Array.from({ length: 5 }, (_, n) => ({ partition: 1, value: `p1-${n}` })),
    ]);

    const flowing = await pollUntil(consumer, 'the records of partition 1', (polled) => polled.length >= 5);
    expect(flowing.every((r) => r.partition === 1)).toBe(true);
    expect(await consumer.poll({ timeoutMs: 1000 })).toEqual([]);

    consumer.resume([{ topic, partition: 0 }]);
    expect(consumer.paused()).toEqual([]);
    const resumed = await pollUntil(consumer, 'the records of partition 0', (polled) => polled.length >= 5);
    expect(resumed.map((r) => `${r.partition}@${r.offset}`)).toEqual(['0@0', '0@1', '0@2', '0@3', '0@4']);

    // Pausing a whole topic while records are buffered: they are dropped, then fetched again after
    // resume(), so each is returned once, in order.
    await kit.produce(
      topic,
      Array.from({ length: 5 }, (_, n) => ({ partition: 1, value: `late-${n}` })),
    );
    const [firstLate] = await pollUntil(consumer, 'one late record', (polled) => polled.length >= 1, 30_000, 1);
    consumer.pause([topic]);
    expect(consumer.paused()).toHaveLength(2);
    expect(await consumer.poll({ timeoutMs: 1000 })).toEqual([]);
    consumer.resume([topic]);
    const rest = await pollUntil(consumer, 'the other late records', (polled) => polled.length >= 4);
    expect([firstLate, ...rest].map((r) => r.value)).toEqual(['late-0', 'late-1', 'late-2', 'late-3', 'late-4']);
  });
});
