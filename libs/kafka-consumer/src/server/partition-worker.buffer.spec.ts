import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDELIVERY } from '../kafka-consumer.options.js';
import { BufferBudget } from './buffer-budget.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';
import { fakeHost, record, sized } from './partition-worker.spec-helpers.js';

describe('PartitionWorker', () => {
  it('releases a processed record at once, so an idle partition pins no fetched data (M1)', async () => {
    const { host, settleNext } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1), record(2)]);
    await settleNext();
    expect(worker.retained).toBe(2);
    await settleNext();
    await settleNext();
    expect(worker.tracker.committableOffset()).toBe(3);
    expect(worker.retained).toBe(0);
  });

  it('takes a whole fetched batch below maxQueued, then pauses fetching until the queue is at most half full', async () => {
    const fake = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', fake.host, 2, DEFAULT_REDELIVERY, true);
    // Cutting the batch at the bound would make kafkajs fetch and decode its tail again.
    expect(worker.enqueue([record(0), record(1), record(2), record(3)])).toBe('3');
    expect(worker.queued).toBe(4);
    expect(fake.fetchPaused).toBe(true);
    // A batch that raced the pause is not taken: it is fetched again later.
    expect(worker.enqueue([record(4)])).toBeNull();
    expect(worker.tracker.highestOffset).toBe(3);
    await fake.settleNext();
    await fake.settleNext();
    expect(worker.queued).toBe(2);
    expect(fake.fetchPaused).toBe(true);
    await fake.settleNext();
    expect(worker.queued).toBe(1);
    expect(fake.fetchPaused).toBe(false);
    expect(worker.enqueue([record(4), record(5)])).toBe('5');
  });

  it("takes room in the group's buffer per record and pauses when it does not fit, until half of it is free", async () => {
    const budget = new BufferBudget(300);
    const a = fakeHost();
    const b = fakeHost();
    const first = new PartitionWorker('t', 0, 'auto', a.host, 100, DEFAULT_REDELIVERY, true, { buffer: budget });
    const second = new PartitionWorker('t', 1, 'auto', b.host, 100, DEFAULT_REDELIVERY, true, { buffer: budget });
    expect(first.enqueue([sized(0, 100), sized(1, 100)])).toBe('1');
    expect(second.enqueue([sized(0, 100), sized(1, 100)])).toBe('0');
    expect(budget.bytes).toBe(300);
    expect(budget.records).toBe(3);
    expect(first.queuedBytes).toBe(200);
    expect(b.fetchPaused).toBe(true);
    expect(a.fetchPaused).toBe(false);
    // 200 bytes are still buffered after the first record: more than half of 300.
    await a.settleNext();
    expect(budget.bytes).toBe(200);
    expect(b.fetchPaused).toBe(true);
    await a.settleNext();
    expect(budget.bytes).toBe(100);
    expect(b.fetchPaused).toBe(false);
    expect(budget.peakBytes).toBe(300);
  });

  it('takes a record larger than the whole buffer when nothing else is buffered, so it cannot block', () => {
    const budget = new BufferBudget(10);
    const { host } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true, { buffer: budget });
    expect(worker.enqueue([sized(0, 50), sized(1, 1)])).toBe('0');
    expect(budget.bytes).toBe(50);
  });

  it('gives back the buffer room of the queue when revoked', () => {
    const budget = new BufferBudget(1000);
    const { host } = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true, { buffer: budget });
    worker.enqueue([sized(0, 100), sized(1, 100), sized(2, 100)]);
    worker.revoke();
    expect(budget.bytes).toBe(0);
    expect(budget.records).toBe(0);
    expect(worker.retained).toBe(0);
  });

  it('queues copies that share no memory with the fetched records', () => {
    const dispatched: KafkaMessage[] = [];
    const host: PartitionWorkerHost = {
      dispatch: async (_worker, message) => {
        dispatched.push(message);
        return new Promise<boolean>(() => undefined);
      },
      onRedelivery: () => undefined,
      setFetchPaused: () => undefined,
      dueAt: () => 0,
      onProgress: () => undefined,
    };
    // Not from Node's shared pool, as a fetch response is not.
    const response = Buffer.alloc(17);
    response.write('key1value1header1');
    const fetched = {
      ...record(0),
      key: response.subarray(0, 4),
      value: response.subarray(4, 10),
      headers: { h: response.subarray(10), list: [response.subarray(10, 12), null] },
    } as unknown as KafkaMessage;
    const worker = new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([fetched]);
    const queued = dispatched[0];
    expect(queued.value!.toString()).toBe('value1');
    expect(queued.key!.toString()).toBe('key1');
    expect(String(queued.headers!.h)).toBe('header1');
    expect((queued.headers!.list as Array<Buffer | null>)[1]).toBeNull();
    for (const copy of [queued.key!, queued.value!, queued.headers!.h as Buffer]) {
      expect(copy.buffer).not.toBe(response.buffer);
    }
  });
});
