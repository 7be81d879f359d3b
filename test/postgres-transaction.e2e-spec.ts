import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerContext,
  KafkaConsumerModule,
  PostgresOffsetStore,
  StaleOffsetWriteError,
} from 'nestjs-kafka-consumer';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { POSTGRES_URL, storeFixture, type StoreFixture } from './support/offset-stores.js';

describe('PostgresOffsetStore.transaction()', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  let store: StoreFixture;
  const effects = unique('kc_tx_effects').replace(/-/g, '_');
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    await store.cleanup();
    await database.query(`DROP TABLE IF EXISTS ${effects}`);
    await database.end();
  });

  it('writes effect and offset together, and a fenced-off member neither applies, retries nor dead-letters', async () => {
    store = storeFixture('postgres');
    await database.query(`CREATE TABLE ${effects} (id int NOT NULL)`);
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
    const count = async () => Number((await database.query(`SELECT count(*) AS n FROM ${effects}`)).rows[0].n);

    await produce(0, 50);
    await waitFor('50 effects', async () => (await count()) === 50);
    await waitFor('offset 50 stored', async () => (await store.read(groupId, topic))[0] === '50');

    // Another member claims the partition (what load() does on its side).
    await database.query(`UPDATE ${store.options.table} SET epoch = epoch + 1 WHERE group_id = $1`, [groupId]);
    const attemptsBefore = attempts;
    await produce(50, 10);
    await waitFor('the fenced transaction to be rejected', () => failures.length > 0);
    // Dropped at once: its fetching pauses (and stays paused until the group assigns it again).
    await waitFor('the partition to be dropped', () =>
      apps[0].server.groups
        .get(groupId)!
        .consumer.paused()
        .some((tp) => tp.topic === topic && tp.partitions.includes(0)),
    );
    expect(failures[0]).toBeInstanceOf(StaleOffsetWriteError);
    expect(attempts - attemptsBefore).toBe(1); // not retried
    expect(await count()).toBe(50); // nothing applied past the fence
    expect((await store.read(groupId, topic))[0]).toBe('50');
    const [dlt] = await (await kit.getAdmin()).fetchTopicOffsets(`${topic}-dlt`);
    expect(dlt.high).toBe('0'); // not dead-lettered: the new owner processes it
  });
});
