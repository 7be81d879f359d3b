import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe('in-process retry with backoff', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('processes a message that fails twice once successfully on attempt 3, after the backoff, and commits it', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    const attempts: Array<{ attempt: number; at: number }> = [];
    const succeeded: number[] = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        retry: { attempts: 3, backoff: { type: 'exponential', delayMs: 200, multiplier: 2 } },
      })
      bill(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        attempts.push({ attempt: ctx.attempt, at: Date.now() });
        if (ctx.attempt < 3) throw new Error(`payment gateway timeout (attempt ${ctx.attempt})`);
        succeeded.push(order.id);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'retry-test', brokers: brokers() } })],
        controllers: [OrdersController],
      }),
    );
    await kit.produce(topic, [{ key: 'order-1', value: JSON.stringify({ id: 1 }) }]);

    await waitFor('the third attempt to succeed', () => succeeded.length === 1);
    await waitFor('the offset to be committed', async () => (await kit.committed(groupId, topic))[0] === '1');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(succeeded).toEqual([1]);
    // Exponential backoff: 200 ms, then 400 ms (lower bounds; an upper bound that only catches a runaway wait).
    const gaps = [attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at];
    console.info(`retry backoff: configured [200, 400] ms, measured [${gaps.join(', ')}] ms`);
    expect(gaps[0]).toBeGreaterThanOrEqual(195);
    expect(gaps[0]).toBeLessThan(11_200);
    expect(gaps[1]).toBeGreaterThanOrEqual(395);
    expect(gaps[1]).toBeLessThan(11_400);
  });

  it('keeps the group member alive while a retry waits longer than the session timeout', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    // The retry waits twice the session timeout: a member whose heartbeats stopped during the wait
    // would lose its session and rejoin under a new generation. 500 ms heartbeats leave a stall of the
    // test process (GC, a loaded CI machine) more than 5 s before the session is at risk.
    const sessionTimeout = 6000;
    const attempts: number[] = [];
    const attemptedAt: number[] = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 2 * sessionTimeout } },
      })
      bill(@Ctx() ctx: KafkaConsumerContext) {
        attempts.push(ctx.attempt);
        attemptedAt.push(Date.now());
        if (ctx.attempt === 1) throw new Error('downstream unavailable');
      }
    }

    const consumer = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'retry-heartbeat-test', brokers: brokers() },
          consumer: { sessionTimeout, heartbeatInterval: 500, rebalanceTimeout: 10_000 },
        }),
      ],
      controllers: [OrdersController],
    });
    apps.push(consumer);
    const runner = consumer.server.groups.get(groupId)!;
    const generationBefore = runner.generation;
    await kit.produce(topic, [{ value: JSON.stringify({ id: 1 }) }]);

    await waitFor('the retry after the 12 s wait', () => attempts.length === 2, 40_000);
    await waitFor('the offset to be committed', async () => (await kit.committed(groupId, topic))[0] === '1');
    expect(attempts).toEqual([1, 2]);
    expect(attemptedAt[1] - attemptedAt[0]).toBeGreaterThanOrEqual(2 * sessionTimeout - 5);
    // No session expiry, hence no rebalance (and no second delivery), while the record waited.
    expect(runner.generation).toBe(generationBefore);
  });
});
