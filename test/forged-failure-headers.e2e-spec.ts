import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerContext,
  KafkaConsumerModule,
  RETRY_TOPIC_HEADERS,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;
const R = RETRY_TOPIC_HEADERS;
/** The library's own ownership header on retry-topic records. */
const FORWARDED_BY = 'kafka_consumer-forwarded-by';

const module = (clientId: string, deadLetter: object = { enabled: true, createTopics: true }) =>
  KafkaConsumerModule.forRoot({
    client: { clientId, brokers: brokers() },
    retry: { attempts: 1 },
    deadLetter,
    redelivery: { type: 'fixed', delayMs: 200 },
  });

type Seen = Array<[id: string, topic: string]>;

describe('forged or foreign failure headers', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  const committedTo = async (groupId: string, topic: string, ends: Record<number, string>) => {
    const committed = await kit.committed(groupId, topic);
    return Object.entries(ends).every(([p, end]) => committed[Number(p)] === end);
  };

  it('processes on its retry topic a record whose dead-letter headers name another consumer group (no loss)', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const retryTopic = `${topic}-retry-200`;
    const groupId = unique('analytics');
    const seen: Seen = [];

    @Controller()
    class ReplayedController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [200], createTopics: true } })
      handle(@Payload() record: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push([record.id, ctx.topic]);
        if (record.id === 'X' && ctx.topic === topic) throw new Error('downstream unavailable');
      }
    }

    apps.push(await startConsumerApp({ imports: [module('l1-test')], controllers: [ReplayedController] }));
    const reader = await new TopicReader().start([retryTopic]);
    readers.push(reader);
    // As a dead-lettered record replayed into its topic by another group's tooling.
    await kit.produce(topic, [
      {
        partition: 1,
        value: JSON.stringify({ id: 'X' }),
        headers: { [H.originalTopic]: topic, [H.originalConsumerGroup]: 'billing', [H.originalOffset]: '99' },
      },
      { partition: 1, value: JSON.stringify({ id: 'Y' }) },
    ]);

    await waitFor('X forwarded to the retry topic', () => reader.of(retryTopic).length === 1);
    await waitFor(
      'X processed on the retry topic',
      () => seen.some(([id, t]) => id === 'X' && t === retryTopic),
      30_000,
    );
    await waitFor(
      'commits on both topics',
      async () => (await committedTo(groupId, topic, { 1: '2' })) && committedTo(groupId, retryTopic, { 1: '1' }),
    );
    const [forwarded] = reader.of(retryTopic);
    expect(forwarded.headers[FORWARDED_BY]).toBe(groupId);
    // The main topic is the start of this group's chain: the original-* headers describe this failure.
    expect(forwarded.headers).toMatchObject({
      [H.originalTopic]: topic,
      [H.originalConsumerGroup]: groupId,
      [H.originalOffset]: '0',
    });
    expect(seen.filter(([id]) => id === 'X')).toEqual([
      ['X', topic],
      ['X', retryTopic],
    ]);
  });

  it('routes a record whose original-topic header names a foreign topic by the stage it is read on', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const [retry1, retry2] = [`${topic}-retry-200`, `${topic}-retry-400`];
    const groupId = unique('orders');
    const seen: Seen = [];

    @Controller()
    class ForeignOriginController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [200, 400], createTopics: true } })
      handle(@Payload() record: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push([record.id, ctx.topic]);
        if (ctx.topic !== retry2) throw new Error(`fails on ${ctx.topic}`);
      }
    }

    apps.push(await startConsumerApp({ imports: [module('s4-test')], controllers: [ForeignOriginController] }));
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 'X' }), headers: { [H.originalTopic]: 'payments' } },
      { value: JSON.stringify({ id: 'Y' }) },
    ]);

    await waitFor('X and Y succeed on the second retry topic', () =>
      ['X', 'Y'].every((id) => seen.some(([s, t]) => s === id && t === retry2)),
    );
    await waitFor(
      'every topic committed to its end',
      async () =>
        (await committedTo(groupId, topic, { 0: '2' })) &&
        (await committedTo(groupId, retry1, { 0: '2' })) &&
        committedTo(groupId, retry2, { 0: '2' }),
    );
    expect(seen.filter(([id]) => id === 'X')).toEqual([
      ['X', topic],
      ['X', retry1],
      ['X', retry2],
    ]);
  });

  it("dead-letters a foreign-origin record to the handler topic's dead-letter topic after the last stage, never calling the user's topic function with a header value", async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = `${topic}.DLQ`;
    const groupId = unique('orders');
    const processed: string[] = [];
    // A user naming function that only knows this app's topics.
    const deadLetterTopic = (source: string) => {
      if (source !== topic) throw new Error(`no dead-letter topic for ${source}`);
      return dlt;
    };

    @Controller()
    class ForeignOriginDltController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [200], createTopics: true } })
      handle(@Payload() record: { id: string }) {
        if (record.id === 'X') throw new Error('always fails');
        processed.push(record.id);
      }
    }

    const deadLetter = { enabled: true, createTopics: true, topic: deadLetterTopic };
    apps.push(
      await startConsumerApp({
        imports: [module('s4-dlt-test', deadLetter)],
        controllers: [ForeignOriginDltController],
      }),
    );
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 'X' }), headers: { [H.originalTopic]: 'payments' } },
      { value: JSON.stringify({ id: 'Y' }) },
    ]);

    await waitFor('X in the dead-letter topic', () => reader.of(dlt).length === 1, 30_000);
    await waitFor('retry topic committed to its end', () => committedTo(groupId, `${topic}-retry-200`, { 0: '1' }));
    expect(processed).toEqual(['Y']);
    expect(reader.of(dlt)[0].headers[H.originalTopic]).toBe(topic);
  });

  for (const [variant, backoff] of [
    ['a 400-digit backoff timestamp', () => '9'.repeat(400)],
    ['a backoff timestamp one hour ahead (clock skew)', () => String(Date.now() + 3_600_000)],
  ] as const) {
    it(`bounds the due time of a retry-topic record by the stage delay: ${variant}`, async () => {
      const topic = await kit.createTopic(unique('orders'), 1);
      const retryTopic = `${topic}-retry-1000`;
      const groupId = unique('orders');
      const processed: Array<{ id: string; at: number }> = [];

      @Controller()
      class DueTimeController {
        @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [1000], createTopics: true } })
        handle(@Payload() record: { id: string }) {
          processed.push({ id: record.id, at: Date.now() });
        }
      }

      const logger = new CapturingLogger();
      apps.push(await startConsumerApp({ imports: [module('s5-test')], controllers: [DueTimeController] }, { logger }));
      const forwarded = (id: string, backoffTimestamp: string) => ({
        value: JSON.stringify({ id }),
        headers: {
          [H.originalTopic]: topic,
          [H.originalConsumerGroup]: groupId,
          [FORWARDED_BY]: groupId,
          [R.attempts]: '2',
          [R.backoffTimestamp]: backoffTimestamp,
        },
      });
      const producedAt = Date.now();
      await kit.produce(retryTopic, [forwarded('bogus', backoff()), forwarded('normal', String(Date.now() + 1000))]);

      await waitFor('both records processed', () => processed.length === 2, 30_000);
      await waitFor('retry topic committed', () => committedTo(groupId, retryTopic, { 0: '2' }));
      expect(processed.map((p) => p.id)).toEqual(['bogus', 'normal']);
      expect(processed[0].at - producedAt).toBeGreaterThanOrEqual(1000 - 50);
      expect(logger.has('warn', 'retry_topic-backoff-timestamp')).toBe(true);
    });
  }
});
