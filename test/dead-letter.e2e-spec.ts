import { Controller, UsePipes, ValidationPipe } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, Min } from 'class-validator';
import {
  ATTEMPTS_HEADER,
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerContext,
  KafkaConsumerModule,
  NonRetriableError,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

class PaymentDeclinedError extends Error {}

class OrderDto {
  @IsInt()
  @Min(1)
  id!: number;
}

const H = DEAD_LETTER_HEADERS;

const moduleWithDeadLetters = (clientId: string, deadLetter: object = { enabled: true }) =>
  KafkaConsumerModule.forRoot({
    client: { clientId, brokers: brokers() },
    retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 100 } },
    deadLetter,
    redelivery: { type: 'fixed', delayMs: 100 },
  });

describe('dead-letter topics', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('sends a message that fails every attempt to its -dlt topic with every header, commits after it and goes on', async () => {
    const topic = await kit.createTopic(unique('orders'), 3);
    const dlt = await kit.createTopic(`${topic}-dlt`, 3);
    const groupId = unique('billing');
    const attempts: number[] = [];
    const processed: Array<{ id: number; at: number }> = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        if (order.id === 1) {
          attempts.push(ctx.attempt);
          throw new PaymentDeclinedError('card declined', { cause: new TypeError('limit is undefined') });
        }
        processed.push({ id: order.id, at: Date.now() });
      }
    }

    apps.push(
      await startConsumerApp({ imports: [moduleWithDeadLetters('dlt-test')], controllers: [OrdersController] }),
    );
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    const timestamp = '1700000000000';
    await kit.produce(topic, [
      { partition: 1, key: 'order-1', value: JSON.stringify({ id: 1 }), headers: { trace: 't-1' }, timestamp },
      { partition: 1, key: 'order-2', value: JSON.stringify({ id: 2 }), headers: { trace: 't-2' } },
    ]);

    await waitFor('the dead-letter record', () => reader.of(dlt).length === 1);
    await waitFor('the next message of the partition', () => processed.some((p) => p.id === 2));
    await waitFor('commit past both messages', async () => (await kit.committed(groupId, topic))[1] === '2');

    expect(attempts).toEqual([1, 2, 3]);
    const [record] = reader.of(dlt);
    expect(record.partition).toBe(1);
    expect(record.key).toBe('order-1');
    expect(record.value?.toString('utf8')).toBe(JSON.stringify({ id: 1 }));
    expect(record.headers).toEqual({
      trace: 't-1',
      [H.originalTopic]: topic,
      [H.originalPartition]: '1',
      [H.originalOffset]: '0',
      [H.originalTimestamp]: timestamp,
      [H.originalTimestampType]: 'CreateTime',
      [H.originalConsumerGroup]: groupId,
      [H.exceptionFqcn]: 'PaymentDeclinedError',
      [H.exceptionCauseFqcn]: 'TypeError',
      [H.exceptionMessage]: 'card declined',
      [ATTEMPTS_HEADER]: '3',
    });
    expect(record.headers[H.exceptionStacktrace]).toBeUndefined();
    // The dead-letter write was acknowledged before the partition went on to the next message.
    expect(Number(record.timestamp)).toBeLessThanOrEqual(processed.find((p) => p.id === 2)!.at);
    expect(processed.map((p) => p.id)).toEqual([2]);
  });

  it('sends a NonRetriableError and a ValidationPipe failure straight to the dead-letter topic', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('billing');
    const calls: number[] = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      @UsePipes(new ValidationPipe())
      bill(@Payload() order: OrderDto) {
        calls.push(order.id);
        if (order.id === 1) throw new NonRetriableError('order 1 is cancelled');
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [moduleWithDeadLetters('dlt-non-retriable-test', { includeStackTrace: true })],
        controllers: [OrdersController],
      }),
    );
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 1 }) },
      { value: JSON.stringify({ id: -5 }) },
      { value: JSON.stringify({ id: 3 }) },
    ]);

    await waitFor('two dead-letter records', () => reader.of(dlt).length === 2);
    await waitFor('commit past all three', async () => (await kit.committed(groupId, topic))[0] === '3');
    // One attempt each: the NonRetriableError ran the handler once, the invalid record never reached it.
    expect(calls).toEqual([1, 3]);
    const [nonRetriable, invalid] = reader.of(dlt);
    expect(nonRetriable.headers).toMatchObject({
      [H.originalOffset]: '0',
      [H.exceptionFqcn]: 'NonRetriableError',
      [H.exceptionMessage]: 'order 1 is cancelled',
      [ATTEMPTS_HEADER]: '1',
    });
    expect(nonRetriable.headers[H.exceptionStacktrace]).toContain('NonRetriableError: order 1 is cancelled');
    expect(invalid.headers).toMatchObject({
      [H.originalOffset]: '1',
      [H.exceptionFqcn]: 'BadRequestException',
      [ATTEMPTS_HEADER]: '1',
    });
    expect(invalid.value?.toString('utf8')).toBe(JSON.stringify({ id: -5 }));
  });

  it('sends malformed JSON to the dead-letter topic as raw bytes; the handler never sees it', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('billing');
    const seen: unknown[] = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      bill(@Payload() order: unknown) {
        seen.push(order);
      }
    }

    apps.push(
      await startConsumerApp({ imports: [moduleWithDeadLetters('dlt-json-test')], controllers: [OrdersController] }),
    );
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    const malformed = Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0xff, 0xfe, 0x00]); // {"id":<bad bytes>
    await kit.produce(topic, [{ key: 'k-0', value: malformed }, { value: JSON.stringify({ id: 2 }) }]);

    await waitFor('the dead-letter record', () => reader.of(dlt).length === 1);
    await waitFor('commit past both', async () => (await kit.committed(groupId, topic))[0] === '2');
    expect(seen).toEqual([{ id: 2 }]);
    const [record] = reader.of(dlt);
    expect(Buffer.compare(record.value!, malformed)).toBe(0);
    expect(record.key).toBe('k-0');
    expect(record.headers).toMatchObject({
      [H.originalTopic]: topic,
      [H.originalOffset]: '0',
      [H.exceptionFqcn]: 'DeserializationError',
      [H.exceptionCauseFqcn]: 'SyntaxError',
      [ATTEMPTS_HEADER]: '1',
    });
    expect(record.headers[H.exceptionMessage]).toContain('is not valid JSON');
  });

  it('never dead-letters a record read from a dead-letter topic (no -dlt-dlt)', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('dlt-reprocessor');
    const attempts: number[] = [];

    @Controller()
    class DeadLetterController {
      // Dead-lettering is on (module default) for a handler of the dead-letter topic itself.
      @ConsumeTopic(dlt, { groupId, fromBeginning: true, retry: false })
      reprocess() {
        attempts.push(Date.now());
        if (attempts.length < 3) throw new Error('still failing');
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [moduleWithDeadLetters('dlt-loop-test')],
        controllers: [DeadLetterController],
      }),
    );
    await kit.produce(dlt, [
      { value: JSON.stringify({ id: 1 }), headers: { [H.originalTopic]: topic, [H.originalOffset]: '0' } },
    ]);

    // Failed twice: redelivered (its partition waits), never written anywhere, then processed.
    await waitFor('the third delivery', () => attempts.length === 3);
    await waitFor('the commit', async () => (await kit.committed(groupId, dlt))[0] === '1');
    const topics = await (await kit.getAdmin()).listTopics();
    expect(topics).not.toContain(`${dlt}-dlt`);
    expect(topics).not.toContain(`${topic}-dlt-dlt`);
  });
});
