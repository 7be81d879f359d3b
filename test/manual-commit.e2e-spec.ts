import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe("commit: 'manual'", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  async function start(topic: string, groupId: string, seen: number[], commitAt: Set<number>) {
    @Controller()
    class PaymentsController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, commit: 'manual' })
      async pay(@Payload() body: { n: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push(body.n);
        if (commitAt.has(body.n)) await ctx.commit();
      }
    }
    const app = await startConsumerApp({
      imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'manual-test', brokers: brokers() } })],
      controllers: [PaymentsController],
    });
    apps.push(app);
    return app;
  }

  it('commits only what ctx.commit() covered, and a restart re-reads the rest', async () => {
    const topic = await kit.createTopic(unique('payments'), 1);
    const groupId = unique('ledger');
    await kit.produce(
      topic,
      Array.from({ length: 10 }, (_, n) => ({ value: JSON.stringify({ n }) })),
    );

    const firstRun: number[] = [];
    const first = await start(topic, groupId, firstRun, new Set([4]));
    await waitFor('all 10 records processed', () => firstRun.length === 10);
    // ctx.commit() on offset 4 stores 5 (and covers 0..3); 5..9 were processed but never committed.
    await waitFor('commit of 5', async () => (await kit.committed(groupId, topic))[0] === '5');
    await first.close();
    expect((await kit.committed(groupId, topic))[0]).toBe('5');

    const secondRun: number[] = [];
    await start(topic, groupId, secondRun, new Set([9]));
    await waitFor('the uncommitted records to be processed again', () => secondRun.length === 5);
    expect(secondRun).toEqual([5, 6, 7, 8, 9]);
    await waitFor('commit of 10', async () => (await kit.committed(groupId, topic))[0] === '10');
  });

  it('resolves ctx.commit() only after the offset is stored', async () => {
    const topic = await kit.createTopic(unique('payments'), 1);
    const groupId = unique('ledger');
    const committedAfterCommit: string[] = [];

    @Controller()
    class CheckingController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, commit: 'manual' })
      async pay(@Payload() _body: unknown, @Ctx() ctx: KafkaConsumerContext) {
        await ctx.commit();
        committedAfterCommit.push((await kit.committed(groupId, topic))[0]);
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'manual-test', brokers: brokers() } })],
        controllers: [CheckingController],
      }),
    );
    await kit.produce(topic, [{ value: '{}' }, { value: '{}' }, { value: '{}' }]);
    await waitFor('three commits', () => committedAfterCommit.length === 3);
    expect(committedAfterCommit).toEqual(['1', '2', '3']);
  });
});
