import type { Consumer } from 'kafkajs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { KafkajsConsumerAdapter, type GroupEventHandlers } from './kafkajs-consumer.adapter.js';

const events = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  CRASH: 'consumer.crash',
  HEARTBEAT: 'consumer.heartbeat',
  REQUEST: 'consumer.network.request',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
} as const;

/** A kafkajs consumer stand-in whose events the test fires, as Nest's server-kafka.spec.ts does. */
function fakeConsumer() {
  const listeners = new Map<string, Set<(event: { payload: unknown }) => void>>();
  const consumer = {
    events,
    on: vi.fn((name: string, listener: (event: { payload: unknown }) => void) => {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name)!.add(listener);
      return () => listeners.get(name)!.delete(listener);
    }),
    connect: vi.fn(async () => undefined),
    subscribe: vi.fn(async () => undefined),
    run: vi.fn(async () => undefined),
    disconnect: vi.fn(async () => undefined),
    pause: vi.fn(),
    resume: vi.fn(),
    seek: vi.fn(),
  };
  const fire = (name: string, payload: unknown) => {
    for (const listener of listeners.get(name) ?? []) listener({ payload });
  };
  const count = () => [...listeners.values()].reduce((n, set) => n + set.size, 0);
  return { consumer, fire, count };
}

function notRunning(): never {
  throw new Error('Consumer group was not initialized, consumer#run must be called first');
}

describe('KafkajsConsumerAdapter', () => {
  let fake: ReturnType<typeof fakeConsumer>;
  let log: {
    error: ReturnType<typeof vi.fn<(message: string) => void>>;
    debug: ReturnType<typeof vi.fn<(message: string) => void>>;
  };
  let handlers: {
    onJoin: ReturnType<typeof vi.fn<GroupEventHandlers['onJoin']>>;
    onRebalancing: ReturnType<typeof vi.fn<GroupEventHandlers['onRebalancing']>>;
    onCrash: ReturnType<typeof vi.fn<GroupEventHandlers['onCrash']>>;
    onHeartbeat: ReturnType<typeof vi.fn<GroupEventHandlers['onHeartbeat']>>;
    onFilteredBatch: ReturnType<typeof vi.fn<NonNullable<GroupEventHandlers['onFilteredBatch']>>>;
  };
  let adapter: KafkajsConsumerAdapter;

  beforeEach(() => {
    fake = fakeConsumer();
    log = { error: vi.fn<(message: string) => void>(), debug: vi.fn<(message: string) => void>() };
    handlers = {
      onJoin: vi.fn<GroupEventHandlers['onJoin']>(),
      onRebalancing: vi.fn<GroupEventHandlers['onRebalancing']>(),
      onCrash: vi.fn<GroupEventHandlers['onCrash']>(),
      onHeartbeat: vi.fn<GroupEventHandlers['onHeartbeat']>(),
      onFilteredBatch: vi.fn<NonNullable<GroupEventHandlers['onFilteredBatch']>>(),
    };
    adapter = new KafkajsConsumerAdapter(fake.consumer as unknown as Consumer, 'g', log);
    adapter.listen(handlers);
  });

  it('translates join, rebalance and crash events into calls', () => {
    fake.fire(events.GROUP_JOIN, { memberId: 'm-1', memberAssignment: { t: [0, 2] } });
    fake.fire(events.REBALANCING, { groupId: 'g', memberId: 'm-1' });
    const error = new Error('boom');
    fake.fire(events.CRASH, { error, groupId: 'g', restart: false });
    expect(handlers.onJoin).toHaveBeenCalledWith('m-1', { t: [0, 2] });
    expect(handlers.onRebalancing).toHaveBeenCalledTimes(1);
    expect(handlers.onCrash).toHaveBeenCalledWith(error, false);
  });

  it('reports a heartbeat with the time its request was sent, not when it was answered', () => {
    fake.fire(events.REQUEST, { apiName: 'Fetch', sentAt: 5 });
    fake.fire(events.REQUEST, { apiName: 'Heartbeat', sentAt: 1234 });
    fake.fire(events.HEARTBEAT, { groupId: 'g', memberId: 'm-1', groupGenerationId: 3 });
    expect(handlers.onHeartbeat).toHaveBeenCalledWith(1234);
    // Without a request seen, the heartbeat counts from now.
    const before = Date.now();
    fake.fire(events.HEARTBEAT, { groupId: 'g', memberId: 'm-1', groupGenerationId: 3 });
    expect(handlers.onHeartbeat.mock.calls[1][0]).toBeGreaterThanOrEqual(before);
  });

  it('never lets a handler error escape into kafkajs: it is logged', () => {
    handlers.onJoin.mockImplementation(() => {
      throw new Error('handler bug');
    });
    expect(() => fake.fire(events.GROUP_JOIN, { memberId: 'm', memberAssignment: {} })).not.toThrow();
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('handler bug'));
  });

  it('pauses and resumes grouped by topic, and seeks one partition', () => {
    adapter.pause([
      { topic: 'a', partition: 0 },
      { topic: 'b', partition: 1 },
      { topic: 'a', partition: 2 },
    ]);
    expect(fake.consumer.pause).toHaveBeenCalledWith([
      { topic: 'a', partitions: [0, 2] },
      { topic: 'b', partitions: [1] },
    ]);
    adapter.resume([{ topic: 'a', partition: 0 }]);
    expect(fake.consumer.resume).toHaveBeenCalledWith([{ topic: 'a', partitions: [0] }]);
    adapter.seek('a', 3, '42');
    expect(fake.consumer.seek).toHaveBeenCalledWith({ topic: 'a', partition: 3, offset: '42' });
    adapter.pause([]);
    expect(fake.consumer.pause).toHaveBeenCalledTimes(1);
  });

  it('S1: a seek, pause or resume kafkajs rejects (not running, e.g. crashed) is logged, never thrown', () => {
    fake.consumer.seek.mockImplementation(notRunning);
    fake.consumer.pause.mockImplementation(notRunning);
    fake.consumer.resume.mockImplementation(notRunning);
    expect(() => adapter.seek('a', 0, '1')).not.toThrow();
    expect(() => adapter.pause([{ topic: 'a', partition: 0 }])).not.toThrow();
    expect(() => adapter.resume([{ topic: 'a', partition: 0 }])).not.toThrow();
    expect(log.debug).toHaveBeenCalledTimes(3);
    expect(log.debug.mock.calls[0][0]).toContain('seek failed');
  });

  it('starts with our commits only, subscribing each topic with its own fromBeginning', async () => {
    const eachBatch = vi.fn(async () => undefined);
    await adapter.start(
      [
        { topic: 'a', fromBeginning: true },
        { topic: 'b', fromBeginning: false },
      ],
      eachBatch,
    );
    expect(fake.consumer.connect).toHaveBeenCalledTimes(1);
    expect(fake.consumer.subscribe.mock.calls).toEqual([
      [{ topics: ['a'], fromBeginning: true }],
      [{ topics: ['b'], fromBeginning: false }],
    ]);
    expect(fake.consumer.run).toHaveBeenCalledWith(
      expect.objectContaining({ autoCommit: false, eachBatchAutoResolve: false, eachBatch }),
    );
  });

  it('reports a fetched batch with nothing to process (only transaction markers), not other batches', () => {
    const batch = { topic: 't', partition: 1, firstOffset: '10', lastOffset: '11' };
    fake.fire(events.START_BATCH_PROCESS, { ...batch, batchSize: 2 });
    fake.fire(events.START_BATCH_PROCESS, { ...batch, batchSize: 0, firstOffset: null });
    expect(handlers.onFilteredBatch).not.toHaveBeenCalled();
    fake.fire(events.START_BATCH_PROCESS, { ...batch, batchSize: 0 });
    expect(handlers.onFilteredBatch).toHaveBeenCalledWith('t', 1, '10', '11');
  });

  it('unlisten removes every listener it added', () => {
    expect(fake.count()).toBe(6);
    adapter.unlisten();
    expect(fake.count()).toBe(0);
    fake.fire(events.GROUP_JOIN, { memberId: 'm', memberAssignment: {} });
    expect(handlers.onJoin).not.toHaveBeenCalled();
  });
});
