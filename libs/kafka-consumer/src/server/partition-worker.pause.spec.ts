import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDELIVERY } from '../kafka-consumer.options.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';

const record = (offset: number) =>
  ({ offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0 }) as unknown as KafkaMessage;

function worker(maxQueued = 100) {
  const dispatched: string[] = [];
  const pauses: boolean[] = [];
  const host: PartitionWorkerHost = {
    dispatch: async (_worker, message) => {
      dispatched.push(message.offset);
      return true;
    },
    onRedelivery: () => undefined,
    setFetchPaused: (_worker, paused) => pauses.push(paused),
    dueAt: () => 0,
    onProgress: () => undefined,
  };
  const w = new PartitionWorker('t', 0, 'auto', host, maxQueued, DEFAULT_REDELIVERY, true);
  return { w, dispatched, fetchPaused: () => pauses.at(-1) ?? false };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('PartitionWorker pause sources', () => {
  it('dispatches nothing while the registry pauses it, and everything queued after resume', async () => {
    const { w, dispatched, fetchPaused } = worker();
    w.pause('registry');
    w.enqueue([record(0), record(1)]);
    await settle();
    expect(dispatched).toEqual([]);
    expect(fetchPaused()).toBe(true);
    w.resume('registry');
    await settle();
    expect(dispatched).toEqual(['0', '1']);
    expect(fetchPaused()).toBe(false);
  });

  it('stays paused until both the handler (ctx.pause) and the registry resumed it', async () => {
    const { w, dispatched, fetchPaused } = worker();
    w.pause('registry');
    w.pause('context');
    w.enqueue([record(0)]);
    w.resume('context');
    await settle();
    expect(dispatched).toEqual([]);
    expect(fetchPaused()).toBe(true);
    w.resume('registry');
    await settle();
    expect(dispatched).toEqual(['0']);
  });

  it("a registry resume does not lift the handler's own pause", async () => {
    const { w, dispatched } = worker();
    w.pause('context');
    w.resume('registry');
    w.enqueue([record(0)]);
    await settle();
    expect(dispatched).toEqual([]);
  });

  it('keeps fetching paused for a full queue when the registry resumes', () => {
    const { w, fetchPaused } = worker(2);
    w.pause('registry');
    w.enqueue([record(0), record(1), record(2)]);
    expect(fetchPaused()).toBe(true);
    w.resume('registry');
    // The queue drains asynchronously: right now it is still full, so the backpressure pause holds.
    expect(w.queued).toBe(3);
    expect(fetchPaused()).toBe(true);
  });
});
