import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, DEAD_LETTER_HEADERS, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

describe('dead-letter topic unavailable', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('commits nothing past the failed message until the topic appears, then dead-letters it and goes on', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('billing');
    const processed: number[] = [];
    let poisonAttempts = 0;
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      bill(@Payload() order: { id: number }) {
        if (order.id === 1) {
          poisonAttempts++;
          throw new Error('order 1 cannot be billed');
        }
        processed.push(order.id);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'dlt-unavailable-test', brokers: brokers() },
            retry: false,
            deadLetter: { enabled: true },
            redelivery: { type: 'fixed', delayMs: 150 },
          }),
        ],
        controllers: [OrdersController],
      }),
    );
    // The topic existed at startup (topology check) and disappears while the app runs.
    const admin = await kit.getAdmin();
    await admin.deleteTopics({ topics: [dlt] });
    await waitFor('the topic deletion', async () => !(await admin.listTopics()).includes(dlt));

    await kit.produce(
      topic,
      [0, 1, 2].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    await waitFor('the first message', () => processed.includes(0));
    await waitFor('the first message committed', async () => (await kit.committed(groupId, topic))[0] === '1');
    const attemptsAtCommit = poisonAttempts;
    await waitFor('several failed dead-letter writes', () => poisonAttempts >= Math.max(attemptsAtCommit + 2, 3));
    // Nothing past the failed message was processed or committed.
    expect(processed).toEqual([0]);
    expect((await kit.committed(groupId, topic))[0]).toBe('1');
    expect(warnings.some((w) => w.includes(`"${dlt}"`) && w.includes('does not exist'))).toBe(true);
    expect(warnings.some((w) => w.includes('stays uncommitted'))).toBe(true);

    await waitFor('the topic to be created again', async () => {
      await admin.createTopics({ topics: [{ topic: dlt, numPartitions: 1 }], waitForLeaders: true });
      return (await admin.listTopics()).includes(dlt);
    });
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);

    await waitFor('the dead-letter record', () => reader.of(dlt).length === 1);
    await waitFor('the rest of the partition', () => processed.includes(2));
    await waitFor('commit past every message', async () => (await kit.committed(groupId, topic))[0] === '3');
    expect(processed).toEqual([0, 2]);
    expect(reader.of(dlt)[0].headers[DEAD_LETTER_HEADERS.originalOffset]).toBe('1');
    expect(reader.of(dlt)[0].value?.toString()).toBe(JSON.stringify({ id: 1 }));
  });
});
