import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_REDELIVERY } from '../kafka-consumer.options.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';

const record = (offset: number) =>
  ({ offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0 }) as unknown as KafkaMessage;
const records = (from: number, count: number) => Array.from({ length: count }, (_, i) => record(from + i));

/** Lets the worker's promise chains run (no timers: works with fake timers too). */
const flush = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

/** A host whose batch dispatches wait until the test settles them with a count. */
function batchHost() {
  const batches: string[][] = [];
  const pending: Array<(settled: number) => void> = [];
  const host: PartitionWorkerHost = {
    dispatch: () => Promise.reject(new Error('a batch handler dispatches batches only')),
    dispatchBatch: (_worker, messages) => {
      batches.push(messages.map((m) => m.offset));
      return new Promise<number>((resolve) => pending.push(resolve));
    },
    onRedelivery: () => undefined,
    setFetchPaused: () => undefined,
    dueAt: () => 0,
    onProgress: () => undefined,
  };
  const settle = async (count: number) => {
    await flush();
    pending.shift()?.(count);
    await flush();
  };
  return { host, batches, settle };
}

const worker = (host: PartitionWorkerHost, maxSize: number, maxWaitMs = 0) =>
  new PartitionWorker('t', 0, 'auto', host, 1000, { ...DEFAULT_REDELIVERY, delayMs: 10 }, true, {
    batch: { maxSize, maxWaitMs },
  });

describe('PartitionWorker with a batch handler', () => {
  afterEach(() => vi.useRealTimers());

  it('dispatches what is queued in batches of at most maxSize, in order, and commits each', async () => {
    const { host, batches, settle } = batchHost();
    const w = worker(host, 3);
    w.enqueue(records(0, 7));
    await flush();
    expect(batches).toEqual([['0', '1', '2']]);
    await settle(3);
    expect(w.tracker.committableOffset()).toBe(3);
    expect(batches[1]).toEqual(['3', '4', '5']);
    await settle(3);
    expect(batches[2]).toEqual(['6']);
    await settle(1);
    expect(w.tracker.committableOffset()).toBe(7);
    expect(w.queued).toBe(0);
  });

  it('keeps an unsettled record first: the next batch starts with it after the redelivery wait', async () => {
    const { host, batches, settle } = batchHost();
    const w = worker(host, 4);
    w.enqueue(records(0, 6));
    await settle(2); // records 0 and 1 settled, 2 failed
    expect(w.tracker.committableOffset()).toBe(2);
    await vi.waitFor(() => expect(batches[1]).toEqual(['2', '3', '4', '5']));
    await settle(4);
    expect(w.tracker.committableOffset()).toBe(6);
  });

  it('waits up to maxWaitMs for maxSize records, and goes as soon as maxSize are queued', async () => {
    vi.useFakeTimers();
    const { host, batches, settle } = batchHost();
    const w = worker(host, 4, 1000);
    w.enqueue(records(0, 2));
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([]);
    w.enqueue(records(2, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['0', '1', '2', '3']]);
    await settle(4);
    w.enqueue(records(4, 1));
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches[1]).toEqual(['4']);
  });

  it('stop cuts the wait for more records short and dispatches nothing more', async () => {
    vi.useFakeTimers();
    const { host, batches } = batchHost();
    const w = worker(host, 4, 60_000);
    w.enqueue(records(0, 1));
    w.stop();
    await vi.advanceTimersByTimeAsync(0);
    await w.idle();
    expect(batches).toEqual([]);
  });
});
