import { describe, expect, it } from 'vitest';
import { evaluateHealth, type GroupHealthSnapshot } from './consumer-health.js';

const thresholds = { maxUnavailableMs: 30_000, maxBlockedMs: 60_000 };
const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const group = (over: Partial<GroupHealthSnapshot> = {}): GroupHealthSnapshot => ({
  groupId: 'orders',
  status: 'connected',
  since: now - 1000,
  partitions: [{ topic: 'orders', partition: 0, lag: 3 }],
  blocked: [],
  ...over,
});
const blocked = (sinceMsAgo: number, reason: 'exhausted' | 'waiting-for-due-time' = 'exhausted') => ({
  groupId: 'orders',
  topic: 'orders',
  partition: 0,
  offset: '42',
  reason,
  since: now - sinceMsAgo,
  redeliveries: 7,
  error: new Error('boom'),
});

describe('evaluateHealth', () => {
  it('is up for a connected group, with its partitions and lag', () => {
    const health = evaluateHealth([group()], thresholds, now);
    expect(health.healthy).toBe(true);
    expect(health.problems).toEqual([]);
    expect(health.groups.orders).toMatchObject({ status: 'connected', partitions: [{ partition: 0, lag: 3 }] });
  });

  it('is down for a partition blocked longer than maxBlockedMs, naming partition, offset, reason and since', () => {
    const health = evaluateHealth([group({ blocked: [blocked(61_000)] })], thresholds, now);
    expect(health.healthy).toBe(false);
    expect(health.problems).toEqual([
      'group "orders": orders[0] blocked at offset 42 since 2026-01-01T11:58:59.000Z (exhausted: Error: boom)',
    ]);
    expect(health.groups.orders.blocked[0]).toMatchObject({ offset: '42', blockedForMs: 61_000, redeliveries: 7 });
  });

  it('stays up while a block is younger than maxBlockedMs, and for a retry-topic record waiting to be due', () => {
    const health = evaluateHealth(
      [group({ blocked: [blocked(59_000), { ...blocked(3_600_000, 'waiting-for-due-time'), partition: 1 }] })],
      thresholds,
      now,
    );
    expect(health.healthy).toBe(true);
    expect(health.groups.orders.blocked).toHaveLength(2);
  });

  it('is down for a group crashed longer than maxUnavailableMs, with the error', () => {
    const crashed = group({ status: 'crashed', since: now - 30_000, crashError: new Error('gone') });
    const health = evaluateHealth([crashed], thresholds, now);
    expect(health.healthy).toBe(false);
    expect(health.problems).toEqual(['group "orders" crashed 30 s ago: Error: gone']);
    expect(health.groups.orders.error).toBe('Error: gone');
    expect(evaluateHealth([{ ...crashed, since: now - 1000 }], thresholds, now).healthy).toBe(true);
  });

  it('is down for a group connecting or rebalancing longer than maxUnavailableMs', () => {
    expect(evaluateHealth([group({ status: 'connecting', since: now - 31_000 })], thresholds, now).problems).toEqual([
      'group "orders" has been connecting for 31 s',
    ]);
    expect(evaluateHealth([group({ status: 'rebalancing', since: now - 5000 })], thresholds, now).healthy).toBe(true);
  });
});
