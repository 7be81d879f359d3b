import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule, NonRetriableError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

describe("dead-letter and retry topics with concurrency 'key'", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('forwards a failing record to its retry topic and dead-letters a non-retriable one, other keys unaffected, everything committed', async () => {
    const topic = await kit.createTopic(unique('conc-failures'), 1);
    const groupId = unique('conc-failures');
    const succeeded: Array<{ id: string; topic: string }> = [];

    @Controller()
    class FailingController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        retryTopics: { delaysMs: [300], createTopics: true },
        concurrency: { mode: 'key', maxInFlight: 10 },
      })
      async handle(@Payload() body: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        if (body.id === 'k1:0' && ctx.attempt === 1) throw new Error('k1:0 fails once');
        if (body.id === 'k2:0') throw new NonRetriableError('k2:0 is malformed');
        await new Promise((resolve) => setTimeout(resolve, 5));
        succeeded.push({ id: body.id, topic: ctx.topic });
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'conc-failures', brokers: brokers() },
            deadLetter: { enabled: true, createTopics: true },
          }),
        ],
        controllers: [FailingController],
      }),
    );
    const retryTopic = `${topic}-retry-300`;
    const reader = await new TopicReader().start([`${topic}-dlt`]);
    readers.push(reader);
    await kit.produce(
      topic,
      [0, 1, 2].flatMap((seq) =>
        [0, 1, 2, 3].map((k) => ({ key: `k${k}`, value: JSON.stringify({ id: `k${k}:${seq}` }) })),
      ),
    );
    await waitFor('k1:0 to succeed on the retry topic', () => succeeded.some((s) => s.id === 'k1:0'), 30_000);
    await waitFor('the dead-letter record', () => reader.of(`${topic}-dlt`).length === 1, 30_000);
    expect(reader.of(`${topic}-dlt`)[0].key).toBe('k2');
    await waitFor('every other record', () => succeeded.length === 11, 30_000);
    expect(succeeded.find((s) => s.id === 'k1:0')?.topic).toBe(retryTopic);
    // Each key's own records in order on the main topic (k1:0 went on to its retry topic).
    for (const key of ['k0', 'k3']) {
      expect(succeeded.filter((s) => s.id.startsWith(`${key}:`)).map((s) => s.id)).toEqual([
        `${key}:0`,
        `${key}:1`,
        `${key}:2`,
      ]);
    }
    await waitFor('commits on the main and retry topics', async () => {
      const [main, retry] = await Promise.all([kit.committed(groupId, topic), kit.committed(groupId, retryTopic)]);
      return main[0] === '12' && retry[0] === '1';
    });
  });

  it('unordered: retries a failing record in process and dead-letters a non-retriable one while the others go on; commits all', async () => {
    const topic = await kit.createTopic(unique('conc-unordered-failures'), 1);
    const groupId = unique('conc-unordered-failures');
    const succeeded: Array<{ id: string; attempt: number }> = [];

    @Controller()
    class UnorderedController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, concurrency: { mode: 'unordered', maxInFlight: 5 } })
      async handle(@Payload() body: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        if (body.id === 'r3' && ctx.attempt < 3) throw new Error('r3 fails twice');
        if (body.id === 'r5') throw new NonRetriableError('r5 is malformed');
        await new Promise((resolve) => setTimeout(resolve, 5));
        succeeded.push({ id: body.id, attempt: ctx.attempt });
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'conc-unordered-failures', brokers: brokers() },
            retry: { attempts: 3, backoff: { delayMs: 50 } },
            deadLetter: { enabled: true, createTopics: true },
          }),
        ],
        controllers: [UnorderedController],
      }),
    );
    const reader = await new TopicReader().start([`${topic}-dlt`]);
    readers.push(reader);
    await kit.produce(
      topic,
      Array.from({ length: 12 }, (_, n) => ({ value: JSON.stringify({ id: `r${n}` }) })),
    );
    await waitFor('every record but r5', () => succeeded.length === 11, 30_000);
    await waitFor('the dead-letter record', () => reader.of(`${topic}-dlt`).length === 1, 30_000);
    expect(succeeded.find((s) => s.id === 'r3')?.attempt).toBe(3);
    expect(succeeded.map((s) => s.id).toSorted()).toEqual(
      Array.from({ length: 12 }, (_, n) => `r${n}`)
        .filter((id) => id !== 'r5')
        .toSorted(),
    );
    await waitFor('the commit past every record', async () => (await kit.committed(groupId, topic))[0] === '12');
  });
});
