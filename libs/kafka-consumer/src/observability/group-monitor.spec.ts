import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { PROCESSED } from '../retry/record-outcome.js';
import { ConsumerEventBus } from './consumer-event-bus.js';
import { GroupMonitor } from './group-monitor.js';

const partition = { topic: 'orders', partition: 0 };
const message = (offset: string) => ({ offset }) as KafkaMessage;

function setup() {
  let now = 1000;
  const bus = new ConsumerEventBus(() => undefined);
  const onStatus = vi.fn();
  const onCrash = vi.fn(() => ({ action: 'restart' as const, restartInMs: 500 }));
  const monitor = new GroupMonitor({ groupId: 'g', bus, onStatus, onCrash, now: () => now });
  return { bus, monitor, onStatus, onCrash, advance: (ms: number) => (now += ms) };
}

describe('GroupMonitor', () => {
  it('builds no payload for a processed record while nobody listens', () => {
    const { bus, monitor } = setup();
    const emit = vi.spyOn(bus, 'emit');
    monitor.settled(partition, message('1'), PROCESSED, performance.now());
    expect(emit).not.toHaveBeenCalled();
  });

  it('blocks a partition on a record redelivered as exhausted, and unblocks it once a record settles', () => {
    const { bus, monitor, advance } = setup();
    const events: string[] = [];
    bus.on('partition.blocked', (e) => void events.push(`blocked ${e.offset} ${e.reason} since ${e.since}`));
    bus.on('partition.unblocked', (e) => void events.push(`unblocked after ${e.blockedMs}`));
    const failure = { kind: 'redeliver', reason: 'exhausted', error: new Error('x') } as const;
    monitor.settled(partition, message('5'), failure, 0);
    advance(2000);
    monitor.settled(partition, message('5'), failure, 0);
    monitor.redeliveryScheduled(partition, message('5'), 700);
    expect(monitor.snapshot().blocked).toEqual([
      expect.objectContaining({ offset: '5', since: 1000, redeliveries: 1, retryAt: 3700 }),
    ]);
    advance(1000);
    monitor.settled(partition, message('5'), PROCESSED, 0);
    expect(events).toEqual(['blocked 5 exhausted since 1000', 'unblocked after 3000']);
    expect(monitor.snapshot().blocked).toEqual([]);
  });

  it('names a failing dead-letter write, and never blocks on an aborted record', () => {
    const { monitor } = setup();
    monitor.settled(partition, message('1'), { kind: 'redeliver', reason: 'aborted', error: null }, 0);
    expect(monitor.snapshot().blocked).toEqual([]);
    monitor.settled(partition, message('1'), { kind: 'redeliver', reason: 'recovery-failed', error: null }, 0);
    expect(monitor.snapshot().blocked[0].reason).toBe('dead-letter-failed');
  });

  it('emits record.failed and record.dead-lettered for a dead-lettered record', () => {
    const { bus, monitor } = setup();
    const seen: unknown[] = [];
    bus.on('record.failed', (e) => void seen.push(e.outcome));
    bus.on('record.dead-lettered', (e) => void seen.push(e.deadLetterTopic));
    monitor.settled(partition, message('1'), { kind: 'dead-lettered', topic: 'orders-dlt', error: null }, 0);
    expect(seen).toEqual(['dead-lettered', 'orders-dlt']);
  });

  it('reports a group-wide block while commits fail, but not for a rebalance', () => {
    const { monitor } = setup();
    monitor.commitFailed(Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' }), 1);
    expect(monitor.snapshot().blocked).toEqual([]);
    monitor.commitFailed(new Error('ECONNREFUSED'), 1);
    expect(monitor.snapshot().blocked).toEqual([
      expect.objectContaining({ topic: '*', partition: -1, reason: 'offset-store-unavailable' }),
    ]);
    monitor.committed(1, 1);
    expect(monitor.snapshot().blocked).toEqual([]);
  });

  it('moves through statuses and asks the crash policy on a crash', () => {
    const { bus, monitor, onStatus, onCrash } = setup();
    const crashed: unknown[] = [];
    bus.on('crashed', (e) => void crashed.push(e));
    expect(monitor.status).toBe('connecting');
    monitor.joined(1, [partition], []);
    monitor.rebalancing();
    monitor.crashed(new Error('boom'), false, ['orders:0']);
    expect(onCrash).toHaveBeenCalledWith('g', expect.any(Error), false);
    expect(crashed).toEqual([expect.objectContaining({ groupId: 'g', action: 'restart', restartInMs: 500 })]);
    expect(monitor.snapshot()).toMatchObject({ status: 'crashed', crashError: expect.any(Error) });
    monitor.disconnected();
    expect(onStatus).toHaveBeenCalledTimes(4);
  });

  it('computes lag from the fetched high watermark and the committed (else next) offset', () => {
    const { monitor } = setup();
    monitor.readPositionsFrom(() => [
      { topic: 'orders', partition: 0, committed: 7, next: 9, inFlight: 2 },
      { topic: 'orders', partition: 1, committed: null, next: 3, inFlight: 0 },
      { topic: 'orders', partition: 2, committed: null, next: null, inFlight: 0 },
    ]);
    monitor.fetched('orders', 0, '10');
    monitor.fetched('orders', 1, '3');
    expect(monitor.snapshot().partitions.map((p) => p.lag)).toEqual([3, 0, null]);
  });

  it('starts disconnected when the group does not start with the app, and connects when started', () => {
    const bus = new ConsumerEventBus(() => undefined);
    const onCrash = () => ({ action: 'restart' as const });
    const monitor = new GroupMonitor({
      groupId: 'g',
      bus,
      onStatus: () => undefined,
      onCrash,
      initialStatus: 'disconnected',
    });
    expect(monitor.status).toBe('disconnected');
    monitor.starting();
    expect(monitor.status).toBe('connecting');
  });
});
