import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Consumer } from 'kafkajs';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule, KafkaConsumerRegistry } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, kafkaClient, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const module = () =>
  KafkaConsumerModule.forRoot({
    client: { clientId: 'runtime-pause-test', brokers: brokers() },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 500 },
  });

const records = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i}`, value: JSON.stringify({ id: `${prefix}${i}` }) }));

describe('pausing a topic through the registry', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const intruders: Consumer[] = [];
  afterEach(async () => {
    await Promise.all(intruders.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  async function startApp(paused: string, other: string, groupId: string) {
    const seen: Record<string, string[]> = { [paused]: [], [other]: [] };

    @Controller()
    class PauseController {
      @ConsumeTopic(paused, { groupId, fromBeginning: true })
      first(@Payload() record: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        seen[ctx.topic].push(record.id);
      }

      @ConsumeTopic(other, { groupId, fromBeginning: true })
      second(@Payload() record: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        seen[ctx.topic].push(record.id);
      }
    }

    const app = await startConsumerApp({ imports: [module()], controllers: [PauseController] });
    apps.push(app);
    return { seen, registry: app.app.get(KafkaConsumerRegistry) };
  }

  it('processes none of its records while paused (the group goes on with its other topic), all of them after resume', async () => {
    const [paused, other] = [await kit.createTopic(unique('paused'), 2), await kit.createTopic(unique('other'), 1)];
    const groupId = unique('pause');
    const { seen, registry } = await startApp(paused, other, groupId);
    await waitFor('all three partitions assigned', () => registry.getAssignment(groupId).length === 3);

    registry.pause(groupId, paused);
    expect(registry.getPausedTopics(groupId)).toEqual([paused]);
    // Records of the paused topic are in the log before those of the other topic.
    await kit.produce(paused, records(20, 'p'));
    await kit.produce(other, records(10, 'o'));
    await waitFor('the other topic processed', () => seen[other].length === 10);
    // A second fetch round of the other topic, after the paused topic's records were long in the log.
    await kit.produce(other, records(5, 'q'));
    await waitFor('the second round processed', () => seen[other].length === 15);
    expect(seen[paused]).toEqual([]);
    const lag = await registry.getLag(groupId);
    expect(lag.filter((l) => l.topic === paused).reduce((sum, l) => sum + (l.lag ?? 0), 0)).toBe(20);

    registry.resume(groupId, paused);
    expect(registry.getPausedTopics(groupId)).toEqual([]);
    await waitFor('the paused topic processed after resume', () => seen[paused].length === 20);
    expect(new Set(seen[paused]).size).toBe(20);
  });

  it('keeps partitions paused across rebalances, newly assigned ones included', async () => {
    const [paused, other] = [await kit.createTopic(unique('paused'), 4), await kit.createTopic(unique('other'), 1)];
    const groupId = unique('pause-rebalance');
    const { seen, registry } = await startApp(paused, other, groupId);
    await waitFor('all five partitions assigned', () => registry.getAssignment(groupId).length === 5);
    registry.pause(groupId, paused);

    // Another member joins (takes some partitions), then leaves: they come back to the app newly assigned.
    const intruder = kafkaClient('intruder').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    intruders.push(intruder);
    await intruder.connect();
    await intruder.subscribe({ topics: [paused, other] });
    await intruder.run({ eachMessage: async () => undefined });
    await waitFor('the intruder took partitions', () => registry.getAssignment(groupId).length < 5, 60_000);
    await intruder.disconnect();
    await waitFor('every partition back with the app', () => registry.getAssignment(groupId).length === 5, 60_000);

    await kit.produce(paused, records(20, 'p'));
    await kit.produce(other, records(10, 'o'));
    await waitFor('the other topic processed', () => seen[other].length === 10);
    await kit.produce(other, records(5, 'q'));
    await waitFor('the second round processed', () => seen[other].length === 15);
    expect(seen[paused]).toEqual([]);

    registry.resume(groupId);
    await waitFor('the paused topic processed after resume', () => seen[paused].length === 20);
  });

  it('rejects an unknown group (naming the known ones) and a topic the group does not consume', async () => {
    const [paused, other] = [await kit.createTopic(unique('paused'), 1), await kit.createTopic(unique('other'), 1)];
    const groupId = unique('pause-errors');
    const { registry } = await startApp(paused, other, groupId);
    expect(() => registry.pause('no-such-group')).toThrow(
      expect.objectContaining({
        code: 'KAFKA_CONSUMER_CONTROL',
        reason: 'unknown-group',
        message: expect.stringContaining(`known groups: "${groupId}"`),
      }),
    );
    expect(() => registry.pause(groupId, 'no-such-topic')).toThrow(
      expect.objectContaining({ reason: 'unknown-topic', message: expect.stringContaining(paused) }),
    );
  });
});
