import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Consumer } from 'kafkajs';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule, KafkaConsumerRegistry } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, kafkaClient, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const module = () =>
  KafkaConsumerModule.forRoot({
    client: { clientId: 'runtime-seek-test', brokers: brokers() },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 500 },
    commitIntervalMs: 100,
  });

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** A gate a handler awaits until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('seeking a partition through the registry', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const intruders: Consumer[] = [];
  afterEach(async () => {
    await Promise.all(intruders.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  async function startApp(topic: string, groupId: string, onRecord?: (id: number, delivery: number) => Promise<void>) {
    const seen: number[] = [];

    @Controller()
    class SeekController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      async handle(@Payload() record: { id: number }, @Ctx() _ctx: KafkaConsumerContext) {
        seen.push(record.id);
        await onRecord?.(record.id, seen.filter((id) => id === record.id).length);
      }
    }

    const app = await startConsumerApp({ imports: [module()], controllers: [SeekController] });
    apps.push(app);
    const registry = app.app.get(KafkaConsumerRegistry);
    await waitFor('the partitions assigned', () => registry.getAssignment(groupId).length > 0);
    return { seen, registry };
  }

  const produceIds = (topic: string, list: number[], timestamp?: number) =>
    kit.produce(
      topic,
      list.map((id) => ({ value: JSON.stringify({ id }), ...(timestamp && { timestamp: String(timestamp) }) })),
    );

  it('re-processes from an offset and commits from there', async () => {
    const topic = await kit.createTopic(unique('seek'), 1);
    const groupId = unique('seek');
    const { seen, registry } = await startApp(topic, groupId);
    await produceIds(topic, ids(0, 10));
    await waitFor('all committed', async () => (await kit.committed(groupId, topic))[0] === '10');

    await registry.seek(groupId, topic, 0, 3);
    await waitFor('records 3..9 processed again', () => seen.length === 17);
    expect(seen).toEqual([...ids(0, 10), ...ids(3, 10)]);
    await waitFor('committed to the end again', async () => (await kit.committed(groupId, topic))[0] === '10');
  });

  it('re-processes from the first record at or after a timestamp', async () => {
    const topic = await kit.createTopic(unique('seek-time'), 1);
    const groupId = unique('seek-time');
    const { seen, registry } = await startApp(topic, groupId);
    const t0 = Date.now() - 60_000;
    await produceIds(topic, ids(0, 5), t0);
    await produceIds(topic, ids(5, 8), t0 + 30_000);
    await waitFor('all processed', () => seen.length === 8);

    await registry.seek(groupId, topic, 0, { timestamp: new Date(t0 + 30_000) });
    await waitFor('the later records processed again', () => seen.length === 11);
    expect(seen.slice(8)).toEqual([5, 6, 7]);
  });

  it('lets an in-flight record finish without committing anything of the old position past the seek', async () => {
    const topic = await kit.createTopic(unique('seek-inflight'), 1);
    const groupId = unique('seek-inflight');
    const oldRecord = gate();
    const replayStart = gate();
    let oldFinished = false;
    const { seen, registry } = await startApp(topic, groupId, async (id, delivery) => {
      if (id === 5 && delivery === 1) {
        await oldRecord.opened;
        oldFinished = true;
      }
      if (id === 0 && delivery === 2) await replayStart.opened;
    });
    await produceIds(topic, ids(0, 10));
    await waitFor('record 5 running, 0..4 committed', async () => (await kit.committed(groupId, topic))[0] === '5');
    expect(seen.at(-1)).toBe(5);

    await registry.seek(groupId, topic, 0, 0);
    // The seek stored its offset before it returned.
    expect((await kit.committed(groupId, topic))[0]).toBe('0');
    oldRecord.open();
    await waitFor(
      'record 0 delivered again, after the old record finished',
      () => seen.filter((id) => id === 0).length === 2,
    );
    expect(oldFinished).toBe(true);
    // Record 5 finished under the old position: its offset (6) was not committed.
    expect((await kit.committed(groupId, topic))[0]).toBe('0');
    replayStart.open();
    await waitFor('committed to the end', async () => (await kit.committed(groupId, topic))[0] === '10');
    expect(seen.filter((id) => id === 5)).toHaveLength(2);
    expect(seen.slice(seen.lastIndexOf(0))).toEqual(ids(0, 10));
  });

  it('refuses a partition this member does not own, naming the partitions it does', async () => {
    const topic = await kit.createTopic(unique('seek-unowned'), 2);
    const groupId = unique('seek-unowned');
    const { registry } = await startApp(topic, groupId);
    const intruder = kafkaClient('intruder').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    intruders.push(intruder);
    await intruder.connect();
    await intruder.subscribe({ topics: [topic] });
    await intruder.run({ eachMessage: async () => undefined });
    await waitFor('the intruder owns one partition', () => registry.getAssignment(groupId).length === 1, 60_000);
    const [owned] = registry.getAssignment(groupId);
    const unowned = 1 - owned.partition;

    await expect(registry.seek(groupId, topic, unowned, 0)).rejects.toMatchObject({
      code: 'KAFKA_CONSUMER_CONTROL',
      reason: 'partition-not-assigned',
      message: expect.stringContaining(`${topic}[${unowned}] is not assigned to this member`),
    });
    await expect(registry.seek(groupId, topic, owned.partition, -1)).rejects.toMatchObject({
      reason: 'invalid-argument',
    });
  });
});
