import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerModule,
  KafkaConsumerRegistry,
  type KafkaConsumerModuleOptions,
} from 'nestjs-kafka-consumer';
import type { Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, kafkaClient, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('starting and stopping groups, and their lag, through the registry', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  let store: StoreFixture | undefined;
  const intruders: Consumer[] = [];
  afterEach(async () => {
    await Promise.all(intruders.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    await store?.cleanup();
    store = undefined;
  });

  const produceIds = (topic: string, list: number[], partition?: number) =>
    kit.produce(
      topic,
      list.map((id) => ({ value: JSON.stringify({ id }), ...(partition !== undefined && { partition }) })),
    );

  async function members(groupId: string): Promise<{ state: string; members: number }> {
    const admin = await kit.getAdmin();
    const { groups } = await admin.describeGroups([groupId]);
    return { state: groups[0].state, members: groups[0].members.length };
  }

  /**
   * Starts an app with one handler that reads `topic` from the beginning in `groupId` and records
   * each id in `seen`; with `store` (and its module), offsets go to that external store.
   */
  async function startIdRecorder(
    topic: string,
    groupId: string,
    options: Omit<KafkaConsumerModuleOptions, 'client'> & { clientId: string; store?: StoreFixture },
  ): Promise<{ registry: KafkaConsumerRegistry; seen: number[] }> {
    const { clientId, store: offsets, ...moduleOptions } = options;
    const seen: number[] = [];

    @Controller()
    class IdRecorder {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() record: { id: number }) {
        seen.push(record.id);
      }
    }

    const app = await startConsumerApp({
      imports: [
        ...(offsets ? [offsets.module()] : []),
        KafkaConsumerModule.forRoot({
          client: { clientId, brokers: brokers() },
          ...(offsets && { offsetStore: offsets.storeClass }),
          ...moduleOptions,
        }),
      ],
      controllers: [IdRecorder],
    });
    apps.push(app);
    return { registry: app.app.get(KafkaConsumerRegistry), seen };
  }

  it('starts a group declared with autoStartup: false only when asked; stops it (committing) and starts it again', async () => {
    const [lazy, eager] = [await kit.createTopic(unique('lazy'), 1), await kit.createTopic(unique('eager'), 1)];
    const [lazyGroup, eagerGroup] = [unique('lazy'), unique('eager')];
    const seen = { lazy: [] as number[], eager: [] as number[] };

    @Controller()
    class GroupsController {
      @ConsumeTopic(lazy, { groupId: lazyGroup, fromBeginning: true, autoStartup: false })
      onLazy(@Payload() record: { id: number }) {
        seen.lazy.push(record.id);
      }

      @ConsumeTopic(eager, { groupId: eagerGroup, fromBeginning: true })
      onEager(@Payload() record: { id: number }) {
        seen.eager.push(record.id);
      }
    }

    const app = await startConsumerApp({
      imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'groups-test', brokers: brokers() } })],
      controllers: [GroupsController],
    });
    apps.push(app);
    const registry = app.app.get(KafkaConsumerRegistry);
    expect(registry.getGroupIds().toSorted()).toEqual([eagerGroup, lazyGroup].toSorted());
    expect(registry.isRunning(lazyGroup)).toBe(false);
    expect(registry.getAssignment(lazyGroup)).toEqual([]);

    await produceIds(lazy, ids(0, 5));
    await produceIds(eager, ids(0, 5));
    await waitFor('the eager group processed its records', () => seen.eager.length === 5);
    expect(seen.lazy).toEqual([]);
    expect((await kit.committed(lazyGroup, lazy))[0]).toBe('-1');

    await registry.startGroup(lazyGroup);
    expect(registry.isRunning(lazyGroup)).toBe(true);
    await waitFor('the lazy group processed its records', () => seen.lazy.length === 5);

    await registry.stopGroup(lazyGroup);
    expect(registry.isRunning(lazyGroup)).toBe(false);
    // Stopping drained and committed, and left the group.
    expect((await kit.committed(lazyGroup, lazy))[0]).toBe('5');
    expect(await members(lazyGroup)).toMatchObject({ members: 0 });
    await produceIds(lazy, ids(5, 8));
    await produceIds(eager, ids(5, 8));
    await waitFor('the eager group goes on', () => seen.eager.length === 8);
    expect(seen.lazy).toEqual(ids(0, 5));

    await registry.startGroup(lazyGroup);
    await waitFor('the lazy group resumed after its commit', () => seen.lazy.length === 8);
    expect(seen.lazy).toEqual(ids(0, 8));
    await expect(registry.startGroup('no-such-group')).rejects.toMatchObject({
      code: 'KAFKA_CONSUMER_CONTROL',
      reason: 'unknown-group',
      message: expect.stringContaining(`"${lazyGroup}"`),
    });
  });

  it('reports per partition the committed offset, the log end offset and their difference', async () => {
    const topic = await kit.createTopic(unique('lag'), 2);
    const groupId = unique('lag');
    const { registry, seen } = await startIdRecorder(topic, groupId, { clientId: 'lag-test', commitIntervalMs: 100 });
    await waitFor('both partitions assigned', () => registry.getAssignment(groupId).length === 2);
    await produceIds(topic, ids(0, 6), 0);
    await produceIds(topic, ids(6, 10), 1);
    await waitFor('everything committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return committed[0] === '6' && committed[1] === '4';
    });
    expect((await registry.getLag(groupId)).map(({ partition, lag }) => [partition, lag])).toEqual([
      [0, 0],
      [1, 0],
    ]);

    registry.pause(groupId);
    await produceIds(topic, ids(10, 13), 0);
    await produceIds(topic, ids(13, 15), 1);
    expect(await registry.getLag(groupId)).toEqual([
      { topic, partition: 0, committedOffset: '6', endOffset: '9', lag: 3, assigned: true },
      { topic, partition: 1, committedOffset: '4', endOffset: '6', lag: 2, assigned: true },
    ]);
    registry.resume(groupId);
    await waitFor('lag back to 0', async () => (await registry.getLag(groupId)).every((l) => l.lag === 0));
    expect(seen).toHaveLength(15);
  });

  it('saves a seek in an external offset store (a restarted group resumes from it) and refuses one backwards', async () => {
    store = storeFixture('file');
    const topic = await kit.createTopic(unique('seek-store'), 1);
    const groupId = unique('seek-store');
    const { registry, seen } = await startIdRecorder(topic, groupId, {
      clientId: 'seek-store-test',
      store,
      commitIntervalMs: 100,
    });
    await waitFor('the partition claimed', () => registry.getAssignment(groupId).length === 1);
    await produceIds(topic, ids(0, 4));
    await waitFor('the first records stored', async () => (await store!.read(groupId, topic))[0] === '4');

    // Paused, so nothing is processed between the seek and the restart.
    registry.pause(groupId);
    await produceIds(topic, ids(4, 10));
    await registry.seek(groupId, topic, 0, 7);
    expect((await store.read(groupId, topic))[0]).toBe('7');
    // Right after a seek the partition is claimed again: "not ready" until then.
    const refusal = await waitFor('a refusal other than "not ready"', () =>
      registry.seek(groupId, topic, 0, 2).then(
        () => new Error('the backwards seek was accepted'),
        (error: { reason?: string }) => (error.reason === 'partition-not-ready' ? null : error),
      ),
    );
    expect(refusal).toMatchObject({
      reason: 'seek-backwards-unsupported',
      message: expect.stringContaining('only moves offsets forward'),
    });
    await registry.stopGroup(groupId);
    await registry.startGroup(groupId);
    expect(registry.getPausedTopics(groupId)).toEqual([topic]);
    registry.resume(groupId);
    await waitFor('records from the sought offset processed', () => seen.length === 7);
    expect(seen).toEqual([0, 1, 2, 3, 7, 8, 9]);
    await waitFor('stored to the end', async () => (await store!.read(groupId, topic))[0] === '10');
  });

  it('keeps a paused partition of an external store at its stored offset when a rebalance keeps it before it fetched anything', async () => {
    store = storeFixture('file');
    const topic = await kit.createTopic(unique('kept-paused'), 2);
    const groupId = unique('kept-paused');
    const { registry, seen } = await startIdRecorder(topic, groupId, {
      clientId: 'kept-paused-test',
      store,
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 500 },
      commitIntervalMs: 100,
    });
    await waitFor('both partitions claimed', () => registry.getAssignment(groupId).length === 2);
    await produceIds(topic, ids(0, 5), 0);
    await produceIds(topic, ids(5, 10), 1);
    await waitFor('everything stored', async () => {
      const stored = await store!.read(groupId, topic);
      return stored[0] === '5' && stored[1] === '5';
    });
    // Restarted paused: both partitions are claimed at 5 and fetch nothing.
    registry.pause(groupId);
    await registry.stopGroup(groupId);
    await registry.startGroup(groupId);
    await waitFor('both partitions claimed again', () => registry.getAssignment(groupId).length === 2);

    // A member joins and leaves: the partition kept through both joins must stay at its stored offset.
    const intruder = kafkaClient('intruder').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    intruders.push(intruder);
    await intruder.connect();
    await intruder.subscribe({ topics: [topic] });
    await intruder.run({ eachMessage: async () => undefined });
    await waitFor('the intruder took a partition', () => registry.getAssignment(groupId).length === 1, 60_000);
    await intruder.disconnect();
    await waitFor('both partitions back', () => registry.getAssignment(groupId).length === 2, 60_000);

    registry.resume(groupId);
    await produceIds(topic, ids(10, 13), 0);
    await produceIds(topic, ids(13, 16), 1);
    await waitFor('the new records processed', () => ids(10, 16).every((id) => seen.includes(id)));
    expect(seen.toSorted((a, b) => a - b)).toEqual(ids(0, 16));
  });
});
