import { describe, expect, it } from 'vitest';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { OffsetStore, type OffsetStoreScope, type TopicPartitionOffset } from '../offset-stores/offset-store.js';
import { DEFAULT_BACKOFF } from '../util/backoff.js';
import { OffsetStoreTimeoutError } from '../errors/offset-store-timeout.error.js';
import { OffsetCommitter, isRebalanceError } from './offset-committer.js';
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

const protocolError = (type: string) => Object.assign(new Error(`The group is rebalancing (${type})`), { type });

describe('isRebalanceError', () => {
  it('recognises a protocol error of the rebalance kind, and nothing else', () => {
    expect(isRebalanceError(protocolError('REBALANCE_IN_PROGRESS'))).toBe(true);
    expect(isRebalanceError(protocolError('ILLEGAL_GENERATION'))).toBe(true);
    expect(isRebalanceError(protocolError('UNKNOWN_TOPIC_OR_PARTITION'))).toBe(false);
    expect(isRebalanceError(new Error('boom'))).toBe(false);
    expect(isRebalanceError(null)).toBe(false);
  });

  it("sees through kafkajs' retrier wrapping (KafkaJSNonRetriableError cause, originalError) (R4)", () => {
    const wrapped = Object.assign(new Error('Specified group generation id is not valid'), {
      name: 'KafkaJSNonRetriableError',
      cause: protocolError('ILLEGAL_GENERATION'),
    });
    const retriesExceeded = Object.assign(new Error('The group is rebalancing'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      originalError: protocolError('REBALANCE_IN_PROGRESS'),
    });
    expect(isRebalanceError(wrapped)).toBe(true);
    expect(isRebalanceError(retriesExceeded)).toBe(true);
    expect(isRebalanceError(Object.assign(new Error('x'), { cause: new Error('y') }))).toBe(false);
  });
});

describe('OffsetCommitter with a store whose save() never settles (S10)', () => {
  class HungStore extends OffsetStore {
    saves = 0;
    async load() {
      return [];
    }
    save(): Promise<void> {
      this.saves++;
      return new Promise<void>(() => undefined);
    }
  }

  it('fails the save after saveTimeoutMs with OffsetStoreTimeoutError, and the next commit saves again', async () => {
    const store = new HungStore();
    const workers = [workerAt(0, 3, 1)];
    const committer = new OffsetCommitter('g', store, scope, () => workers, 1000, logger, undefined, 20);
    const error = await committer.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetStoreTimeoutError);
    expect((error as OffsetStoreTimeoutError).code).toBe('KAFKA_CONSUMER_OFFSET_STORE_TIMEOUT');
    expect(String((error as Error).message)).toContain('offsetStoreSaveTimeoutMs=20');
    await expect(committer.flush()).rejects.toBeInstanceOf(OffsetStoreTimeoutError);
    expect(store.saves).toBe(2);
    committer.close();
  });
});
