import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, FileOffsetStore, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';

describe('offset store per consumer group', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  let store: StoreFixture;
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    await store.cleanup();
  });

  it('stores one group’s offsets in Kafka (module default) and another’s in the store its handler names', async () => {
    store = storeFixture('file');
    const topic = await kit.createTopic(unique('per-group'), 2);
    const inKafka = unique('in-kafka');
    const inFile = unique('in-file');
    let kafkaCount = 0;
    let fileCount = 0;

    @Controller()
    class Handlers {
      @ConsumeTopic(topic, { groupId: inKafka, fromBeginning: true })
      viaKafka(@Payload() _p: unknown) {
        kafkaCount++;
      }

      @ConsumeTopic(topic, { groupId: inFile, fromBeginning: true, offsetStore: FileOffsetStore })
      viaFile(@Payload() _p: unknown) {
        fileCount++;
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [
          store.module(),
          KafkaConsumerModule.forRoot({ client: { clientId: 'per-group', brokers: brokers() }, commitIntervalMs: 100 }),
        ],
        controllers: [Handlers],
      }),
    );
    await kit.produce(
      topic,
      Array.from({ length: 40 }, (_, id) => ({ key: `k${id}`, value: JSON.stringify({ id }) })),
    );
    await waitFor('both groups to process 40 records', () => kafkaCount >= 40 && fileCount >= 40);
    const ends = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor('both groups to store their offsets', async () => {
      const [kafka, file] = await Promise.all([kit.committed(inKafka, topic), store.read(inFile, topic)]);
      return JSON.stringify(kafka) === JSON.stringify(ends) && JSON.stringify(file) === JSON.stringify(ends);
    });
    // Each group's offsets are only where its store keeps them.
    expect(await store.read(inKafka, topic)).toEqual({});
    expect(Object.values(await kit.committed(inFile, topic)).every((o) => o === '-1')).toBe(true);
  });
});
