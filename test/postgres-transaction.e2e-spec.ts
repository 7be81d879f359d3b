import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerContext,
  KafkaConsumerModule,
  PostgresOffsetStore,
  StaleOffsetWriteError,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp } from './support/app.js';
import { brokers, unique, waitFor } from './support/kafka.js';
import { PostgresTransactionFixture } from './support/postgres-transaction.js';

describe('PostgresOffsetStore.transaction()', () => {
  const tx = new PostgresTransactionFixture('kc_tx_effects');
  const { kit, apps, database, effects } = tx;
  afterEach(() => tx.close());

  it('writes effect and offset together; a fenced transaction is neither applied, retried nor dead-lettered, and a partition still assigned here is claimed again and applied exactly once', async () => {
    await tx.setUp();
    const { store } = tx;
    const topic = await kit.createTopic(unique('tx'), 1);
    const groupId = unique('tx');
    const failures: unknown[] = [];
    let attempts = 0;

    @Controller()
    class Ledger {
      constructor(private readonly offsets: PostgresOffsetStore) {}

      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      async apply(@Payload() p: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        attempts++;
        try {
          await this.offsets.transaction(ctx, (client) =>
            client.query(`INSERT INTO ${effects} (id) VALUES ($1)`, [p.id]),
          );
        } catch (error) {
          failures.push(error);
          throw error;
        }
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [
          store.module(),
          KafkaConsumerModule.forRoot({
            client: { clientId: 'tx', brokers: brokers() },
            offsetStore: PostgresOffsetStore,
            retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 10 } },
            deadLetter: { createTopics: true },
          }),
        ],
        controllers: [Ledger],
      }),
    );
    const produce = (from: number, count: number) =>
      kit.produce(
        topic,
        Array.from({ length: count }, (_, i) => ({ value: JSON.stringify({ id: from + i }) })),
      );

    await produce(0, 50);
    await waitFor('50 effects', async () => (await tx.count()) === 50);
    await waitFor('offset 50 stored', async () => (await store.read(groupId, topic))[0] === '50');

    // Another member claims the partition (what load() does on its side).
    await database.query(`UPDATE ${store.options.table} SET epoch = epoch + 1 WHERE group_id = $1`, [groupId]);
    const attemptsBefore = attempts;
    await produce(50, 10);
    await waitFor('the fenced transaction to be rejected', () => failures.length > 0);
    expect(failures[0]).toBeInstanceOf(StaleOffsetWriteError);
    // The group still assigns the partition to this member, so it claims it again (once per
    // generation, finding S1) and goes on from the stored offset: 50..59 applied once each.
    await waitFor('offset 60 stored', async () => (await store.read(groupId, topic))[0] === '60');
    expect(failures).toHaveLength(1); // the fenced attempt was not retried in-process
    expect(attempts - attemptsBefore).toBe(11); // the fenced attempt, then 50..59 once each
    const ids = await tx.ids();
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i)); // nothing applied twice, nothing past the fence skipped
    const [dlt] = await (await kit.getAdmin()).fetchTopicOffsets(`${topic}-dlt`);
    expect(dlt.high).toBe('0'); // not dead-lettered: the new owner processes it
  });
});
