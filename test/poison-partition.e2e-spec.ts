import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

describe('poison message', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('retrying a poison message in partition 0 does not delay partition 1; partition 0 keeps its order', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const dlt = await kit.createTopic(`${topic}-dlt`, 2);
    const groupId = unique('billing');
    const poisonAttempts: number[] = [];
    const processed: Array<{ partition: number; id: number; at: number }> = [];
    const partitionOneDone = () => processed.filter((p) => p.partition === 1).length === 20;
    // Whether partition 1 was processed and committed while the poison message's first attempt ran.
    let wentOnMeanwhile: boolean | undefined;

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      async bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        if (order.id === 0) {
          poisonAttempts.push(Date.now());
          if (ctx.attempt === 1 && ctx.redeliveries === 0) {
            // Holds the first attempt until partition 1 is done: were partition 1 waiting behind
            // partition 0, this would time out.
            wentOnMeanwhile = await waitFor(
              'partition 1 to be processed and committed',
              async () => partitionOneDone() && (await kit.committed(groupId, topic))[1] === '20',
              30_000,
            ).then(
              () => true,
              () => false,
            );
          }
          throw new Error('poison');
        }
        processed.push({ partition: ctx.partition, id: order.id, at: Date.now() });
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'poison-test', brokers: brokers() },
            retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 1000 } },
            deadLetter: { enabled: true },
          }),
        ],
        controllers: [OrdersController],
      }),
    );
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    const others = Array.from({ length: 20 }, (_, i) => ({ partition: 1, value: JSON.stringify({ id: 100 + i }) }));
    await kit.produce(topic, [
      { partition: 0, value: JSON.stringify({ id: 0 }) },
      { partition: 0, value: JSON.stringify({ id: 1 }) },
      ...others,
    ]);

    await waitFor('the first attempt of the poison message to end', () => wentOnMeanwhile !== undefined, 40_000);
    // Partition 1 was processed and committed while the poison message's first attempt still ran.
    expect(wentOnMeanwhile).toBe(true);

    await waitFor('the poison message in the dead-letter topic', () => reader.of(dlt).length === 1);
    await waitFor('partition 0 to go on', async () => (await kit.committed(groupId, topic))[0] === '2');
    expect(poisonAttempts).toHaveLength(3);
    const next = processed.find((p) => p.partition === 0)!;
    expect(next.id).toBe(1);
    // Order within partition 0: the next message only after the poison message's last attempt.
    expect(next.at).toBeGreaterThanOrEqual(poisonAttempts[2]);
    // Partition 1 finished before the poison message's second attempt.
    expect(processed.filter((p) => p.partition === 1)).toHaveLength(20);
    expect(Math.max(...processed.filter((p) => p.partition === 1).map((p) => p.at))).toBeLessThan(poisonAttempts[1]);
    expect(reader.of(dlt)[0].partition).toBe(0);
  });
});
