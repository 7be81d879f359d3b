import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidOptionsError,
  KafkaConsumerModule,
  KafkaConsumerRegistry,
  type PollingConsumer,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

@Module({ imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'poll-test', brokers: brokers() } })] })
class JobModule {}

describe('PollingConsumer (imperative poll API)', () => {
  const kit = new KafkaTestKit();
  let moduleRef: TestingModule | undefined;
  const consumers: PollingConsumer[] = [];
  afterEach(async () => {
    await Promise.allSettled(consumers.splice(0).map((c) => c.close()));
    await moduleRef?.close();
    moduleRef = undefined;
    await kit.close();
  });

  async function pollingConsumer(groupId: string, topic: string): Promise<PollingConsumer> {
    moduleRef ??= await Test.createTestingModule({ imports: [JobModule] }).compile();
    moduleRef.useLogger(['error']);
    const consumer = moduleRef
      .get(KafkaConsumerRegistry)
      .createPollingConsumer({ groupId, topics: [topic], fromBeginning: true });
    consumers.push(consumer);
    await consumer.connect();
    return consumer;
  }

  it('returns what is available, an empty array after the timeout, and commits only explicitly', async () => {
    const topic = await kit.createTopic(unique('jobs'), 1);
    const groupId = unique('job-runner');
    await kit.produce(
      topic,
      Array.from({ length: 7 }, (_, n) => ({ key: `k${n}`, value: JSON.stringify({ n }) })),
    );

    const consumer = await pollingConsumer(groupId, topic);
    const got: number[] = [];
    await waitFor('7 records polled', async () => {
      const records = await consumer.poll({ timeoutMs: 200, maxMessages: 3 });
      expect(records.length).toBeLessThanOrEqual(3);
      got.push(...records.map((r) => (r.value as { n: number }).n));
      return got.length === 7;
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);

    const started = Date.now();
    expect(await consumer.poll({ timeoutMs: 300 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await kit.committed(groupId, topic))[0]).toBe('-1');

    await consumer.commit();
    expect((await kit.committed(groupId, topic))[0]).toBe('7');
  });

  it('commits exactly the records given, and a new consumer of the group resumes after them', async () => {
    const topic = await kit.createTopic(unique('jobs'), 1);
    const groupId = unique('job-runner');
    await kit.produce(
      topic,
      Array.from({ length: 5 }, (_, n) => ({ value: JSON.stringify({ n }) })),
    );

    const first = await pollingConsumer(groupId, topic);
    const records = await waitFor('5 records', async () => {
      const batch = await first.poll({ timeoutMs: 500 });
      return batch.length === 5 ? batch : undefined;
    });
    await first.commit(records!.slice(0, 2));
    expect((await kit.committed(groupId, topic))[0]).toBe('2');
    await first.close();

    const second = await pollingConsumer(groupId, topic);
    const again = await waitFor('the uncommitted records', async () => {
      const batch = await second.poll({ timeoutMs: 500 });
      return batch.length > 0 ? batch : undefined;
    });
    expect(again!.map((r) => r.offset)).toEqual(['2', '3', '4']);
  });

  it('rejects bad options with a clear error', async () => {
    moduleRef = await Test.createTestingModule({ imports: [JobModule] }).compile();
    const registry = moduleRef.get(KafkaConsumerRegistry);
    expect(() => registry.createPollingConsumer({ groupId: '', topics: ['t'] })).toThrow(InvalidOptionsError);
    expect(() => registry.createPollingConsumer({ groupId: 'g', topics: [] })).toThrow(/option "topics" is \[\]/);
  });
});
