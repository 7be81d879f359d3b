import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule, NonRetriableError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe('a handler consuming a dead-letter topic (S7)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('with the default json deserializer, skips a record it cannot decode (loudly) and gets every other one', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    // Created here: the consumed-topics startup check runs before deadLetter.createTopics would create it.
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const billing = unique('billing');
    const repairs = unique('repairs');
    const repaired: number[] = [];
    const logger = new CapturingLogger();

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId: billing, fromBeginning: true })
      bill(@Payload() order: { id: number }) {
        throw new NonRetriableError(`order ${order.id} is invalid`);
      }

      // Defaults: json, the module's dead-lettering.
      @ConsumeTopic(dlt, { groupId: repairs, fromBeginning: true })
      repair(@Payload() order: { id: number }) {
        repaired.push(order.id);
      }
    }

    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'dead-letter-consumer-test', brokers: brokers() },
              retry: false,
              deadLetter: { createTopics: true },
              redelivery: { type: 'fixed', delayMs: 50 },
            }),
          ],
          controllers: [OrdersController],
        },
        { logger },
      ),
    );
    await kit.produce(topic, [
      { value: '{oops' },
      { value: JSON.stringify({ id: 1 }) },
      { value: JSON.stringify({ id: 2 }) },
    ]);

    await waitFor('the dead-lettered JSON records', () => repaired.length === 2);
    await waitFor(
      'the commit past every dead-letter record',
      async () => (await kit.committed(repairs, dlt))[0] === '3',
    );
    expect(repaired).toEqual([1, 2]);
    const skipped = logger.lines.filter((l) => l.message.includes('cannot be deserialized and is skipped'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0].level).toBe('error');
    expect(skipped[0].message).toContain(`Group "${repairs}": record ${dlt}[0]@0`);
    expect(skipped[0].message).toContain("deserializer: 'buffer'");
  });
});
