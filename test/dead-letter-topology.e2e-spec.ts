import { Controller } from '@nestjs/common';
import { ConsumeTopic, KafkaConsumerModule, TopicTopologyError, type ConsumeTopicOptions } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, createTopics, KafkaTestKit, unique } from './support/kafka.js';

describe('startup topology check of dead-letter and retry topics', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  async function start(topic: string, options: ConsumeTopicOptions): Promise<ConsumerApp> {
    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId: unique('billing'), ...options })
      bill() {}
    }
    const app = await startConsumerApp({
      imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'topology-test', brokers: brokers() } })],
      controllers: [OrdersController],
    });
    apps.push(app);
    return app;
  }

  it('fails bootstrap when the dead-letter topic is missing, naming it and the fix', async () => {
    const topic = await kit.createTopic(unique('orders'), 3);
    const error = await start(topic, { deadLetter: { enabled: true } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicTopologyError);
    expect((error as TopicTopologyError).code).toBe('KAFKA_CONSUMER_TOPIC_TOPOLOGY');
    expect((error as Error).message).toContain(`Dead-letter topic "${topic}-dlt" of "${topic}"`);
    expect((error as Error).message).toContain('at least 3 partition(s)');
    expect((error as Error).message).toContain('deadLetter: { createTopics: true }');
    expect(await (await kit.getAdmin()).listTopics()).not.toContain(`${topic}-dlt`);
  });

  it('fails bootstrap when the dead-letter topic has fewer partitions than its source', async () => {
    const topic = await kit.createTopic(unique('orders'), 3);
    await kit.createTopic(`${topic}-dlt`, 1);
    const error = await start(topic, { deadLetter: { enabled: true } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicTopologyError);
    expect((error as Error).message).toContain(`"${topic}-dlt" has 1 partition(s), fewer than the 3 of "${topic}"`);
  });

  it('fails bootstrap when the dead-letter topic accepts smaller records than its source (max.message.bytes)', async () => {
    const topic = unique('orders');
    await createTopics(await kit.getAdmin(), [
      { topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '3000000' }] },
    ]);
    await kit.createTopic(`${topic}-dlt`, 1);
    const error = await start(topic, { deadLetter: { enabled: true } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicTopologyError);
    expect((error as Error).message).toContain(
      `"${topic}-dlt" accepts records of at most 1048588 bytes (max.message.bytes), less than the 3000000 of "${topic}"`,
    );
  });

  it('fails bootstrap when a retry topic is missing, naming it', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const error = await start(topic, { retryTopics: { delaysMs: [250] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicTopologyError);
    expect((error as Error).message).toContain(`Retry topic "${topic}-retry-250"`);
    expect((error as Error).message).toContain('retryTopics: { createTopics: true }');
  });

  it('creates missing dead-letter and retry topics with the source partition count when createTopics is on', async () => {
    const topic = await kit.createTopic(unique('orders'), 3);
    await start(topic, {
      deadLetter: { enabled: true, createTopics: true },
      retryTopics: { delaysMs: [250], createTopics: true },
    });
    const dlt = `${topic}-dlt`;
    const retry = `${topic}-retry-250`;
    const { topics } = await (await kit.getAdmin()).fetchTopicMetadata({ topics: [dlt, retry] });
    expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({ [dlt]: 3, [retry]: 3 });
  });
});
