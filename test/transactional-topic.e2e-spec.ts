import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Producer } from 'kafkajs';
import { ConsumeTopic, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe('a topic written by a transactional producer', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const producers: Producer[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(producers.splice(0).map((p) => p.disconnect().catch(() => undefined)));
    await kit.close();
  });

  // Engine review §6: the commit marker after the last record was never committed (lag 1 per transaction tail).
  it('commits up to the log end offset (past the commit markers) once every record is processed', async () => {
    const topic = await kit.createTopic(unique('txn'), 1);
    const groupId = unique('txn');
    const processed: number[] = [];

    @Controller()
    class TxnController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() record: { id: number }) {
        processed.push(record.id);
      }
    }

    const producer = kit.kafka.producer({
      transactionalId: unique('txn-producer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    producers.push(producer);
    await producer.connect();
    // Two transactions of 5 records: 10 records and 2 commit markers, log end offset 12.
    for (const start of [0, 5]) {
      const txn = await producer.transaction();
      await txn.send({
        topic,
        messages: Array.from({ length: 5 }, (_, i) => ({ value: JSON.stringify({ id: start + i }) })),
      });
      await txn.commit();
    }
    const admin = await kit.getAdmin();
    // The broker writes a transaction's marker after commit()/abort() resolves: wait for the log end offset to pass it.
    const logEnd = (what: string, high: string) =>
      waitFor(
        what,
        async () => {
          const [offsets] = await admin.fetchTopicOffsets(topic);
          return offsets.high === high ? offsets : undefined;
        },
        15_000,
      );
    const end = await logEnd('the last commit marker', '12');

    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'txn-test', brokers: brokers() } })],
        controllers: [TxnController],
      }),
    );
    await waitFor('all ten records processed', () => processed.length === 10, 30_000);
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Lag 0: the committed offset reaches the log end offset, past the last commit marker.
    await waitFor(
      'the commit of the log end offset',
      async () => (await kit.committed(groupId, topic))[0] === end!.high,
      15_000,
    );

    // An aborted transaction while the consumer is caught up: a fetch of aborted records and the
    // abort marker only, which kafkajs never hands to eachBatch. The commit still reaches the end.
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: JSON.stringify({ id: 100 }) }, { value: '{"id":101}' }] });
    await aborted.abort();
    const after = await logEnd('the abort marker', '15');
    await waitFor(
      'the commit past the aborted transaction',
      async () => (await kit.committed(groupId, topic))[0] === after!.high,
      15_000,
    );
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
