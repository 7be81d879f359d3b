import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  FORWARDED_BY_HEADER,
  KafkaConsumerContext,
  KafkaConsumerModule,
  NonRetriableError,
  RETRY_TOPIC_HEADERS,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { JAVA_TEST_TIMEOUT_MS, javaProducerUnavailable, produceWithJava } from './support/java-producer.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;
const R = RETRY_TOPIC_HEADERS;
const noJava = javaProducerUnavailable();
if (noJava) console.warn(`poison-input: the null-header records are left out: ${noJava}`);

/** How the handler treats a record, by id prefix. */
const FAILS_ONCE = 'once';
const ALWAYS_FAILS = 'always';
const value = (id: string, padBytes = 0) => JSON.stringify({ id, pad: 'x'.repeat(padBytes) });
const HUGE_ERROR = 'huge-error';

describe('poison input on the failure path (review §9 scenario 3)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it(
    'processes, forwards or dead-letters every hostile record mixed into normal traffic, and every partition reaches lag 0',
    async () => {
      const topic = await kit.createTopic(unique('poison'), 2);
      const retryTopic = `${topic}-retry-300`;
      const dlt = `${topic}-dlt`;
      const groupId = unique('poison');
      const processed = new Set<string>();

      @Controller()
      class PoisonController {
        @ConsumeTopic(topic, { groupId, fromBeginning: true, retryTopics: { delaysMs: [300], createTopics: true } })
        handle(@Payload() record: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
          const { id } = record;
          if (id.startsWith(HUGE_ERROR)) throw new NonRetriableError(`rejected: ${'e'.repeat(100 * 1024)}`);
          if (id.startsWith(ALWAYS_FAILS)) throw new Error('always fails');
          if (id.startsWith(FAILS_ONCE) && ctx.topic === topic) throw new Error('fails on the main topic');
          processed.add(id);
        }
      }

      apps.push(
        await startConsumerApp({
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'poison-test', brokers: brokers() },
              retry: { attempts: 1 },
              deadLetter: { enabled: true, createTopics: true },
              redelivery: { type: 'fixed', delayMs: 200 },
            }),
          ],
          controllers: [PoisonController],
        }),
      );
      const reader = await new TopicReader().start([dlt]);
      readers.push(reader);

      const normal = Array.from({ length: 20 }, (_, i) => `normal-${i}`);
      const replayedFromOtherGroup = { [H.originalTopic]: topic, [H.originalConsumerGroup]: 'other-group' };
      const foreignOrigin = { [H.originalTopic]: 'payments' };
      await kit.produce(topic, [
        ...normal.slice(0, 10).map((id, i) => ({ partition: i % 2, value: value(id) })),
        { partition: 0, value: value(`${FAILS_ONCE}-replayed`), headers: replayedFromOtherGroup },
        { partition: 1, value: value(`${FAILS_ONCE}-foreign`), headers: foreignOrigin },
        { partition: 0, value: value(`${ALWAYS_FAILS}-foreign`), headers: foreignOrigin },
        { partition: 1, value: value(`${HUGE_ERROR}-1`) },
        { partition: 0, value: value(`${ALWAYS_FAILS}-near-limit`, 1_040_000) },
        ...normal.slice(10).map((id, i) => ({ partition: i % 2, value: value(id) })),
      ]);
      const forwardedByUs = (backoff: string) => ({
        [H.originalTopic]: topic,
        [FORWARDED_BY_HEADER]: groupId,
        [R.attempts]: '2',
        [R.backoffTimestamp]: backoff,
      });
      await kit.produce(retryTopic, [
        { partition: 0, value: value('due-bogus'), headers: forwardedByUs('9'.repeat(400)) },
        { partition: 1, value: value('due-skewed'), headers: forwardedByUs(String(Date.now() + 3_600_000)) },
      ]);
      const javaIds = noJava ? [] : [`${FAILS_ONCE}-null-header`, `${ALWAYS_FAILS}-null-header`];
      if (!noJava) {
        await produceWithJava(
          topic,
          javaIds.map((id, i) => ({ partition: i, key: id, value: value(id), headers: [['trace', null]] })),
        );
      }

      const expectProcessed = [
        ...normal,
        `${FAILS_ONCE}-replayed`,
        `${FAILS_ONCE}-foreign`,
        'due-bogus',
        'due-skewed',
        ...javaIds.filter((id) => id.startsWith(FAILS_ONCE)),
      ];
      const expectDeadLettered = [
        `${ALWAYS_FAILS}-foreign`,
        `${HUGE_ERROR}-1`,
        `${ALWAYS_FAILS}-near-limit`,
        ...javaIds.filter((id) => id.startsWith(ALWAYS_FAILS)),
      ];
      const deadLettered = () => reader.of(dlt).map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id);
      await waitFor(
        'every record processed or dead-lettered',
        () => expectProcessed.every((id) => processed.has(id)) && deadLettered().length >= expectDeadLettered.length,
        60_000,
      );
      expect(deadLettered().toSorted()).toEqual(expectDeadLettered.toSorted());
      expect([...processed].toSorted()).toEqual(expectProcessed.toSorted());

      const admin = await kit.getAdmin();
      const lagZero = async (t: string) => {
        const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(t), kit.committed(groupId, t)]);
        return ends.every((p) => committed[p.partition] === p.high);
      };
      await waitFor('lag 0 on the main and the retry topic', async () => (await lagZero(topic)) && lagZero(retryTopic));
    },
    JAVA_TEST_TIMEOUT_MS,
  );
});
