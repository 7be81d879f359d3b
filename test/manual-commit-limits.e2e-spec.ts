import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule, NonRetriableError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe("commit: 'manual' keeps memory and the committed offset bounded (M2)", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('a handler that does not commit stops its partition at maxUncommittedRecordsPerPartition, warned once; ctx.commit() resumes it', async () => {
    const topic = await kit.createTopic(unique('uncommitted'), 1);
    const groupId = unique('uncommitted-group');
    await kit.produce(
      topic,
      Array.from({ length: 100 }, (_, n) => ({ value: JSON.stringify({ n }) })),
    );
    const seen: number[] = [];
    let last: KafkaConsumerContext | undefined;
    let commitEach = false;

    @Controller()
    class LedgerController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, commit: 'manual' })
      async apply(@Payload() body: { n: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push(body.n);
        last = ctx;
        if (commitEach) await ctx.commit();
      }
    }

    const logger = new CapturingLogger();
    const app = await startConsumerApp(
      {
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'manual-limits', brokers: brokers() },
            maxUncommittedRecordsPerPartition: 20,
          }),
        ],
        controllers: [LedgerController],
      },
      { logger },
    );
    apps.push(app);
    const runner = app.server.groups.get(groupId)!;
    await waitFor('20 records to be processed', () => seen.length === 20);
    await waitFor('the partition to be paused', () =>
      runner.consumer.paused().some((p) => p.topic === topic && p.partitions.includes(0)),
    );
    // Nothing beyond the cap was taken from the fetched batch.
    expect(runner.buffer.records).toBe(0);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(
      logger.lines.filter((l) => l.level === 'warn' && l.message.includes('maxUncommittedRecordsPerPartition')),
    ).toHaveLength(1);

    commitEach = true;
    await last!.commit();
    await waitFor('the rest to be processed', () => seen.length === 100, 30_000);
    await waitFor('commit of 100', async () => (await kit.committed(groupId, topic))[0] === '100');
    expect(
      logger.lines.filter((l) => l.level === 'warn' && l.message.includes('maxUncommittedRecordsPerPartition')),
    ).toHaveLength(1);
  });

  it('a dead-lettered record counts as acknowledged: the committed offset passes it without a later ctx.commit()', async () => {
    const topic = await kit.createTopic(unique('manual-dlt'), 1);
    const groupId = unique('manual-dlt-group');
    const seen: number[] = [];

    @Controller()
    class LedgerController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        commit: 'manual',
        retry: false,
        deadLetter: { enabled: true, createTopics: true },
      })
      async apply(@Payload() body: { n: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push(body.n);
        if (body.n === 1) throw new NonRetriableError('cannot apply record 1');
        await ctx.commit();
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'manual-dlt', brokers: brokers() } })],
        controllers: [LedgerController],
      }),
    );
    await kit.produce(
      topic,
      [0, 1].map((n) => ({ value: JSON.stringify({ n }) })),
    );
    await waitFor('both records to be handled', () => seen.length === 2);
    // Record 1 is the last one: only its dead-lettering can move the committed offset past it.
    await waitFor('commit of 2', async () => (await kit.committed(groupId, topic))[0] === '2', 15_000);
  });
});
