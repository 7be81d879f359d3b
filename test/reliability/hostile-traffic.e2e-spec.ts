/**
 * Reliability scenario 6: hostile records mixed into steady traffic — forged dead-letter and
 * retry headers, absurd due times written straight into the retry topic, values near the size
 * limit, a 1 MB error message, values no deserializer can read (which a JSON dead-letter handler
 * cannot decode either), guard refusals, and null header values from the Java producer when a
 * JDK is present. Every id must be processed, forwarded and processed, dead-lettered or refused,
 * and every partition of the main, retry and dead-letter topics must reach lag 0.
 */
import { Controller, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerContext,
  KafkaConsumerModule,
  NonRetriableError,
  RETRY_TOPIC_HEADERS,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from '../support/app.js';
import { DeliveryChecker } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { javaProducerUnavailable, produceWithJava } from '../support/java-producer.js';
import { brokers, KafkaTestKit, unique, waitFor } from '../support/kafka.js';
import { TopicReader } from '../support/topic-reader.js';
import { assertDelivery, scaled } from './scale.js';

const PARTITIONS = 3;
const RETRY_DELAY_MS = 300;
const noJava = javaProducerUnavailable();

type Kind = 'ok' | 'retry' | 'dead' | 'huge-error' | 'refuse';
const kindOf = (n: number): Kind => (['ok', 'retry', 'dead', 'ok', 'huge-error', 'refuse', 'ok'] as const)[n % 7];

/** Forged failure headers on ordinary records: the library must never route by them. */
function forgedHeaders(n: number, groupId: string) {
  if (n % 3 !== 0) return undefined;
  return {
    [DEAD_LETTER_HEADERS.originalTopic]: 'somewhere-else',
    [DEAD_LETTER_HEADERS.originalOffset]: '-5',
    [DEAD_LETTER_HEADERS.exceptionMessage]: 'x'.repeat(10_000),
    [RETRY_TOPIC_HEADERS.attempts]: '999999',
    [RETRY_TOPIC_HEADERS.backoffTimestamp]: '99999999999999999999',
    'kafka_consumer-forwarded-by': groupId,
  };
}

describe('reliability: hostile traffic mixed into steady traffic', () => {
  const kit = new KafkaTestKit();
  let checker: DeliveryChecker | undefined;
  let app: ConsumerApp | undefined;
  let reader: TopicReader | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await reader?.close();
    await checker?.close();
    checker = undefined;
    await kit.close();
  });

  it('processes, forwards, dead-letters or refuses every id; main, retry and dead-letter topics reach lag 0', async () => {
    const topic = await kit.createTopic(unique('rel-hostile'), PARTITIONS);
    const retryTopic = `${topic}-retry-${RETRY_DELAY_MS}`;
    // Created here because a handler consumes it (bootstrap checks consumed topics first).
    const dlt = await kit.createTopic(`${topic}-dlt`, PARTITIONS);
    const groupId = unique('rel-hostile');
    const dltGroup = `${groupId}-dlt-reader`;
    const c = (checker = new DeliveryChecker(brokers()));
    const record = (group: string, payload: { id?: string } | null, ctx: KafkaConsumerContext) => {
      if (typeof payload?.id !== 'string') return;
      c.delivered({
        id: payload.id,
        topic: ctx.topic,
        partition: ctx.partition,
        offset: Number(ctx.offset),
        group,
        member: 'app',
      });
    };

    @Injectable()
    class RefuseGuard implements CanActivate {
      canActivate(context: ExecutionContext): boolean {
        const payload = context.switchToRpc().getData<{ id?: string; kind?: Kind } | null>();
        const ctx = context.switchToRpc().getContext<KafkaConsumerContext>();
        if (payload?.kind !== 'refuse') return true;
        record(`${groupId}/refused`, payload, ctx);
        return false;
      }
    }

    @Controller()
    class HostileController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        retryTopics: { delaysMs: [RETRY_DELAY_MS], createTopics: true },
      })
      @UseGuards(RefuseGuard)
      handle(@Payload() payload: { id?: string; kind?: Kind } | null, @Ctx() ctx: KafkaConsumerContext) {
        if (payload?.kind === 'retry' && ctx.topic === topic) throw new Error('downstream unavailable, try later');
        if (payload?.kind === 'dead') throw new NonRetriableError('rejected');
        if (payload?.kind === 'huge-error') throw new NonRetriableError(`rejected: ${'e'.repeat(1024 * 1024)}`);
        record(groupId, payload, ctx);
      }

      @ConsumeTopic(dlt, { groupId: dltGroup, fromBeginning: true })
      dead(@Payload() payload: { id?: string } | null, @Ctx() ctx: KafkaConsumerContext) {
        record(groupId, payload, ctx);
      }
    }

    app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'rel-hostile', brokers: brokers() },
          retry: { attempts: 1 },
          deadLetter: { createTopics: true },
          redelivery: { type: 'fixed', delayMs: 200 },
        }),
      ],
      controllers: [HostileController],
    });

    const producing = c.startProducing(topic, {
      total: scaled(700, 7000),
      intervalMs: 30,
      extra: (n) => ({ kind: kindOf(n) }),
      headers: (n) => forgedHeaders(n, groupId),
    });
    // Values no deserializer reads: dead-lettered as raw bytes, skipped by the JSON dead-letter handler.
    const undecodable = Array.from({ length: 5 }, (_, i) => ({
      key: `undecodable-${i}`,
      value: `{"id": "u${i}", not json`,
    }));
    await kit.produce(topic, undecodable);
    // Near the topic's 1 MB limit: one processed, one dead-lettered (its failure headers on top).
    const pad = 'p'.repeat(900 * 1024);
    for (const [i, kind] of (['ok', 'dead'] as const).entries()) {
      const id = `big-${i}`;
      await kit.produce(topic, [{ key: id, value: JSON.stringify({ id, key: id, seq: 0, kind, pad }) }]);
      c.ledger.produced({ id, key: id, seq: 0 });
    }
    // Written straight into the retry topic, forged as ours, due in the far future: capped, processed.
    await waitFor('the retry topic', async () => (await (await kit.getAdmin()).listTopics()).includes(retryTopic));
    for (let i = 0; i < 3; i++) {
      const id = `future-${i}`;
      await kit.produce(retryTopic, [
        {
          key: id,
          value: JSON.stringify({ id, key: id, seq: 0, kind: 'ok' }),
          headers: {
            [RETRY_TOPIC_HEADERS.backoffTimestamp]: String(Date.now() + 10 * 365 * 24 * 3600 * 1000),
            'kafka_consumer-forwarded-by': groupId,
          },
        },
      ]);
      c.ledger.produced({ id, key: id, seq: 0 });
    }
    if (!noJava) {
      await produceWithJava(topic, [
        { key: 'java-0', value: JSON.stringify({ id: 'java-0', kind: 'ok' }), headers: [['trace', null]] },
        {
          key: 'java-1',
          value: JSON.stringify({ id: 'java-1', kind: 'dead' }),
          headers: [
            ['tag', null],
            ['tag', 'a'],
          ],
        },
      ]);
      for (const id of ['java-0', 'java-1']) c.ledger.produced({ id, key: id, seq: 0 });
    }
    await waitFor('the producer to finish', () => producing.acknowledged() >= scaled(700, 7000), 120_000);
    await producing.stop();

    const report = await c.settle(groupId, [topic, retryTopic], { timeoutMs: 120_000 });
    await waitFor('the dead-letter reader to reach lag 0', async () => (await c.lag(dltGroup, [dlt])) === 0, 60_000);
    reader = await new TopicReader().start([dlt]);
    await waitFor(
      'the undecodable records on the dead-letter topic',
      () => {
        const keys = new Set(reader!.of(dlt).map((r) => r.key));
        return undecodable.every((u) => keys.has(u.key));
      },
      60_000,
    );

    const count = (label: string) => c.report([label]).delivered;
    console.log(
      formatReport('6 hostile traffic', report, {
        processed: count(groupId),
        'via retry topic': count(`${groupId}/retry`),
        'dead-lettered': count(`${groupId}/dlt`),
        refused: count(`${groupId}/refused`),
        undecodable: undecodable.length,
        'java null headers': noJava ? 'skipped (no JDK)' : 2,
      }),
    );
    assertDelivery(report);
    expect(count(`${groupId}/retry`)).toBeGreaterThan(0);
    expect(count(`${groupId}/dlt`)).toBeGreaterThan(0);
    expect(count(`${groupId}/refused`)).toBeGreaterThan(0);
    // The 1 MB error message was cut to a header the dead-letter topic accepts.
    const huge = reader.of(dlt).find((r) => r.headers[DEAD_LETTER_HEADERS.exceptionMessage]?.includes('eeee'));
    expect(Buffer.byteLength(huge?.headers[DEAD_LETTER_HEADERS.exceptionMessage] ?? '')).toBeLessThanOrEqual(4096);
  }, 300_000);
});
