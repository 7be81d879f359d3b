import { describe, expect, it } from 'vitest';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { OffsetStore, type OffsetStoreScope, type TopicPartitionOffset } from '../offset-stores/offset-store.js';
import { DEFAULT_BACKOFF } from '../util/backoff.js';
import { OffsetCommitter } from './offset-committer.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';

const host: PartitionWorkerHost = {
  dispatch: async () => true,
  onRedelivery: () => undefined,
  setFetchPaused: () => undefined,
  dueAt: () => 0,
  onProgress: () => undefined,
};
const logger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const scope = { groupId: 'g' } as OffsetStoreScope;

function workerAt(partition: number, processedUpTo: number, epoch: number): PartitionWorker {
  const worker = new PartitionWorker('t', partition, 'auto', host, 100, DEFAULT_BACKOFF, true);
  worker.epoch = epoch;
  for (let offset = 0; offset <= processedUpTo; offset++) {
    worker.tracker.register(offset);
    worker.tracker.finish(offset);
  }
  return worker;
}

/** Fences partition 1: its current epoch is 2, so a save with epoch 1 is stale. */
class FencingStore extends OffsetStore {
  readonly saves: TopicPartitionOffset[][] = [];
  async load() {
    return [];
  }
  async save(_scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]) {
    const stale = offsets.filter((o) => o.partition === 1 && o.epoch !== 2);
    if (stale.length > 0) throw new StaleOffsetWriteError('g', stale);
    this.saves.push([...offsets]);
  }
}

describe('OffsetCommitter with a fencing store', () => {
  it('drops the partitions the store rejects as stale and saves the others', async () => {
    const store = new FencingStore();
    const workers = [workerAt(0, 9, 1), workerAt(1, 4, 1), workerAt(2, 6, 1)];
    const lost: number[] = [];
    const committer = new OffsetCommitter(
      'g',
      store,
      scope,
      () => workers,
      1000,
      logger,
      (dropped) => lost.push(...dropped.map((w) => w.partition)),
    );

    await committer.flush();

    expect(lost).toEqual([1]);
    expect(store.saves).toEqual([
      [
        { topic: 't', partition: 0, offset: '10', epoch: 1 },
        { topic: 't', partition: 2, offset: '7', epoch: 1 },
      ],
    ]);
    expect(workers.map((w) => w.tracker.lastCommitted)).toEqual([10, null, 7]);
  });

  it('treats a stale error naming no partition of the batch as losing the whole batch', async () => {
    const store = new (class extends FencingStore {
      override async save() {
        throw new StaleOffsetWriteError('g', []);
      }
    })();
    const workers = [workerAt(0, 3, 1), workerAt(1, 3, 1)];
    const lost: number[] = [];
    const committer = new OffsetCommitter(
      'g',
      store,
      scope,
      () => workers,
      1000,
      logger,
      (dropped) => lost.push(...dropped.map((w) => w.partition)),
    );
    await committer.flush();
    expect(lost).toEqual([0, 1]);
    expect(workers.map((w) => w.tracker.lastCommitted)).toEqual([null, null]);
  });

  it('rejects with any other store error and commits nothing', async () => {
    const down = new Error('store down');
    const store = new (class extends FencingStore {
      override async save() {
        throw down;
      }
    })();
    const workers = [workerAt(0, 3, 1)];
    const committer = new OffsetCommitter('g', store, scope, () => workers, 1000, logger);
    await expect(committer.flush()).rejects.toBe(down);
    expect(workers[0].tracker.lastCommitted).toBeNull();
  });
});
