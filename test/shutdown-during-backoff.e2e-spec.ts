import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const module = (retry: object | false) =>
  KafkaConsumerModule.forRoot({
    client: { clientId: 'shutdown-backoff-test', brokers: brokers() },
    retry,
    deadLetter: { enabled: true },
    shutdownTimeoutMs: 10_000,
  });

describe('shutdown during a retry backoff', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('returns promptly, commits nothing past the failed message and dead-letters nothing', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('billing');
    const calls: Array<{ id: number; attempt: number }> = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        calls.push({ id: order.id, attempt: ctx.attempt });
        if (order.id === 1) throw new Error('downstream unavailable');
      }
    }

    const consumer = await startConsumerApp({
      imports: [module({ attempts: 5, backoff: { type: 'fixed', delayMs: 30_000 } })],
      controllers: [OrdersController],
    });
    apps.push(consumer);
    await kit.produce(
      topic,
      [0, 1, 2].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    await waitFor('the failed first attempt of message 1', () => calls.some((c) => c.id === 1));
    await waitFor('message 0 committed', async () => (await kit.committed(groupId, topic))[0] === '1');

    const started = Date.now();
    await consumer.close();
    const closeMs = Date.now() - started;
    console.info(`close() during a 30 s backoff took ${closeMs} ms (shutdownTimeoutMs 10000)`);
    // Leaving the group and disconnecting take a few seconds under load; a backoff that close()
    // did not abort would hold it until the 10 s shutdown budget cut it.
    expect(closeMs).toBeLessThan(8000);
    expect(calls).toEqual([
      { id: 0, attempt: 1 },
      { id: 1, attempt: 1 },
    ]);
    expect((await kit.committed(groupId, topic))[0]).toBe('1');
    const dltEnd = await (await kit.getAdmin()).fetchTopicOffsets(dlt);
    expect(dltEnd[0].high).toBe('0');

    // Nothing lost: the next member of the group starts at the failed message.
    calls.length = 0;
    apps.push(await startConsumerApp({ imports: [module(false)], controllers: [OrdersController] }));
    await waitFor('redelivery of message 1 to the next member', () => calls.some((c) => c.id === 1));
    expect(calls[0]).toEqual({ id: 1, attempt: 1 });
  });
});
