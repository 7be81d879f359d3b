import type { LoggerService } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { OffsetStore, type ClaimedPartition, type TopicPartition } from '../offset-stores/offset-store.js';
import { DEFAULT_REDELIVERY } from '../kafka-consumer.options.js';
import { PartitionLifecycle } from './partition-lifecycle.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';
import { StoredOffsetLoader } from './stored-offset.loader.js';

const host: PartitionWorkerHost = {
  dispatch: async () => true,
  onRedelivery: () => undefined,
  setFetchPaused: () => undefined,
  dueAt: () => 0,
  onProgress: () => undefined,
  onPendingLimit: () => undefined,
};

/** A store whose `load` answers are released by the test, one call at a time. */
class ScriptedStore extends OffsetStore {
  readonly calls: Array<{ resolve: (claims: ClaimedPartition[]) => void; reject: (error: Error) => void }> = [];

  /** Once set, every pending and later `load` answers this at once. */
  private answer: ClaimedPartition[] | undefined;

  load(_scope: unknown, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    void partitions;
    if (this.answer) return Promise.resolve(this.answer);
    return new Promise((resolve, reject) => this.calls.push({ resolve, reject }));
  }

  answerAll(claims: ClaimedPartition[]): void {
    this.answer = claims;
    for (const call of this.calls) call.resolve(claims);
  }

  readonly saved: Array<readonly { topic: string; partition: number; offset: string; epoch?: number }[]> = [];
  /** Set: every save hangs (a black-holed store). */
  hangSaves = false;

  async save(
    _scope: unknown,
    offsets: readonly { topic: string; partition: number; offset: string; epoch?: number }[],
  ) {
    this.saved.push(offsets);
    if (this.hangSaves) await new Promise(() => undefined);
  }
}

function setup(loadTimeoutMs = 60_000, resolveStart?: (topic: string, partition: number) => Promise<string>) {
  const store = new ScriptedStore();
  const lifecycle = new PartitionLifecycle({ claims: true, sessionTimeoutMs: 10_000 });
  const logger = { warn: vi.fn(), log: vi.fn(), error: vi.fn() } as unknown as LoggerService & {
    warn: ReturnType<typeof vi.fn>;
  };
  const seek = vi.fn<(topic: string, partition: number, offset: string) => void>();
  const loader = new StoredOffsetLoader({
    groupId: 'g',
    offsetStore: store,
    scope: { groupId: 'g', consumer: {} as Consumer },
    lifecycle,
    logger,
    loadTimeoutMs,
    saveTimeoutMs: 20,
    seek,
    resolveStart: resolveStart ?? (async () => '17'),
  });
  const worker = () => new PartitionWorker('t', 0, 'auto', host, 100, DEFAULT_REDELIVERY, false);
  const claim = (w: PartitionWorker): number => {
    const start = lifecycle.start(w.key);
    if (start?.kind !== 'claim') throw new Error('expected a claim');
    return start.claim;
  };
  return { store, lifecycle, logger, seek, loader, worker, claim };
}

describe('StoredOffsetLoader', () => {
  it('seeks to the stored offset, takes the claim’s epoch and marks the worker ready', async () => {
    const { store, lifecycle, seek, loader, worker, claim } = setup();
    lifecycle.join('m', { t: [0] }, Date.now());
    const w = worker();
    const done = loader.claim(w, claim(w));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    store.calls[0].resolve([{ topic: 't', partition: 0, offset: '42', epoch: 7 }]);
    await done;
    expect(seek).toHaveBeenCalledWith('t', 0, '42');
    expect(w.epoch).toBe(7);
    expect(w.state).toBe('ready');
  });

  it('L6: when nothing is stored, stores the resolved start offset under the claim’s epoch, then seeks there', async () => {
    const { store, lifecycle, seek, loader, worker, claim } = setup();
    lifecycle.join('m', { t: [0] }, Date.now());
    const w = worker();
    const done = loader.claim(w, claim(w));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    store.calls[0].resolve([{ topic: 't', partition: 0, epoch: 1 }]);
    await done;
    expect(store.saved).toEqual([[{ topic: 't', partition: 0, offset: '17', epoch: 1 }]]);
    expect(seek).toHaveBeenCalledWith('t', 0, '17');
    expect(w.state).toBe('ready');
  });

  it('L6: a store that does not take the start offset in time does not hold the partition: it starts there, logged', async () => {
    const { store, lifecycle, logger, seek, loader, worker, claim } = setup();
    store.hangSaves = true;
    lifecycle.join('m', { t: [0] }, Date.now());
    const w = worker();
    const done = loader.claim(w, claim(w));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    store.calls[0].resolve([{ topic: 't', partition: 0, epoch: 1 }]);
    await done;
    expect(store.saved).toHaveLength(1);
    expect(seek).toHaveBeenCalledWith('t', 0, '17');
    expect(w.state).toBe('ready');
    expect(logger.warn.mock.calls[0][0]).toMatch(
      /t:0 had nothing stored and starts at offset 17.*offsetStoreSaveTimeoutMs=20/,
    );
  });

  it('L6: a start offset that cannot be resolved is retried like a failed load; the worker waits meanwhile', async () => {
    let calls = 0;
    const { store, lifecycle, logger, seek, loader, worker, claim } = setup(60_000, async () => {
      calls++;
      if (calls === 1) throw new Error('admin unavailable');
      return '3';
    });
    lifecycle.join('m', { t: [0] }, Date.now());
    const w = worker();
    const done = loader.claim(w, claim(w));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    store.calls[0].resolve([{ topic: 't', partition: 0, epoch: 1 }]);
    await vi.waitFor(() => expect(store.calls).toHaveLength(2), { timeout: 5000 });
    expect(w.state).toBe('loading');
    expect(logger.warn.mock.calls[0][0]).toMatch(/admin unavailable/);
    store.calls[1].resolve([{ topic: 't', partition: 0, epoch: 2 }]);
    await done;
    expect(store.saved).toEqual([[{ topic: 't', partition: 0, offset: '3', epoch: 2 }]]);
    expect(seek).toHaveBeenCalledWith('t', 0, '3');
  });

  it('S10: a load that does not answer in time counts as failed, is logged as a waiting reason and retried', async () => {
    const { store, lifecycle, logger, loader, worker, claim } = setup(20);
    lifecycle.join('m', { t: [0] }, Date.now());
    const w = worker();
    const done = loader.claim(w, claim(w));
    await vi.waitFor(() => expect(store.calls.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(logger.warn.mock.calls[0][0]).toMatch(/t:0 waits for its offset store.*offsetStoreLoadTimeoutMs=20/);
    // Late answers may already have timed out: answer this one and every later one.
    store.answerAll([{ topic: 't', partition: 0, offset: '5', epoch: 2 }]);
    await done;
    expect(w.state).toBe('ready');
    expect(w.epoch).toBe(2);
  });

  it('S1 trigger 2: a new claim of a partition starts only after the previous claim’s request settled', async () => {
    const { store, lifecycle, loader, worker, claim } = setup();
    lifecycle.join('m1', { t: [0] }, Date.now());
    const first = worker();
    void loader.claim(first, claim(first));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    // A rejoin under a new member id: the partition is adopted again and claimed again.
    lifecycle.join('m2', { t: [0] }, Date.now());
    const second = worker();
    const done = loader.claim(second, claim(second));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.calls).toHaveLength(1);
    store.calls[0].resolve([{ topic: 't', partition: 0, offset: '1', epoch: 1 }]);
    await vi.waitFor(() => expect(store.calls).toHaveLength(2));
    store.calls[1].resolve([{ topic: 't', partition: 0, offset: '1', epoch: 2 }]);
    await done;
    expect(first.state).toBe('loading');
    expect(second.epoch).toBe(2);
    expect(second.state).toBe('ready');
  });

  it('S1 trigger 4: after a crash the answer of a claim in flight is ignored and nothing is claimed again', async () => {
    const { store, lifecycle, seek, loader, worker, claim } = setup();
    lifecycle.join('m', { t: [0] }, Date.now());
    const w = worker();
    const done = loader.claim(w, claim(w));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    lifecycle.crashed();
    store.calls[0].reject(new Error('store down'));
    await done;
    expect(store.calls).toHaveLength(1);
    expect(seek).not.toHaveBeenCalled();
    expect(w.state).toBe('loading');
  });
});
