import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  ConsumeTopic,
  KafkaConsumerModule,
  KafkaConsumerServer,
  OnConsumerEvent,
  type KafkaConsumerEventName,
  type KafkaConsumerEvents,
  type KafkaConsumerStatus,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startGroupMember, type GroupMember } from './support/group-member.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const LIFECYCLE: KafkaConsumerEventName[] = [
  'connected',
  'disconnected',
  'rebalancing',
  'crashed',
  'partitions.assigned',
  'partitions.revoked',
  'partitions.lost',
];

describe('consumer lifecycle events, status and @OnConsumerEvent', () => {
  const kit = new KafkaTestKit();
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).toReversed()) await cleanup().catch(() => undefined);
    await kit.close();
  });

  it('reports start, a rebalance when a second member joins, and shutdown, through on(), status and the decorator', async () => {
    const topic = await kit.createTopic(unique('events'), 2);
    const groupId = unique('events-group');
    const decorated: Array<{ event: string; groupId: string; partitions?: number[] }> = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() _order: unknown) {}
    }

    @Injectable()
    class PartitionAudit {
      @OnConsumerEvent('partitions.assigned')
      @OnConsumerEvent('partitions.revoked')
      onPartitions(event: KafkaConsumerEvents['partitions.assigned'] | KafkaConsumerEvents['partitions.revoked']) {
        const kind = 'generation' in event ? 'assigned' : 'revoked';
        decorated.push({ event: kind, groupId: event.groupId, partitions: event.partitions.map((p) => p.partition) });
      }

      @OnConsumerEvent('connected', { groupId: 'some-other-group' })
      onOtherGroup(event: KafkaConsumerEvents['connected']) {
        decorated.push({ event: 'other-group', groupId: event.groupId });
      }
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'events-test', brokers: brokers() },
          consumer: { heartbeatInterval: 500 },
        }),
      ],
      controllers: [OrdersController],
      providers: [PartitionAudit],
    }).compile();
    moduleRef.useLogger(process.env.TEST_LOGS ? console : ['error']);
    const server = moduleRef.get(KafkaConsumerServer);
    const statuses: KafkaConsumerStatus[] = [];
    const subscription = server.status.subscribe((status) => statuses.push(status));
    const events: Array<{ event: KafkaConsumerEventName; payload: { groupId: string } }> = [];
    for (const event of LIFECYCLE) server.on(event, (payload) => void events.push({ event, payload }));
    const app = moduleRef.createNestMicroservice({ strategy: server });
    let closed = false;
    cleanups.push(async () => {
      subscription.unsubscribe();
      if (!closed) await app.close();
    });
    await app.listen();

    // Start: the group joins and gets both partitions.
    await waitFor('the first join', () => events.some((e) => e.event === 'connected'));
    expect(events.map((e) => e.event)).toEqual(['partitions.assigned', 'connected']);
    expect(events[0].payload).toMatchObject({
      groupId,
      generation: 1,
      partitions: [
        { topic, partition: 0 },
        { topic, partition: 1 },
      ],
    });
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(decorated).toEqual([{ event: 'assigned', groupId, partitions: [0, 1] }]);

    // A second member joins: a rebalance, after which this member keeps one partition.
    events.length = 0;
    const second: GroupMember = await startGroupMember('B', topic, groupId, {
      consumer: { heartbeatInterval: 500 },
    });
    cleanups.push(() => second.close());
    await waitFor('the second member to get a partition', () => second.partitions().length === 1, 60_000);
    await waitFor('this member to join again', () => events.some((e) => e.event === 'connected'), 60_000);
    const sequence = events.map((e) => e.event);
    expect(sequence[0]).toBe('rebalancing');
    expect(sequence).toContain('partitions.revoked');
    expect(sequence.at(-1)).toBe('connected');
    const revoked = events.find((e) => e.event === 'partitions.revoked')!
      .payload as KafkaConsumerEvents['partitions.revoked'];
    expect(revoked.partitions.map((p) => p.partition)).toEqual(second.partitions());
    expect(statuses.slice(2)).toEqual(['rebalancing', 'connected']);
    expect(decorated.at(-1)).toEqual({ event: 'revoked', groupId, partitions: second.partitions() });

    // Shutdown: the member leaves and disconnects.
    events.length = 0;
    await app.close();
    closed = true;
    expect(events.map((e) => e.event)).toEqual(['disconnected']);
    expect(statuses.at(-1)).toBe('disconnected');
    expect(decorated.some((d) => d.event === 'other-group')).toBe(false);
  }, 120_000);
});
