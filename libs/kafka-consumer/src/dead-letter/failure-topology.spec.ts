import type { Admin } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { TopicTopologyError } from '../errors/topic-topology.error.js';
import type { ResolvedDeadLetter } from '../kafka-consumer.options.js';
import { FAILURE_HEADERS_ALLOWANCE_BYTES, failureTopicCreation } from './failure-topic-settings.js';
import { ensureFailureTopics, planFailureTopics, type FailureTopicRequirement } from './failure-topology.js';

const deadLetter = (createTopics = false): ResolvedDeadLetter => ({
  topic: (t) => `${t}-dlt`,
  includeStackTrace: false,
  createTopics,
});

describe('planFailureTopics', () => {
  it('requires the dead-letter and retry topics of each handler, once per topic', () => {
    const plan = planFailureTopics([
      {
        topic: 'orders',
        name: 'A.bill',
        options: { deadLetter: deadLetter(), retryTopics: { delaysMs: [1000], createTopics: true, keyOrdered: false } },
      },
      { topic: 'orders', name: 'B.track', options: { deadLetter: deadLetter(true) } },
      { topic: 'clicks', name: 'C.count', options: { deadLetter: false } },
    ]);
    expect(plan.requirements).toEqual([
      { topic: 'orders-dlt', kind: 'dead-letter', sourceTopic: 'orders', create: true, handler: 'A.bill' },
      { topic: 'orders-retry-1000', kind: 'retry', sourceTopic: 'orders', create: true, handler: 'A.bill' },
    ]);
    expect([...plan.deadLetterTopics]).toEqual(['orders-dlt']);
  });

  it('requires nothing for a handler of a dead-letter topic (no -dlt-dlt)', () => {
    const custom = { ...deadLetter(), topic: (t: string) => `dead.${t}` };
    const plan = planFailureTopics([
      { topic: 'orders', name: 'A.bill', options: { deadLetter: custom } },
      { topic: 'dead.orders', name: 'A.reprocess', options: { deadLetter: custom } },
      { topic: 'payments-dlt', name: 'B.reprocess', options: { deadLetter: deadLetter() } },
    ]);
    expect(plan.requirements.map((r) => r.topic)).toEqual(['dead.orders']);
  });
});

interface FakeTopic {
  partitions: number;
  replicas?: number;
  maxMessageBytes?: number;
  minInsync?: string;
}

function fakeAdmin(topics: Record<string, number | FakeTopic>, configsReadable = true) {
  const of = (name: string): FakeTopic => {
    const t = topics[name];
    return typeof t === 'number' ? { partitions: t } : t;
  };
  const admin = {
    listTopics: vi.fn(async () => Object.keys(topics)),
    fetchTopicMetadata: vi.fn(async ({ topics: names }: { topics: string[] }) => ({
      topics: names.map((name) => ({
        name,
        partitions: Array.from({ length: of(name).partitions }, () => ({
          replicas: Array.from({ length: of(name).replicas ?? 1 }, (_, i) => i),
        })),
      })),
    })),
    describeConfigs: vi.fn(async ({ resources }: { resources: Array<{ name: string }> }) => {
      if (!configsReadable) throw new Error('Topic authorization failed');
      return {
        resources: resources.map(({ name }) => ({
          resourceName: name,
          configEntries: [
            {
              configName: 'max.message.bytes',
              configValue: String(of(name).maxMessageBytes ?? 1048588),
              configSource: 5,
            },
            {
              configName: 'min.insync.replicas',
              configValue: of(name).minInsync ?? '1',
              configSource: of(name).minInsync ? 1 : 5,
            },
          ],
        })),
      };
    }),
    createTopics: vi.fn(async () => true),
  };
  return admin as typeof admin & Admin;
}

const requirement = (
  topic: string,
  create = false,
  kind: 'dead-letter' | 'retry' = 'dead-letter',
  sourceTopic = 'orders',
) => ({ topic, kind, sourceTopic, create, handler: 'A.bill' }) satisfies FailureTopicRequirement;

describe('ensureFailureTopics', () => {
  it('accepts existing topics with enough partitions and returns their counts', async () => {
    const admin = fakeAdmin({ orders: 3, 'orders-dlt': 6 });
    expect(await ensureFailureTopics(admin, [requirement('orders-dlt')])).toEqual(new Map([['orders-dlt', 6]]));
    expect(admin.createTopics).not.toHaveBeenCalled();
  });

  it('reports every missing, too small, under-replicated or size-limited topic in one error', async () => {
    const admin = fakeAdmin({
      orders: { partitions: 3, replicas: 3, maxMessageBytes: 3_000_000 },
      'orders-dlt': { partitions: 1, replicas: 1 },
    });
    const error = await ensureFailureTopics(admin, [
      requirement('orders-dlt'),
      requirement('orders-retry-500', false, 'retry'),
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicTopologyError);
    const message = (error as Error).message;
    expect(message).toContain('"orders-dlt" has 1 partition(s), fewer than the 3 of "orders"');
    expect(message).toContain('"orders-dlt" has replication factor 1, lower than the 3 of "orders"');
    expect(message).toContain(
      '"orders-dlt" accepts records of at most 1048588 bytes (max.message.bytes), less than the 3000000',
    );
    expect(message).toContain('Retry topic "orders-retry-500" of "orders" (A.bill) does not exist');
    expect(admin.createTopics).not.toHaveBeenCalled();
  });

  it("creates missing topics with the source's partitions, replication factor, max.message.bytes (+ header room) and min.insync.replicas", async () => {
    const admin = fakeAdmin({ orders: { partitions: 4, replicas: 3, maxMessageBytes: 3_000_000, minInsync: '2' } });
    const counts = await ensureFailureTopics(admin, [requirement('orders-dlt', true)]);
    expect(admin.createTopics).toHaveBeenCalledWith({
      topics: [
        {
          topic: 'orders-dlt',
          numPartitions: 4,
          replicationFactor: 3,
          configEntries: [
            { name: 'max.message.bytes', value: String(3_000_000 + FAILURE_HEADERS_ALLOWANCE_BYTES) },
            { name: 'min.insync.replicas', value: '2' },
          ],
        },
      ],
      waitForLeaders: true,
    });
    expect(counts.get('orders-dlt')).toBe(4);
  });

  it('creates a failure topic shared by several sources with the largest of their settings', async () => {
    const admin = fakeAdmin({ orders: { partitions: 2, replicas: 3 }, payments: { partitions: 6, replicas: 2 } });
    await ensureFailureTopics(admin, [
      requirement('all-dlt', true),
      requirement('all-dlt', true, 'dead-letter', 'payments'),
    ]);
    expect(admin.createTopics).toHaveBeenCalledWith(
      expect.objectContaining({
        topics: [expect.objectContaining({ topic: 'all-dlt', numPartitions: 6, replicationFactor: 3 })],
      }),
    );
  });

  it('uses the broker defaults for a source that does not exist yet, and warns when configs cannot be read', async () => {
    expect(failureTopicCreation('new-dlt', [undefined])).toEqual({
      topic: 'new-dlt',
      numPartitions: 1,
      replicationFactor: -1,
    });
    const warnings: string[] = [];
    const admin = fakeAdmin({ orders: { partitions: 2, replicas: 3 } }, false);
    await ensureFailureTopics(admin, [requirement('orders-dlt', true)], (w) => warnings.push(w));
    expect(warnings).toEqual([expect.stringContaining('Could not read the configs of "orders"')]);
    expect(admin.createTopics).toHaveBeenCalledWith({
      topics: [{ topic: 'orders-dlt', numPartitions: 2, replicationFactor: 3 }],
      waitForLeaders: true,
    });
  });
});
