import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDELIVERY } from '../kafka-consumer.options.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';

const record = (offset: number) =>
  ({ offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0 }) as unknown as KafkaMessage;

/** A host whose dispatches wait until the test releases them, recording everything. */
function fakeHost() {
  const dispatched: string[] = [];
  const progress: Array<{ offset: number | null; idle: boolean }> = [];
  const pending: Array<() => void> = [];
  const host: PartitionWorkerHost = {
    dispatch: (_worker, message) => {
      dispatched.push(message.offset);
      return new Promise<boolean>((resolve) => pending.push(() => resolve(true)));
    },
    onRedelivery: () => undefined,
    setFetchPaused: () => undefined,
    dueAt: () => 0,
    onProgress: (worker, idle) => progress.push({ offset: worker.tracker.committableOffset(), idle }),
  };
  const settleNext = async () => {
    pending.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { host, dispatched, progress, settleNext };
}

describe('PartitionWorker', () => {
  it('processes records in offset order, one at a time', async () => {
    const { host, dispatched, settleNext } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1), record(2)]);
    expect(dispatched).toEqual(['0']);
    await settleNext();
    expect(dispatched).toEqual(['0', '1']);
    await settleNext();
    await settleNext();
    expect(dispatched).toEqual(['0', '1', '2']);
    expect(worker.tracker.committableOffset()).toBe(3);
  });

  it('skips records at or below an offset it already holds (a re-fetch after a rebalance)', () => {
    const { host, dispatched } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    expect(worker.enqueue([record(5), record(6)])).toBe(2);
    expect(worker.enqueue([record(5), record(6), record(7)])).toBe(1);
    expect(dispatched).toEqual(['5']);
    expect(worker.queued).toBe(3);
  });

  it('marks the end of each fetched batch as a commit point, not only an empty queue', async () => {
    const { host, progress, settleNext } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1)]);
    worker.enqueue([record(2), record(3)]);
    for (let i = 0; i < 4; i++) await settleNext();
    expect(progress).toEqual([
      { offset: 1, idle: false },
      { offset: 2, idle: true },
      { offset: 3, idle: false },
      { offset: 4, idle: true },
    ]);
  });

  it('dispatches nothing new while held for a rebalance; the running record finishes', async () => {
    const { host, dispatched, settleNext } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1), record(2)]);
    worker.hold();
    await settleNext();
    expect(dispatched).toEqual(['0']);
    expect(worker.busy).toBe(false);
    expect(worker.tracker.committableOffset()).toBe(1);
    worker.release();
    expect(dispatched).toEqual(['0', '1']);
  });

  it('drops queued records when revoked, and does not count the running one', async () => {
    const { host, dispatched, settleNext } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1)]);
    worker.revoke();
    expect(worker.signal.aborted).toBe(true);
    await settleNext();
    expect(dispatched).toEqual(['0']);
    expect(worker.tracker.committableOffset()).toBeNull();
  });

  it('commits the running record at shutdown', async () => {
    const { host, settleNext } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1)]);
    worker.stop();
    await settleNext();
    await worker.idle();
    expect(worker.tracker.committableOffset()).toBe(1);
  });

  it('survives a failure outside the handler (the host throws) and tries the record again', async () => {
    let calls = 0;
    const host: PartitionWorkerHost = {
      dispatch: async () => {
        calls++;
        if (calls === 1) throw new Error('logger exploded');
        return true;
      },
      onRedelivery: () => undefined,
      setFetchPaused: () => undefined,
      dueAt: () => 0,
      onProgress: () => undefined,
    };
    const worker = new PartitionWorker(
      't',
      0,
      'auto',
      host,
      100,
      { ...DEFAULT_REDELIVERY, delayMs: 1, maxDelayMs: 5 },
      true,
    );
    worker.enqueue([record(0)]);
    const deadline = Date.now() + 2000;
    while (worker.tracker.committableOffset() !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(calls).toBe(2);
    expect(worker.tracker.committableOffset()).toBe(1);
    expect(String(worker.lastError)).toContain('logger exploded');
  });
});
