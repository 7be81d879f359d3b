import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe('a handler that runs longer than the session timeout', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('keeps its group membership (heartbeats continue) while other partitions keep flowing', async () => {
    const topic = await kit.createTopic(unique('reports'), 2);
    const groupId = unique('reporting');
    // The handler runs 3 session timeouts: a member whose heartbeats stopped meanwhile would lose its
    // session and rejoin under a new generation. 500 ms heartbeats leave a stall of the test process
    // (GC, a loaded CI machine) more than 5 s before the session is at risk.
    const sessionTimeout = 6000;
    let releaseSlow!: () => void;
    const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowStarted = 0;
    const fast: number[] = [];

    @Controller()
    class ReportsController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: false })
      async build(@Payload() body: { n: number }, @Ctx() ctx: KafkaConsumerContext) {
        if (ctx.partition === 0) {
          slowStarted = Date.now();
          await slowReleased;
          return;
        }
        fast.push(body.n);
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'long-handler-test', brokers: brokers() },
          consumer: { sessionTimeout, heartbeatInterval: 500, rebalanceTimeout: 10_000 },
        }),
      ],
      controllers: [ReportsController],
    });
    apps.push(app);
    const runner = app.server.groups.get(groupId)!;
    const generationAtStart = runner.generation;

    await kit.produce(topic, [{ partition: 0, value: JSON.stringify({ n: -1 }) }]);
    await waitFor('the slow handler to start', () => slowStarted > 0);
    // While partition 0's handler is stuck for 3 session timeouts, partition 1 keeps being processed.
    // Its records (and their commits) come early in the stall: for the rest of it, over 2 session timeouts,
    // nothing but heartbeats keeps the member in the group.
    for (let batch = 0; batch < 3; batch++) {
      const before = fast.length;
      await kit.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ partition: 1, value: JSON.stringify({ n: batch * 10 + i }) })),
      );
      await waitFor(`batch ${batch} on partition 1`, () => fast.length === before + 10);
    }
    await waitFor('3 session timeouts to pass', () => Date.now() - slowStarted > sessionTimeout * 3, 30_000, 100);
    expect(fast).toHaveLength(30);
    // No rebalance happened: the member never lost its session.
    expect(runner.generation).toBe(generationAtStart);
    expect(runner.assignment()).toHaveLength(2);

    releaseSlow();
    await waitFor('the slow record to be committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return committed[0] === '1' && committed[1] === '30';
    });
    expect(runner.generation).toBe(generationAtStart);
  });
});
