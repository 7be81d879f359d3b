import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ATTEMPTS_HEADER,
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerContext,
  KafkaConsumerModule,
  NonRetriableError,
  RETRY_TOPIC_HEADERS,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;
const R = RETRY_TOPIC_HEADERS;

const module = (clientId: string) =>
  KafkaConsumerModule.forRoot({
    client: { clientId, brokers: brokers() },
    deadLetter: { enabled: true, createTopics: true },
  });

describe('non-blocking retry topics', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('processes a message that fails twice exactly once on the second retry topic, after each delay, never dead-lettered', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const groupId = unique('billing');
    const attempts: Array<{ topic: string; attempt: number; at: number }> = [];
    const succeeded: Array<{ id: number; at: number }> = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [300, 600], createTopics: true } })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        if (order.id === 1) {
          attempts.push({ topic: ctx.topic, attempt: ctx.attempt, at: Date.now() });
          if (ctx.attempt < 3) throw new Error(`inventory service unavailable (attempt ${ctx.attempt})`);
        }
        succeeded.push({ id: order.id, at: Date.now() });
      }
    }

    apps.push(await startConsumerApp({ imports: [module('retry-topics-test')], controllers: [OrdersController] }));
    const retry300 = `${topic}-retry-300`;
    const retry600 = `${topic}-retry-600`;
    const reader = await new TopicReader().start([retry300, retry600]);
    readers.push(reader);
    const timestamp = String(Date.now() - 60_000);
    await kit.produce(topic, [
      { partition: 1, key: 'order-1', value: JSON.stringify({ id: 1 }), headers: { trace: 't-1' }, timestamp },
      { partition: 1, key: 'order-2', value: JSON.stringify({ id: 2 }) },
    ]);

    await waitFor('success on the second retry topic', () => succeeded.some((s) => s.id === 1));
    await waitFor('commits on all three topics', async () => {
      const [main, r1, r2] = await Promise.all([
        kit.committed(groupId, topic),
        kit.committed(groupId, retry300),
        kit.committed(groupId, retry600),
      ]);
      return main[1] === '2' && r1[1] === '1' && r2[1] === '1';
    });

    expect(attempts.map((a) => [a.topic, a.attempt])).toEqual([
      [topic, 1],
      [retry300, 2],
      [retry600, 3],
    ]);
    expect(succeeded.filter((s) => s.id === 1)).toHaveLength(1);
    // The main topic's partition was not held up by the retries of order 1.
    expect(succeeded.find((s) => s.id === 2)!.at).toBeLessThan(attempts[1].at);
    const delays = [attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at];
    console.info(`retry topics: configured [300, 600] ms, measured [${delays.join(', ')}] ms`);
    // Each retry waits at least its delay; the upper bounds only catch a runaway wait (CPU load can add seconds).
    expect(delays[0]).toBeGreaterThanOrEqual(300);
    expect(delays[0]).toBeLessThan(12_300);
    expect(delays[1]).toBeGreaterThanOrEqual(600);
    expect(delays[1]).toBeLessThan(12_600);

    // Retry topics were created with the source's partitions; the record kept its partition.
    const metadata = await (await kit.getAdmin()).fetchTopicMetadata({ topics: [retry300, retry600] });
    expect(metadata.topics.map((t) => t.partitions.length)).toEqual([2, 2]);
    await waitFor('both forwarded records read back', () => reader.records.length === 2);
    const [first, second] = [reader.of(retry300)[0], reader.of(retry600)[0]];
    for (const record of [first, second]) {
      expect(record.partition).toBe(1);
      expect(record.key).toBe('order-1');
      expect(record.headers).toMatchObject({
        trace: 't-1',
        [H.originalTopic]: topic,
        [H.originalPartition]: '1',
        [H.originalOffset]: '0',
        [H.originalTimestamp]: timestamp,
        [H.originalConsumerGroup]: groupId,
        [R.originalTimestamp]: timestamp,
      });
    }
    expect(first.headers[R.attempts]).toBe('2');
    expect(second.headers[R.attempts]).toBe('3');
    expect(second.headers[ATTEMPTS_HEADER]).toBe('2');
    expect(second.headers[H.exceptionMessage]).toBe('inventory service unavailable (attempt 2)');
    expect(Number(first.headers[R.backoffTimestamp])).toBeGreaterThanOrEqual(attempts[0].at + 300);
    expect(Number(second.headers[R.backoffTimestamp])).toBeGreaterThanOrEqual(attempts[1].at + 600);
    const dltEnd = await (await kit.getAdmin()).fetchTopicOffsets(`${topic}-dlt`);
    expect(dltEnd.every((p) => p.high === '0')).toBe(true);
  });

  it('dead-letters after the last retry topic, and a non-retriable error without any retry topic', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    const attempts: Array<[number, string]> = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [100], createTopics: true } })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        attempts.push([order.id, ctx.topic]);
        if (order.id === 1) throw new Error('always fails');
        throw new NonRetriableError('malformed order');
      }
    }

    apps.push(await startConsumerApp({ imports: [module('retry-topics-dlt-test')], controllers: [OrdersController] }));
    const dlt = `${topic}-dlt`;
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 1 }) }, { value: JSON.stringify({ id: 2 }) }]);

    await waitFor('two dead-letter records', () => reader.of(dlt).length === 2);
    expect(attempts).toEqual(
      expect.arrayContaining([
        [1, topic],
        [1, `${topic}-retry-100`],
        [2, topic],
      ]),
    );
    expect(attempts).toHaveLength(3);
    const byOffset = Object.fromEntries(reader.of(dlt).map((r) => [r.headers[H.originalOffset], r.headers]));
    expect(byOffset['0']).toMatchObject({ [H.originalTopic]: topic, [ATTEMPTS_HEADER]: '2', [R.attempts]: '2' });
    expect(byOffset['1']).toMatchObject({
      [H.originalTopic]: topic,
      [H.exceptionFqcn]: 'NonRetriableError',
      [ATTEMPTS_HEADER]: '1',
    });
    expect(byOffset['1'][R.attempts]).toBeUndefined();
  });
});
