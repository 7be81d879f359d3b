import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CompressionTypes, ConfigResourceTypes, ConfigSource, type Admin } from 'kafkajs';
import { ConsumeTopic, DEAD_LETTER_HEADERS, KafkaConsumerModule, NonRetriableError } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, createTopics, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;
const MB = 1024 * 1024;

const module = (clientId: string) =>
  KafkaConsumerModule.forRoot({
    client: { clientId, brokers: brokers() },
    retry: { attempts: 1 },
    deadLetter: { enabled: true, createTopics: true },
    redelivery: { type: 'fixed', delayMs: 200 },
  });

/** A topic's configs: value and whether it is set on the topic itself (not a broker default). */
async function topicConfig(admin: Admin, topic: string): Promise<Record<string, { value: string; own: boolean }>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
  });
  return Object.fromEntries(
    resources[0].configEntries.map((e) => [
      e.configName,
      { value: e.configValue, own: e.configSource === ConfigSource.TOPIC_CONFIG },
    ]),
  );
}

async function replicationFactor(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0].partitions[0].replicas.length;
}

/** A JSON record value of about `bytes` bytes. */
const payload = (id: number, bytes: number) => JSON.stringify({ id, pad: 'x'.repeat(bytes) });

describe('failure topics and record sizes', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it("creates failure topics with the source's replication factor, min.insync.replicas and max.message.bytes, and dead-letters a 2 MB record", async () => {
    const topic = unique('big');
    const admin = await kit.getAdmin();
    await createTopics(admin, [
      {
        topic,
        numPartitions: 2,
        configEntries: [
          { name: 'max.message.bytes', value: String(3 * MB) },
          { name: 'min.insync.replicas', value: '1' },
        ],
      },
    ]);
    const groupId = unique('big');
    const processed: number[] = [];

    @Controller()
    class BigController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        retryTopics: { delaysMs: [200], createTopics: true },
      })
      handle(@Payload() record: { id: number }) {
        if (record.id === 1) throw new NonRetriableError('rejected');
        processed.push(record.id);
      }
    }

    apps.push(await startConsumerApp({ imports: [module('big-test')], controllers: [BigController] }));
    const dlt = `${topic}-dlt`;
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [
      { partition: 0, value: payload(1, 2 * MB) },
      { partition: 0, value: payload(2, 10) },
    ]);

    await waitFor('the 2 MB record in the dead-letter topic', () => reader.of(dlt).length === 1, 30_000);
    await waitFor('the record after it', () => processed.includes(2), 30_000);
    expect(reader.of(dlt)[0].value!.length).toBeGreaterThan(2 * MB);
    // Failure topics are as durable and accept records as large as their source.
    for (const failureTopic of [dlt, `${topic}-retry-200`]) {
      const config = await topicConfig(admin, failureTopic);
      expect(Number(config['max.message.bytes'].value)).toBeGreaterThanOrEqual(3 * MB);
      // Copied from the source, where it is set explicitly (the single test broker allows only 1).
      expect(config['min.insync.replicas']).toEqual({ value: '1', own: true });
      expect(await replicationFactor(admin, failureTopic)).toBe(await replicationFactor(admin, topic));
    }
  });

  it('dead-letters a record near the 1 MB default limit whose error message is 20 KB, truncating that header', async () => {
    const topic = await kit.createTopic(unique('near-limit'), 1);
    const groupId = unique('near-limit');
    const processed: number[] = [];

    @Controller()
    class NearLimitController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() record: { id: number }) {
        if (record.id === 1) throw new NonRetriableError(`invalid: ${'e'.repeat(20 * 1024)}`);
        processed.push(record.id);
      }
    }

    apps.push(await startConsumerApp({ imports: [module('near-limit-test')], controllers: [NearLimitController] }));
    const dlt = `${topic}-dlt`;
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [{ value: payload(1, 1_040_000) }, { value: payload(2, 10) }]);

    await waitFor('the near-limit record in the dead-letter topic', () => reader.of(dlt).length === 1, 30_000);
    await waitFor('the record after it', () => processed.includes(2), 30_000);
    const message = reader.of(dlt)[0].headers[H.exceptionMessage];
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(4096);
    expect(message.startsWith('invalid: eee')).toBe(true);
  });

  it('dead-letters a record that was only within the limit compressed (3 MB gzip-compressed on a 1 MB topic)', async () => {
    const topic = await kit.createTopic(unique('compressed'), 1);
    const groupId = unique('compressed');
    const processed: number[] = [];

    @Controller()
    class CompressedController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() record: { id: number }) {
        if (record.id === 1) throw new NonRetriableError('rejected');
        processed.push(record.id);
      }
    }

    apps.push(await startConsumerApp({ imports: [module('compressed-test')], controllers: [CompressedController] }));
    const dlt = `${topic}-dlt`;
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    const producer = kit.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [{ value: payload(1, 3 * MB) }, { value: payload(2, 10) }],
      });
    } finally {
      await producer.disconnect();
    }

    await waitFor('the compressed record in the dead-letter topic', () => reader.of(dlt).length === 1, 30_000);
    await waitFor('the record after it', () => processed.includes(2), 30_000);
    expect(reader.of(dlt)[0].value!.length).toBeGreaterThan(3 * MB);
  });

  it('names max.message.bytes in an error when the dead-letter topic rejects a record as too large', async () => {
    const topic = await kit.createTopic(unique('too-large'), 1);
    const groupId = unique('too-large');
    const dlt = `${topic}-dlt`;

    @Controller()
    class TooLargeController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle() {
        throw new NonRetriableError('rejected');
      }
    }

    const logger = new CapturingLogger();
    apps.push(
      await startConsumerApp({ imports: [module('too-large-test')], controllers: [TooLargeController] }, { logger }),
    );
    // Lowered after the startup check, as an operator might.
    const admin = await kit.getAdmin();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: dlt, configEntries: [{ name: 'max.message.bytes', value: '1000' }] },
      ],
    });
    await kit.produce(topic, [{ value: payload(1, 5000) }]);

    await waitFor('an error naming the config', () =>
      logger.lines.some(
        (l) => l.level === 'error' && l.message.includes('max.message.bytes') && l.message.includes(dlt),
      ),
    );
  });
});
