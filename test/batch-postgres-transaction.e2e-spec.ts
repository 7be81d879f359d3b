import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaBatchContext, KafkaConsumerModule, PostgresOffsetStore } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp } from './support/app.js';
import { brokers, unique, waitFor } from './support/kafka.js';
import { PostgresTransactionFixture } from './support/postgres-transaction.js';

describe('PostgresOffsetStore.transaction() with a batch handler', () => {
  const tx = new PostgresTransactionFixture('kc_batch_effects');
  const { kit, apps, effects } = tx;
  afterEach(() => tx.close());

  it('writes a batch’s effects and its last offset + 1 in one transaction: a member stopped mid-batch leaves nothing of it, and the next one redoes it once', async () => {
    await tx.setUp();
    const { store } = tx;
    const topic = await kit.createTopic(unique('batch-tx'), 1);
    const groupId = unique('batch-tx');
    /** Set in the first member: the batch holding this id inserts its rows, then hangs until the member is stopped. */
    let hangOn: number | undefined = 25;
    const batchesSeen: number[][] = [];
    let hanging = false;

    @Controller()
    class Ledger {
      constructor(private readonly offsets: PostgresOffsetStore) {}

      @ConsumeTopic(topic, { groupId, fromBeginning: true, batch: { maxSize: 10, maxWaitMs: 300 } })
      async apply(@Payload() batch: Array<{ id: number }>, @Ctx() ctx: KafkaBatchContext) {
        batchesSeen.push(batch.map((b) => b.id));
        await this.offsets.transaction(ctx, async (client) => {
          await client.query(`INSERT INTO ${effects} (id) SELECT unnest($1::int[])`, [batch.map((b) => b.id)]);
          if (hangOn !== undefined && batch.some((b) => b.id === hangOn)) {
            hanging = true;
            // A member that dies here never commits: its rows and offset go together.
            await new Promise<void>((_, reject) =>
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
            );
          }
        });
      }
    }
    const start = () =>
      startConsumerApp({
        imports: [
          store.module(),
          KafkaConsumerModule.forRoot({
            client: { clientId: 'batch-tx', brokers: brokers() },
            offsetStore: PostgresOffsetStore,
            shutdownTimeoutMs: 500,
            retry: false,
          }),
        ],
        controllers: [Ledger],
      });
    await kit.produce(
      topic,
      Array.from({ length: 40 }, (_, id) => ({ value: JSON.stringify({ id }) })),
    );

    const first = await start();
    apps.push(first);
    await waitFor('the batch holding id 25 to hang', () => hanging, 60_000);
    const stored = (await store.read(groupId, topic))[0];
    // Batches before the hanging one are committed with their offset, nothing of the hanging one is visible.
    const committedIds = await tx.ids();
    expect(committedIds).toEqual(Array.from({ length: Number(stored) }, (_, i) => i));
    expect(Number(stored)).toBeLessThanOrEqual(25);
    await first.close(); // the handler is aborted after shutdownTimeoutMs: the transaction rolls back
    expect(await tx.count()).toBe(Number(stored));

    hangOn = undefined;
    apps.push(await start());
    await waitFor('offset 40 stored', async () => (await store.read(groupId, topic))[0] === '40', 60_000);
    const ids = await tx.ids();
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i)); // every effect exactly once
    expect(batchesSeen.filter((b) => b.includes(25)).length).toBe(2); // the batch was redone
    expect(batchesSeen.every((b) => b.length <= 10)).toBe(true);
  });
});
