import type { LoggerService } from '@nestjs/common';
import { OffsetStoreTimeoutError } from '../errors/offset-store-timeout.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS } from '../kafka-consumer.options.js';
import { commitFailed } from '../kafka-consumer.messages.js';
import type { OffsetStore, OffsetStoreScope, TopicPartitionOffset } from '../offset-stores/offset-store.js';
import type { PartitionWorker } from './partition-worker.js';
import { NO_OBSERVER, type GroupObserver } from '../observability/group-observer.js';

/** Errors that mean "this member's generation is over": expected around rebalances, not failures. */
const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
]);

/** True for a rebalance protocol error, also when kafkajs' retrier wrapped it (`cause`, `originalError`). */
export function isRebalanceError(error: unknown): boolean {
  let current = error as { type?: unknown; cause?: unknown; originalError?: unknown } | null | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.type === 'string' && REBALANCE_ERRORS.has(current.type)) return true;
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return false;
}

/**
 * Stores the committable offsets of a group's partitions through its `OffsetStore`: one save in
 * flight at a time, later requests coalesced into the next round. Triggered at the end of a
 * partition's queue, on an interval while records flow, before revocation and at shutdown.
 */
export class OffsetCommitter {
  private inFlight: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(
    private readonly groupId: string,
    private readonly store: OffsetStore,
    private readonly scope: OffsetStoreScope,
    private readonly workers: () => Iterable<PartitionWorker>,
    private readonly intervalMs: number,
    private readonly logger: LoggerService,
    /** The store fenced these partitions off (`StaleOffsetWriteError`): another member owns them now. */
    private readonly onPartitionsLost: (workers: PartitionWorker[]) => void = () => undefined,
    /** A save that takes longer fails with `OffsetStoreTimeoutError`, so one hung call cannot freeze every later commit. */
    private readonly saveTimeoutMs: number = DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS,
    /** Told of every save, its duration and failures (health, events, metrics). */
    private readonly observer: GroupObserver = NO_OBSERVER,
  ) {}

  /** Offsets advanced while records keep flowing: commit within `commitIntervalMs`. */
  scheduleInterval(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.background();
    }, this.intervalMs);
  }

  /** A queue drained (end of a batch): commit on the next turn of the event loop. */
  scheduleSoon(): void {
    if (this.soon || this.closed) return;
    this.soon = setImmediate(() => {
      this.soon = null;
      this.background();
    });
  }

  /** Commits everything committable now; rejects when the store rejects. */
  flush(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.commitOnce().finally(() => {
        this.inFlight = null;
      });
      return this.inFlight;
    }
    // A save is running: what became committable since it started goes in the next round.
    this.pending ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.pending = null;
        return this.flush();
      });
    return this.pending;
  }

  /** Stops the timers; a final `flush()` is the caller's. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
  }

  private background(): void {
    this.flush().catch((error: unknown) => {
      if (isRebalanceError(error)) {
        this.logger.debug?.(commitFailed(this.groupId, error));
      } else {
        this.logger.warn(commitFailed(this.groupId, error));
        this.scheduleInterval();
      }
    });
  }

  private async commitOnce(): Promise<void> {
    const batch: Array<{ worker: PartitionWorker; offset: number }> = [];
    const offsets: TopicPartitionOffset[] = [];
    for (const worker of this.workers()) {
      if (worker.state !== 'ready') continue;
      const offset = worker.tracker.committableOffset();
      if (offset === null) continue;
      batch.push({ worker, offset });
      offsets.push({ topic: worker.topic, partition: worker.partition, offset: String(offset), epoch: worker.epoch });
    }
    if (offsets.length === 0) return;
    const startedAt = performance.now();
    try {
      await this.saveUnlessLost(batch, offsets);
    } catch (error) {
      this.observer.commitFailed(error, performance.now() - startedAt);
      throw error;
    }
    this.observer.committed(offsets.length, performance.now() - startedAt);
  }

  /**
   * Saves; when the store rejects some partitions as stale, those are lost to this member (nothing
   * more is committed for them here) and the rest is saved again.
   */
  private async saveUnlessLost(
    batch: Array<{ worker: PartitionWorker; offset: number }>,
    offsets: TopicPartitionOffset[],
  ): Promise<void> {
    while (batch.length > 0) {
      try {
        await this.saveWithTimeout(offsets);
        for (const { worker, offset } of batch) worker.tracker.markCommitted(offset);
        return;
      } catch (error) {
        if (!(error instanceof StaleOffsetWriteError)) throw error;
        const stale = new Set(error.partitions.map(({ topic, partition }) => `${topic}:${partition}`));
        const lost = batch.filter(({ worker }) => stale.size === 0 || stale.has(worker.key));
        // A store naming no known partition would loop forever: treat the whole batch as lost.
        const dropped = lost.length > 0 ? lost : batch;
        this.onPartitionsLost(dropped.map(({ worker }) => worker));
        batch = batch.filter((entry) => !dropped.includes(entry));
        offsets = offsets.filter((o) => batch.some(({ worker }) => worker.key === `${o.topic}:${o.partition}`));
      }
    }
  }

  private saveWithTimeout(offsets: TopicPartitionOffset[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new OffsetStoreTimeoutError(this.groupId, 'save', this.saveTimeoutMs)),
        this.saveTimeoutMs,
      );
      timer.unref();
    });
    return Promise.race([this.store.save(this.scope, offsets), timeout]).finally(() => clearTimeout(timer));
  }
}
