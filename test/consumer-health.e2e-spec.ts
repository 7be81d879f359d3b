import { Controller, ServiceUnavailableException } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  ConsumeTopic,
  KafkaConsumerHealthIndicator,
  KafkaConsumerModule,
  type ConsumerHealth,
  type KafkaConsumerEvents,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

describe('KafkaConsumerHealthIndicator', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const proxy = new TcpProxy('127.0.0.1', 6379);
  let store: StoreFixture | undefined;
  afterEach(async () => {
    await proxy.start().catch(() => undefined); // let the final commit through
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await proxy.stop();
    await kit.close();
    await store?.cleanup();
  });

  it('is up while consuming, and down once a partition is blocked past maxBlockedMs, naming the record, reason and since', async () => {
    const topic = await kit.createTopic(unique('health'), 2);
    const groupId = unique('health-group');
    const processed: number[] = [];

    @Controller()
    class PaymentsController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      apply(@Payload() payment: { id: number }) {
        if (payment.id === 13) throw new Error(`payment ${payment.id} declined`);
        processed.push(payment.id);
      }
    }
    const app = await startConsumerApp({
      imports: [
        TerminusModule,
        KafkaConsumerModule.forRoot({
          client: { clientId: 'health-test', brokers: brokers() },
          retry: { attempts: 1 },
          // deadLetter off and exhausted: 'redeliver' (the defaults): the record blocks its partition.
          redelivery: { type: 'fixed', delayMs: 200 },
          health: { maxBlockedMs: 3000 },
        }),
      ],
      controllers: [PaymentsController],
    });
    apps.push(app);
    const indicator = app.app.get(KafkaConsumerHealthIndicator);
    const health = app.app.get(HealthCheckService);
    const blockedEvents: Array<KafkaConsumerEvents['partition.blocked']> = [];
    // The indicator's evaluation as each block begins (synchronously, inside the listener).
    const healthAtBlock: ConsumerHealth[] = [];
    app.server.on('partition.blocked', (event) => {
      blockedEvents.push(event);
      healthAtBlock.push(indicator.check());
    });

    await kit.produce(topic, [{ partition: 1, value: JSON.stringify({ id: 1 }) }]);
    await waitFor('the first record', () => processed.includes(1));
    const up = await health.check([() => indicator.isHealthy('kafka')]);
    expect(up.status).toBe('ok');
    expect(up.details.kafka).toMatchObject({
      status: 'up',
      groups: { [groupId]: { status: 'connected', blocked: [] } },
      problems: [],
    });
    const partitions = (up.details.kafka as unknown as { groups: Record<string, { partitions: unknown[] }> }).groups[
      groupId
    ].partitions;
    expect(partitions).toEqual(
      expect.arrayContaining([
        { topic, partition: 0, lag: null },
        { topic, partition: 1, lag: 0 },
      ]),
    );

    const failingAt = Date.now();
    await kit.produce(topic, [
      { partition: 0, value: JSON.stringify({ id: 12 }) },
      { partition: 0, value: JSON.stringify({ id: 13 }) },
      { partition: 0, value: JSON.stringify({ id: 14 }) },
    ]);
    await waitFor('the partition to block on the failing record', () => blockedEvents.length > 0);
    expect(blockedEvents).toEqual([
      expect.objectContaining({ groupId, topic, partition: 0, offset: '1', reason: 'exhausted' }),
    ]);
    // Blocked, but not for longer than maxBlockedMs yet: listed, and still up.
    expect(healthAtBlock[0]).toMatchObject({
      healthy: true,
      problems: [],
      groups: { [groupId]: { blocked: [expect.objectContaining({ topic, partition: 0, offset: '1' })] } },
    });

    const down = await waitFor(
      'the health check to fail',
      () =>
        health.check([() => indicator.isHealthy('kafka')]).then(
          () => null,
          (error: unknown) => error,
        ),
      30_000,
      250,
    );
    expect(down).toBeInstanceOf(ServiceUnavailableException);
    const body = (down as ServiceUnavailableException).getResponse() as {
      status: string;
      error: { kafka: { status: string; problems: string[]; groups: Record<string, { blocked: unknown[] }> } };
    };
    console.info(`[health] blocked partition:\n${JSON.stringify(body, null, 2)}`);
    expect(body.status).toBe('error');
    const { kafka } = body.error;
    expect(kafka.status).toBe('down');
    const [blocked] = kafka.groups[groupId].blocked as Array<Record<string, unknown>>;
    expect(blocked).toMatchObject({
      topic,
      partition: 0,
      offset: '1',
      reason: 'exhausted',
      error: 'Error: payment 13 declined',
    });
    expect(Date.parse(blocked.since as string)).toBeGreaterThanOrEqual(failingAt - 1000);
    expect(blocked.blockedForMs).toBeGreaterThan(3000);
    expect(blocked.redeliveries).toBeGreaterThan(0);
    expect(kafka.problems).toEqual([
      `group "${groupId}": ${topic}[0] blocked at offset 1 since ${blocked.since as string} (exhausted: Error: payment 13 declined)`,
    ]);
    // Partition 1 goes on meanwhile.
    expect(processed).toEqual([1, 12]);
  }, 90_000);

  it('is down while the offset store takes no commits for longer than maxBlockedMs, and up once it is back', async () => {
    store = storeFixture('redis');
    const port = await proxy.start();
    const topic = await kit.createTopic(unique('health-store'), 1);
    const groupId = unique('health-store');
    const processed = new Set<number>();

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() order: { id: number }) {
        processed.add(order.id);
      }
    }
    const app = await startConsumerApp({
      imports: [
        store.module({ connection: `redis://127.0.0.1:${port}` }),
        KafkaConsumerModule.forRoot({
          client: { clientId: 'health-store-test', brokers: brokers() },
          offsetStore: store.storeClass,
          commitIntervalMs: 100,
          offsetStoreSaveTimeoutMs: 1000,
          health: { maxBlockedMs: 2000 },
        }),
      ],
      controllers: [OrdersController],
    });
    apps.push(app);
    const indicator = app.app.get(KafkaConsumerHealthIndicator);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 1 }) }]);
    await waitFor('the first record stored', async () => (await store!.read(groupId, topic))[0] === '1');
    expect(indicator.check().healthy).toBe(true);

    await proxy.stop();
    await kit.produce(topic, [{ value: JSON.stringify({ id: 2 }) }]);
    await waitFor('the record processed while the store is down', () => processed.has(2));
    const down = await waitFor('the health to go down', () => {
      const health = indicator.check();
      return health.healthy ? null : health;
    });
    const [blocked] = down!.groups[groupId].blocked;
    expect(blocked).toMatchObject({ topic: '*', partition: -1, reason: 'offset-store-unavailable' });
    expect(down!.problems).toEqual([
      expect.stringMatching(
        new RegExp(`^group "${groupId}": every partition blocked since \\S+ \\(offset-store-unavailable: .+\\)$`),
      ),
    ]);

    await proxy.start();
    await waitFor(
      'the record stored once the store is back',
      async () => (await store!.read(groupId, topic))[0] === '2',
    );
    await waitFor('the health to be up again', () => indicator.check().healthy);
    expect(indicator.check().groups[groupId].blocked).toEqual([]);
  }, 90_000);
});
