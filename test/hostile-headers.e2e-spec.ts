import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerContext,
  KafkaConsumerModule,
  NonRetriableError,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { JAVA_TEST_TIMEOUT_MS, javaProducerUnavailable, produceWithJava } from './support/java-producer.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;
const noJava = javaProducerUnavailable();
if (noJava) console.warn(`hostile-headers: null-header tests skipped: ${noJava}`);

const module = (clientId: string) =>
  KafkaConsumerModule.forRoot({
    client: { clientId, brokers: brokers() },
    retry: { attempts: 1 },
    deadLetter: { enabled: true, createTopics: true },
    redelivery: { type: 'fixed', delayMs: 200 },
  });

describe('hostile headers never stall a partition', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it.skipIf(noJava)(
    'dead-letters a record with null header values (written by the Java producer) and processes the records after it',
    async () => {
      const topic = await kit.createTopic(unique('nullhdr'), 1);
      const dlt = `${topic}-dlt`;
      const groupId = unique('nullhdr');
      const processed: number[] = [];
      let nullRecordHeaders: KafkaConsumerContext['headers'] | undefined;

      @Controller()
      class NullHeaderController {
        @ConsumeTopic(topic, { groupId, fromBeginning: true })
        handle(@Payload() record: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
          if (record.id === 0) {
            nullRecordHeaders = ctx.headers;
            throw new NonRetriableError('rejected');
          }
          processed.push(record.id);
        }
      }

      apps.push(await startConsumerApp({ imports: [module('nullhdr-test')], controllers: [NullHeaderController] }));
      const reader = await new TopicReader().start([dlt]);
      readers.push(reader);
      await produceWithJava(topic, [
        {
          key: 'k-0',
          value: JSON.stringify({ id: 0 }),
          headers: [
            ['trace', null],
            ['tag', 'a'],
            ['tag', null],
            ['kept', 'yes'],
          ],
        },
        ...Array.from({ length: 10 }, (_, i) => ({ key: `k-${i + 1}`, value: JSON.stringify({ id: i + 1 }) })),
      ]);

      await waitFor('the null-header record in the dead-letter topic', () => reader.of(dlt).length === 1, 30_000);
      await waitFor('the ten records after it', () => processed.length === 10, 30_000);
      await waitFor('commit past all eleven', async () => (await kit.committed(groupId, topic))[0] === '11');
      const [record] = reader.of(dlt);
      expect(record.key).toBe('k-0');
      // A null value is written as an empty value: kafkajs cannot write a null header value.
      expect(record.headers).toMatchObject({ trace: '', tag: 'a', kept: 'yes', [H.originalOffset]: '0' });
      expect(processed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // The handler saw the null values as null, not as the string "null".
      expect(nullRecordHeaders).toEqual({ trace: null, tag: ['a', null], kept: 'yes' });
    },
    JAVA_TEST_TIMEOUT_MS,
  );

  it.skipIf(noJava)(
    'forwards a record with a null header value to its retry topic, where it succeeds',
    async () => {
      const topic = await kit.createTopic(unique('nullhdr-retry'), 1);
      const groupId = unique('nullhdr-retry');
      const seen: Array<[number, string]> = [];

      @Controller()
      class NullHeaderRetryController {
        @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [200], createTopics: true } })
        handle(@Payload() record: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
          seen.push([record.id, ctx.topic]);
          if (record.id === 0 && ctx.topic === topic) throw new Error('downstream unavailable');
        }
      }

      apps.push(
        await startConsumerApp({ imports: [module('nullhdr-retry-test')], controllers: [NullHeaderRetryController] }),
      );
      await produceWithJava(topic, [
        { key: 'k-0', value: JSON.stringify({ id: 0 }), headers: [['trace', null]] },
        { key: 'k-1', value: JSON.stringify({ id: 1 }) },
      ]);

      await waitFor('the retry on the retry topic', () => seen.some(([id, t]) => id === 0 && t !== topic), 30_000);
      await waitFor('the record after it', () => seen.some(([id]) => id === 1), 30_000);
      await waitFor('commits on both topics', async () => {
        const [main, retry] = await Promise.all([
          kit.committed(groupId, topic),
          kit.committed(groupId, `${topic}-retry-200`),
        ]);
        return main[0] === '2' && retry[0] === '1';
      });
      expect(seen).toEqual(
        expect.arrayContaining([
          [0, topic],
          [0, `${topic}-retry-200`],
          [1, topic],
        ]),
      );
    },
    JAVA_TEST_TIMEOUT_MS,
  );
});
