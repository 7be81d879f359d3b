import type { LoggerService } from '@nestjs/common';
import { startOffsetNotStored, waitingForOffsetStore } from '../kafka-consumer.messages.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import type { ClaimedPartition, OffsetStore, OffsetStoreScope } from '../offset-stores/offset-store.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../util/backoff.js';
import { OffsetStoreTimeoutError } from '../errors/offset-store-timeout.error.js';
import type { PartitionLifecycle } from './partition-lifecycle.js';
import type { PartitionWorker } from './partition-worker.js';
import type { GroupObserver } from '../observability/group-observer.js';

/** What claiming a partition in an external offset store needs from its consumer group runner. */
export interface StoredOffsetLoaderOptions {
  readonly groupId: string;
  readonly offsetStore: OffsetStore;
  readonly scope: OffsetStoreScope;
  readonly lifecycle: PartitionLifecycle;
  readonly logger: LoggerService;
  /** Longest wait for one `load()`; then it counts as failed and is retried. */
  readonly loadTimeoutMs: number;
  /**
   * Longest wait for the `save()` of a start offset (bounded by `loadTimeoutMs` too: it is part of
   * the claim); then the partition starts without it stored.
   */
  readonly saveTimeoutMs: number;
  /** Positions kafkajs' fetch of a partition (never throws). */
  readonly seek: (topic: string, partition: number, offset: string) => void;
  /** Where a partition with nothing stored starts (stored at once by the claim). */
  readonly resolveStart: (topic: string, partition: number) => Promise<string>;
  /** Told when a load fails and when it succeeds (health: a partition waiting for its store). */
  readonly observer?: Pick<GroupObserver, 'offsetLoadFailed' | 'offsetLoaded'>;
}

/**
 * Claims newly assigned partitions in an external offset store: loads the stored offset (retried
 * with backoff while the store fails or does not answer in time), seeks there and marks the worker
 * ready, unless the lifecycle says the claim went stale meanwhile. A partition with nothing stored
 * gets its start offset resolved and stored first, so it never starts later than this claim did. Claims of one partition never
 * overlap in this process: a new one starts after the previous request settled (or timed out), so
 * an older claim cannot land after a newer one and fence this member off.
 */
export class StoredOffsetLoader {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly options: StoredOffsetLoaderOptions) {}

  async claim(worker: PartitionWorker, claim: number): Promise<void> {
    const { lifecycle, logger, groupId } = this.options;
    let attempt = 0;
    while (lifecycle.claimPending(worker.key, claim)) {
      let stored: ClaimedPartition | undefined;
      let start: string;
      try {
        stored = await this.load(worker);
        start = stored?.offset ?? (await this.storeStart(worker, stored?.epoch));
      } catch (error) {
        attempt++;
        const delayMs = backoffDelay(DEFAULT_BACKOFF, attempt);
        logger.warn(waitingForOffsetStore(groupId, worker.key, delayMs, error));
        this.options.observer?.offsetLoadFailed(worker, error, delayMs);
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        continue;
      }
      if (!lifecycle.claimSettled(worker.key, claim) || worker.state !== 'loading') return;
      worker.epoch = stored?.epoch;
      worker.claimedOffset = start;
      this.options.seek(worker.topic, worker.partition, start);
      if (attempt > 0) this.options.observer?.offsetLoaded(worker);
      worker.markReady();
      return;
    }
  }

  /**
   * Resolves where a partition with nothing stored starts and stores it under this claim's epoch.
   * A store that does not take the write (down, or slower than `saveTimeoutMs`) does not hold the
   * partition longer than a load may take: it starts there anyway, logged, and its first commit
   * stores its progress. A stale epoch (another member claimed it since) fails the claim like a
   * failed load.
   */
  private async storeStart(worker: PartitionWorker, epoch: number | undefined): Promise<string> {
    const { offsetStore, scope, loadTimeoutMs, saveTimeoutMs, resolveStart, logger, groupId } = this.options;
    const { topic, partition } = worker;
    const offset = await this.within(resolveStart(topic, partition), loadTimeoutMs);
    try {
      const timeoutMs = Math.min(saveTimeoutMs, loadTimeoutMs);
      await this.within(offsetStore.save(scope, [{ topic, partition, offset, epoch }]), timeoutMs, 'save');
    } catch (error) {
      if (error instanceof StaleOffsetWriteError) throw error;
      logger.warn(startOffsetNotStored(groupId, worker.key, offset, error));
    }
    return offset;
  }

  private async load(worker: PartitionWorker): Promise<ClaimedPartition | undefined> {
    const { offsetStore, scope, loadTimeoutMs } = this.options;
    const previous = this.inFlight.get(worker.key);
    // A black-holed earlier request is waited for at most once more than the timeout, then left behind.
    if (previous) await this.within(previous, loadTimeoutMs).catch(() => undefined);
    const request = offsetStore.load(scope, [{ topic: worker.topic, partition: worker.partition }]);
    this.inFlight.set(worker.key, request);
    void request
      .catch(() => undefined)
      .then(() => {
        if (this.inFlight.get(worker.key) === request) this.inFlight.delete(worker.key);
      });
    const [stored] = await this.within(request, loadTimeoutMs);
    return stored;
  }

  private within<T>(promise: Promise<T>, timeoutMs: number, operation: 'load' | 'save' = 'load'): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new OffsetStoreTimeoutError(this.options.groupId, operation, timeoutMs)),
          timeoutMs,
        );
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
