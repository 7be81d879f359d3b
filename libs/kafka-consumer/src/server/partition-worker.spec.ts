import { describe, expect, it } from 'vitest';
import { DEFAULT_REDELIVERY } from '../kafka-consumer.options.js';
import { BufferBudget } from './buffer-budget.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';
import { fakeHost, record, sized } from './partition-worker.spec-helpers.js';

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
    expect(worker.enqueue([record(5), record(6)])).toBe('6');
    expect(worker.enqueue([record(5), record(6), record(7)])).toBe('7');
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

  it('manual mode: pauses fetching once maxPendingRecords records wait for ctx.commit(), warns once, resumes after it (M2)', async () => {
    const fake = fakeHost();
    const worker = new PartitionWorker('t', 0, 'manual', fake.host, 100, DEFAULT_REDELIVERY, true, {
      maxPendingRecords: 3,
    });
    worker.enqueue([record(0), record(1)]);
    for (let i = 0; i < 2; i++) await fake.settleNext();
    expect(fake.fetchPaused).toBe(false);
    // Only one more record fits under the cap; the rest of the batch is fetched again later.
    expect(worker.enqueue([record(2), record(3)])).toBe('2');
    expect(fake.fetchPaused).toBe(true);
    await fake.settleNext();
    expect(worker.tracker.pendingCount).toBe(3);
    expect(worker.enqueue([record(3)])).toBeNull();
    expect(fake.fetchPaused).toBe(true);
    expect(fake.limitWarnings).toBe(1);
    worker.acknowledge(2);
    expect(worker.tracker.pendingCount).toBe(0);
    expect(fake.fetchPaused).toBe(false);
  });

  it('manual mode: a dead-lettered or passed-over record counts as acknowledged by itself (M2)', async () => {
    const fake = fakeHost();
    const worker = new PartitionWorker('t', 0, 'manual', fake.host, 100, DEFAULT_REDELIVERY, true);
    worker.enqueue([record(0), record(1)]);
    worker.acknowledge(0);
    await fake.settleNext();
    worker.markSettled(1);
    await fake.settleNext();
    expect(worker.tracker.committableOffset()).toBe(2);
    // Auto mode: settling is the handler's return, nothing to mark early.
    const auto = new PartitionWorker('t', 1, 'auto', fakeHost().host, 100, DEFAULT_REDELIVERY, true);
    auto.enqueue([record(0)]);
    auto.markSettled(0);
    expect(auto.tracker.committableOffset()).toBeNull();
  });

  it("covers a batch's trailing transaction markers once its records are processed", async () => {
    const fake = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', fake.host, 100, DEFAULT_REDELIVERY, true);
    expect(worker.enqueue([record(0), record(1)], '2')).toBe('2');
    await fake.settleNext();
    expect(worker.tracker.committableOffset()).toBe(1);
    await fake.settleNext();
    expect(worker.tracker.committableOffset()).toBe(3);
    // A batch of markers only (kafkajs does not hand it to eachBatch), right after what is held.
    worker.skipFiltered('3', '4');
    expect(worker.tracker.committableOffset()).toBe(5);
    expect(fake.progress.at(-1)).toEqual({ offset: 5, idle: true });
    // Not contiguous with what is held: records in between were never fetched here.
    worker.skipFiltered('7', '8');
    expect(worker.tracker.committableOffset()).toBe(5);
  });

  it('does not cover the markers of a batch it took only in part', () => {
    const budget = new BufferBudget(150);
    const fake = fakeHost();
    const worker = new PartitionWorker('t', 0, 'auto', fake.host, 100, DEFAULT_REDELIVERY, true, { buffer: budget });
    expect(worker.enqueue([sized(0, 100), sized(1, 100)], '2')).toBe('0');
    expect(worker.tracker.highestOffset).toBe(0);
  });
});
