import type { Admin } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { TopicTopologyError } from '../errors/topic-topology.error.js';
import type { ResolvedDeadLetter } from '../kafka-consumer.options.js';
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
        options: { deadLetter: deadLetter(), retryTopics: { delaysMs: [1000], createTopics: true } },
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

function fakeAdmin(partitions: Record<string, number>) {
  const admin = {
    listTopics: vi.fn(async () => Object.keys(partitions)),
    fetchTopicMetadata: vi.fn(async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: Array.from({ length: partitions[name] }, () => ({})) })),
    })),
    createTopics: vi.fn(async () => true),
  };
  return admin as typeof admin & Admin;
}

const requirement = (topic: string, create = false, kind: 'dead-letter' | 'retry' = 'dead-letter') =>
  ({ topic, kind, sourceTopic: 'orders', create, handler: 'A.bill' }) satisfies FailureTopicRequirement;

describe('ensureFailureTopics', () => {
  it('accepts existing topics with enough partitions and returns their counts', async () => {
    const admin = fakeAdmin({ orders: 3, 'orders-dlt': 6 });
    expect(await ensureFailureTopics(admin, [requirement('orders-dlt')])).toEqual(new Map([['orders-dlt', 6]]));
    expect(admin.createTopics).not.toHaveBeenCalled();
  });

  it('reports every missing or too small topic in one error', async () => {
    const admin = fakeAdmin({ orders: 3, 'orders-dlt': 1 });
    const error = await ensureFailureTopics(admin, [
      requirement('orders-dlt'),
      requirement('orders-retry-500', false, 'retry'),
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicTopologyError);
    expect((error as Error).message).toContain('"orders-dlt" has 1 partition(s), fewer than the 3 of "orders"');
    expect((error as Error).message).toContain('Retry topic "orders-retry-500" of "orders" (A.bill) does not exist');
    expect(admin.createTopics).not.toHaveBeenCalled();
  });

  it('creates missing topics with the source partition count when allowed', async () => {
    const admin = fakeAdmin({ orders: 4 });
    const counts = await ensureFailureTopics(admin, [requirement('orders-dlt', true)]);
    expect(admin.createTopics).toHaveBeenCalledWith({
      topics: [{ topic: 'orders-dlt', numPartitions: 4 }],
      waitForLeaders: true,
    });
    expect(counts.get('orders-dlt')).toBe(4);
  });
});
