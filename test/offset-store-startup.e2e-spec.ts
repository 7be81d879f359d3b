import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  FileOffsetStore,
  KafkaConsumerModule,
  OffsetStoreUnavailableError,
  PostgresOffsetStore,
  RedisOffsetStore,
} from 'nestjs-kafka-consumer';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';

describe('offset store unavailable at startup', () => {
  const kit = new KafkaTestKit();
  const fixtures: StoreFixture[] = [];
  afterEach(async () => {
    await kit.close();
    await Promise.all(fixtures.splice(0).map((f) => f.cleanup()));
  });

  async function bootstrap(storeModule: ReturnType<StoreFixture['module']>, storeClass: StoreFixture['storeClass']) {
    const topic = await kit.createTopic(unique('startup'), 1);
    let handled = 0;
    @Controller()
    class Handler {
      @ConsumeTopic(topic, { groupId: unique('startup'), fromBeginning: true })
      handle(@Payload() _value: unknown) {
        handled++;
      }
    }
    const started = startConsumerApp({
      imports: [
        storeModule,
        KafkaConsumerModule.forRoot({ client: { clientId: 'startup', brokers: brokers() }, offsetStore: storeClass }),
      ],
      controllers: [Handler],
    });
    const error = await started.then(
      async (app) => {
        await app.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(handled).toBe(0);
    return error;
  }

  it('fails bootstrap naming PostgreSQL when the database cannot be reached', async () => {
    const store = storeFixture('postgres');
    fixtures.push(store);
    const error = await bootstrap(
      store.module({ connection: { host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' } }),
      PostgresOffsetStore,
    );
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as OffsetStoreUnavailableError).code).toBe('KAFKA_CONSUMER_OFFSET_STORE_UNAVAILABLE');
    expect((error as Error).message).toMatch(/PostgresOffsetStore: cannot reach PostgreSQL at 127\.0\.0\.1:1/);
  });

  it('fails bootstrap naming Redis when the server cannot be reached', async () => {
    const store = storeFixture('redis');
    fixtures.push(store);
    const error = await bootstrap(store.module({ connection: 'redis://127.0.0.1:1' }), RedisOffsetStore);
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as Error).message).toMatch(/RedisOffsetStore: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it('fails bootstrap when another live process holds the offset file', async () => {
    const store = storeFixture('file');
    fixtures.push(store);
    // The vitest main process is alive and is not this one.
    writeFileSync(`${store.options.path}.lock`, String(process.ppid));
    const error = await bootstrap(store.module(), FileOffsetStore);
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as Error).message).toContain(`is used by another process (pid ${process.ppid}`);
  });

  it('takes over an offset file whose lock was left by a dead process', async () => {
    const store = storeFixture('file');
    fixtures.push(store);
    writeFileSync(`${store.options.path}.lock`, '999999999');
    expect(await bootstrap(store.module(), FileOffsetStore)).toBeNull();
  });
});
