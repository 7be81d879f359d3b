import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe('independent consumer groups', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('delivers every message of a topic once to each of two groups', async () => {
    const topic = await kit.createTopic(unique('orders'), 3);
    const billingGroup = unique('billing');
    const analyticsGroup = unique('analytics');
    const billing: number[] = [];
    const analytics: number[] = [];
    const seenContexts: Array<{ topic: string; groupId: string; key: string | null; header: unknown }> = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId: billingGroup, fromBeginning: true })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        billing.push(order.id);
        seenContexts.push({ topic: ctx.topic, groupId: ctx.groupId, key: ctx.key, header: ctx.headers['trace'] });
      }

      @ConsumeTopic(topic, { groupId: analyticsGroup, fromBeginning: true })
      track(@Payload() order: { id: number }) {
        analytics.push(order.id);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'groups-test', brokers: brokers() } })],
        controllers: [OrdersController],
      }),
    );
    const total = 300;
    await kit.produce(
      topic,
      Array.from({ length: total }, (_, id) => ({
        key: `order-${id}`,
        value: JSON.stringify({ id }),
        headers: { trace: `t-${id}` },
      })),
    );

    await waitFor('both groups to process every message', () => billing.length >= total && analytics.length >= total);
    expect(new Set(billing).size).toBe(total);
    expect(new Set(analytics).size).toBe(total);
    expect(billing.length).toBe(total);
    expect(analytics.length).toBe(total);
    const sample = seenContexts.find((c) => c.key === 'order-7');
    expect(sample).toEqual({ topic, groupId: billingGroup, key: 'order-7', header: 't-7' });

    // Each group commits last processed + 1 = the end of every partition.
    const expectedEnds = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor('commits of both groups', async () => {
      const [b, a] = await Promise.all([kit.committed(billingGroup, topic), kit.committed(analyticsGroup, topic)]);
      return JSON.stringify(b) === JSON.stringify(expectedEnds) && JSON.stringify(a) === JSON.stringify(expectedEnds);
    });
  });
});
