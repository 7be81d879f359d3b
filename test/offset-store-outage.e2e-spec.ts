import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule, type OffsetStore } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const upstreams = { postgres: 5432, redis: 6379 } as const;

describe.each(['postgres', 'redis'] as const)('%s offset store going down mid-run', (kind) => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const proxy = new TcpProxy('127.0.0.1', upstreams[kind]);
  let store: StoreFixture;
  afterEach(async () => {
    await proxy.start().catch(() => undefined); // let the final commit through
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await proxy.stop();
    await kit.close();
    await store.cleanup();
  });

  it('stores nothing while it is down, keeps consuming, and stores everything once it is back', async () => {
    store = storeFixture(kind);
    const port = await proxy.start();
    const topic = await kit.createTopic(unique(`outage-${kind}`), 2);
    const groupId = unique('outage');
    const processed = new Set<number>();

    @Controller()
    class Handler {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() p: { id: number }) {
        processed.add(p.id);
      }
    }
    const app = await startConsumerApp({
      imports: [
        store.module(
          kind === 'postgres'
            ? { connection: { host: '127.0.0.1', port, user: 'postgres', database: 'test' } }
            : { connection: `redis://127.0.0.1:${port}` },
        ),
        KafkaConsumerModule.forRoot({
          client: { clientId: 'outage', brokers: brokers() },
          offsetStore: store.storeClass,
          commitIntervalMs: 100,
        }),
      ],
      controllers: [Handler],
    });
    apps.push(app);
    const offsetStore = app.app.get<OffsetStore>(store.storeClass);
    let failedSaves = 0;
    const save = offsetStore.save.bind(offsetStore);
    offsetStore.save = async (scope, offsets) => {
      try {
        await save(scope, offsets);
      } catch (error) {
        failedSaves++;
        throw error;
      }
    };
    const produce = (from: number, count: number) =>
      kit.produce(
        topic,
        Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `{"id":${from + i}}` })),
      );
    const ends = async () =>
      Object.fromEntries((await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));

    await produce(0, 200);
    const before = await ends();
    await waitFor(
      'first 200 stored',
      async () => JSON.stringify(await store.read(groupId, topic)) === JSON.stringify(before),
    );

    await proxy.stop();
    await produce(200, 200);
    await waitFor('all 400 processed while the store is down', () => processed.size === 400);
    await waitFor('saves to fail while the store is down', () => failedSaves >= 2);
    // Nothing past what was stored before the outage.
    expect(await store.read(groupId, topic)).toEqual(before);

    await proxy.start();
    const after = await ends();
    await waitFor(
      'the offsets of all 400 stored once the store is back',
      async () => JSON.stringify(await store.read(groupId, topic)) === JSON.stringify(after),
      45_000,
    );
    expect(processed.size).toBe(400);
  });
});
