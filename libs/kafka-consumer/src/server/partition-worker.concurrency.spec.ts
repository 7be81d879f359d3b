import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BufferBudget } from './buffer-budget.js';
import { InFlightLimit } from './in-flight-limit.js';
import type { ConcurrencyMode } from './key-scheduler.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';

const REDELIVERY = { type: 'fixed', delayMs: 5, multiplier: 1, maxDelayMs: 5, jitter: 0 } as const;

const record = (offset: number, key: string | null) =>
  ({
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from('v'),
    timestamp: '0',
    attributes: 0,
  }) as unknown as KafkaMessage;

/** A host whose dispatches wait until the test settles or fails them by offset. */
function fakeHost() {
  const running = new Map<string, (settled: boolean) => void>();
  const started: string[] = [];
  const redelivered: string[] = [];
  const host: PartitionWorkerHost = {
    dispatch: (_worker, message) => {
      started.push(message.offset);
      return new Promise<boolean>((resolve) => running.set(message.offset, resolve));
    },
    onRedelivery: (_worker, message) => redelivered.push(message.offset),
    setFetchPaused: () => undefined,
    dueAt: () => 0,
    onProgress: () => undefined,
  };
  const end = async (offset: number, settled = true) => {
    const resolve = running.get(String(offset));
    if (!resolve) throw new Error(`offset ${offset} is not running (running: ${[...running.keys()].join(',')})`);
    running.delete(String(offset));
    resolve(settled);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { host, started, running, redelivered, end };
}

function worker(
  mode: ConcurrencyMode,
  fake: ReturnType<typeof fakeHost>,
  limit = new InFlightLimit(100),
  commit: 'auto' | 'manual' = 'auto',
) {
  return new PartitionWorker('t', 0, commit, fake.host, 1000, REDELIVERY, true, {
    buffer: new BufferBudget(1_000_000),
    concurrency: { mode, limit },
  });
}

describe('PartitionWorker with concurrency', () => {
  it('key mode: runs different keys at once, each key in order; commits only the contiguous finished prefix', async () => {
    const fake = fakeHost();
    const w = worker('key', fake);
    w.enqueue([record(0, 'a'), record(1, 'b'), record(2, 'a'), record(3, 'c')]);
    expect(fake.started).toEqual(['0', '1', '3']);
    expect(w.inFlight).toBe(3);
    await fake.end(3);
    await fake.end(1);
    // 0 still runs: nothing past it is committable.
    expect(w.tracker.committableOffset()).toBeNull();
    await fake.end(0);
    expect(fake.started).toEqual(['0', '1', '3', '2']);
    expect(w.tracker.committableOffset()).toBe(2);
    await fake.end(2);
    expect(w.tracker.committableOffset()).toBe(4);
    expect(w.queued).toBe(0);
    expect(w.busy).toBe(false);
  });

  it('bounds the records running at once across partitions with the shared limit', async () => {
    const fake = fakeHost();
    const limit = new InFlightLimit(2);
    const p0 = worker('unordered', fake, limit);
    const p1 = new PartitionWorker('t', 1, 'auto', fake.host, 1000, REDELIVERY, true, {
      concurrency: { mode: 'unordered', limit },
    });
    p0.enqueue([record(0, null), record(1, null)]);
    p1.enqueue([record(10, null)]);
    expect(fake.started).toEqual(['0', '1']);
    expect(limit.inFlight).toBe(2);
    await fake.end(1);
    expect(fake.started).toEqual(['0', '1', '10']);
    expect(limit.inFlight).toBe(2);
  });

  it('key mode: a failing record holds back only later records of its key, and runs again first', async () => {
    const fake = fakeHost();
    const w = worker('key', fake);
    w.enqueue([record(0, 'a'), record(1, 'b'), record(2, 'a'), record(3, 'b')]);
    await fake.end(0, false);
    expect(fake.redelivered).toEqual(['0']);
    await fake.end(1);
    expect(fake.started).toEqual(['0', '1', '3']);
    await fake.end(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.started).toEqual(['0', '1', '3', '0']);
    expect(w.tracker.committableOffset()).toBeNull();
    await fake.end(0);
    expect(fake.started.at(-1)).toBe('2');
    expect(w.tracker.committableOffset()).toBe(2);
  });

  it('records without a key run one at a time in offset order (one key)', async () => {
    const fake = fakeHost();
    const w = worker('key', fake);
    w.enqueue([record(0, null), record(1, null), record(2, 'x')]);
    expect(fake.started).toEqual(['0', '2']);
    await fake.end(0);
    expect(fake.started).toEqual(['0', '2', '1']);
  });

  it('shutdown: nothing new starts, running records finish and count for the final commit', async () => {
    const fake = fakeHost();
    const w = worker('unordered', fake, new InFlightLimit(2));
    w.enqueue([record(0, null), record(1, null), record(2, null)]);
    w.stop();
    expect(w.busy).toBe(true);
    const idle = w.idle();
    await fake.end(1);
    await fake.end(0);
    await idle;
    expect(fake.started).toEqual(['0', '1']);
    expect(w.tracker.committableOffset()).toBe(2);
    expect(w.queuedBytes).toBe(0);
  });

  it('revoke: running records finish, but a revoked partition commits nothing of them', async () => {
    const fake = fakeHost();
    const w = worker('key', fake);
    w.enqueue([record(0, 'a'), record(1, 'b')]);
    w.revoke();
    await fake.end(0);
    await fake.end(1);
    await w.idle();
    expect(w.tracker.committableOffset()).toBeNull();
  });

  it('manual commit: ctx.commit() covers every record at or below it once each has finished', async () => {
    const fake = fakeHost();
    const w = worker('unordered', fake, new InFlightLimit(10), 'manual');
    w.enqueue([record(0, null), record(1, null), record(2, null)]);
    await fake.end(1);
    w.acknowledge(1);
    // 0 still runs: the commit waits for it.
    expect(w.tracker.committableOffset()).toBeNull();
    await fake.end(0);
    expect(w.tracker.committableOffset()).toBe(2);
    await fake.end(2);
    expect(w.tracker.committableOffset()).toBe(2);
  });
});
