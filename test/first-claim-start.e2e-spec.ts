import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture, type StoreKind } from './support/offset-stores.js';

/**
 * Review finding L6: with an external store and `fromBeginning: false`, a member that got a
 * partition with nothing stored started at the log end but stored nothing; when it left before
 * processing a record, the next owner started at a later log end, and the records in between were
 * never processed. The start position is now stored when the partition is first claimed.
 */
describe.each<StoreKind>(['postgres', 'redis', 'file'])('%s store, first claim of a partition', (kind) => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  let store: StoreFixture | undefined;
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close().catch(() => undefined)));
    await kit.close();
    await store?.cleanup();
  });

  async function startMember(topic: string, groupId: string, seen: string[]) {
    @Controller()
    class LatestController {
      @ConsumeTopic(topic, { groupId, fromBeginning: false, deserializer: 'string' })
      handle(@Payload() value: string) {
        seen.push(value);
      }
    }
    const app = await startConsumerApp({
      imports: [
        store!.module(),
        KafkaConsumerModule.forRoot({
          client: { clientId: `first-claim-${kind}`, brokers: brokers() },
          offsetStore: store!.storeClass,
          commitIntervalMs: 100,
        }),
      ],
      controllers: [LatestController],
    });
    apps.push(app);
    // Ready: claimed in the store and positioned (the worker dispatches from here on).
    const runner = app.server.groups.get(groupId)!;
    await waitFor('the partition claimed and positioned', () => {
      const worker = runner['partitions'].workers.get(`${topic}:0`);
      return worker?.state === 'ready';
    });
    return app;
  }

  it('stores the start offset at once, so the next owner starts there and not at a later log end', async () => {
    store = storeFixture(kind);
    const topic = await kit.createTopic(unique(`first-claim-${kind}`), 1);
    const groupId = unique('first-claim-group');
    await kit.produce(
      topic,
      ['old-0', 'old-1', 'old-2'].map((value) => ({ partition: 0, value })),
    );

    const seenByFirst: string[] = [];
    const first = await startMember(topic, groupId, seenByFirst);
    await waitFor('the start offset stored', async () => (await store!.read(groupId, topic))[0] === '3');
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(seenByFirst).toEqual([]);

    // Written while the group has no member: the group started before them, so they are its records.
    await kit.produce(
      topic,
      ['new-0', 'new-1', 'new-2', 'new-3', 'new-4'].map((value) => ({ partition: 0, value })),
    );
    const seenBySecond: string[] = [];
    await startMember(topic, groupId, seenBySecond);
    await kit.produce(topic, [{ partition: 0, value: 'sentinel' }]);
    await waitFor('the sentinel', () => seenBySecond.includes('sentinel'));
    expect(seenBySecond).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4', 'sentinel']);
  });
});
