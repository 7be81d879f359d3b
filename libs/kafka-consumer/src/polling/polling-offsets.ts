import type { LoggerService } from '@nestjs/common';
import { CommitFailedError } from '../errors/commit-failed.error.js';
import { ConsumerCrashedError } from '../errors/consumer-crashed.error.js';
import { OffsetStoreTimeoutError } from '../errors/offset-store-timeout.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS } from '../kafka-consumer.options.js';
import { pollingClaimFailed } from '../kafka-consumer.messages.js';
import type { OffsetStore, OffsetStoreScope } from '../offset-stores/offset-store.js';
import {
  partitionKey,
  type CommitCandidate,
  type OwnedPartition,
  type PendingCommit,
  type PollingAssignment,
} from './polling-assignment.js';
import { isGenerationOver } from './rebalance-errors.js';
import type { WaitSignal } from './wait-signal.js';

/** What the offset path needs from its polling consumer. */
export interface PollingOffsetsHost {
  readonly groupId: string;
  readonly partitions: PollingAssignment;
  readonly logger?: LoggerService;
  isRunning(): boolean;
  /** Throws when `poll()`/`commit()` may not run (not subscribed, closed, crashed). */
  assertRunning(): void;
  /** kafkajs crashed and does not restart. */
  crashError(): { error: unknown } | null;
  /** kafkajs crashed and restarts: no partition is owned until the next join. */
  isRejoinPending(): boolean;
  /** Woken at every join (and at a crash or close). */
  readonly joins: WaitSignal;
  /** Longest wait for the join that follows a commit refused by a rebalance. */
  readonly joinTimeoutMs: number;
  seek(owner: OwnedPartition, offset: string): void;
  /** Applies the wanted fetch state of every partition. */
  syncFetch(): void;
  /** The store fenced these partitions off: another member owns them now. */
  onFenced(owners: OwnedPartition[]): void;
}

/** How many times a commit refused by a rebalance is tried again for the partitions this member kept. */
const MAX_COMMIT_ROUNDS = 3;

/**
 * A polling consumer's offsets, through the same `OffsetStore` as handlers: claims newly assigned
 * partitions (external stores) and stores what `commit()` is given, one commit at a time.
 */
export class PollingOffsets {
  private commits: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: OffsetStore,
    private readonly scope: OffsetStoreScope,
    private readonly host: PollingOffsetsHost,
    /** Longest wait for one store call; a save that takes longer rejects the commit with `OffsetStoreTimeoutError`, a load is tried again. */
    private readonly timeoutMs = DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS,
  ) {}

  /** Loads (claims) the stored offsets of newly assigned partitions and seeks to them; their fetching waits meanwhile. */
  async claim(owners: OwnedPartition[]): Promise<void> {
    const { partitions } = this.host;
    for (let attempt = 0; ; attempt++) {
      const pending = owners.filter((owner) => partitions.isCurrent(owner) && owner.status === 'claiming');
      if (pending.length === 0 || !this.host.isRunning()) return;
      try {
        const claims = await this.withTimeout(
          this.store.load(
            this.scope,
            pending.map(({ topic, partition }) => ({ topic, partition })),
          ),
          () => new Error(`load() did not finish within ${this.timeoutMs} ms`),
        );
        for (const owner of pending) {
          const claim = claims.find((c) => c.topic === owner.topic && c.partition === owner.partition);
          // The stored offset, or for a claim again after a fence what the fenced acquisition did not commit.
          if (partitions.markClaimed(owner, claim) && Number.isFinite(owner.fetchedUpTo)) {
            this.host.seek(owner, String(owner.fetchedUpTo + 1));
          }
        }
        this.host.syncFetch();
        return;
      } catch (error) {
        const delayMs = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        this.host.logger?.warn(pollingClaimFailed(this.host.groupId, pending, delayMs, error));
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }

  /** Stores the offsets of `records` (or of everything polled); see `PollingConsumer.commit`. */
  commit(records?: readonly CommitCandidate[]): Promise<void> {
    const run = this.commits.then(() => this.commitNow(records));
    this.commits = run.catch(() => undefined);
    return run;
  }

  private async commitNow(records?: readonly CommitCandidate[]): Promise<void> {
    const { host } = this;
    host.assertRunning();
    let pending = host.partitions.pendingCommits(records);
    const failed: OwnedPartition[] = [];
    let cause: unknown;
    let reason: string | undefined;
    for (let round = 1; pending.length > 0; round++) {
      const generation = host.partitions.generation;
      if (host.isRejoinPending()) {
        reason = await this.awaitJoin(generation);
        pending = this.keepOwned(pending, failed, reason);
        continue;
      }
      try {
        await this.save(pending);
        host.partitions.markCommitted(pending);
        pending = [];
      } catch (error) {
        if (error instanceof StaleOffsetWriteError) {
          const fenced = new Set(error.partitions.map((p) => partitionKey(p.topic, p.partition)));
          const lost = pending.filter(({ owner }) => fenced.has(owner.key)).map(({ owner }) => owner);
          if (lost.length === 0) throw error;
          host.onFenced(lost);
          failed.push(...lost);
          cause = error;
          reason = 'the offset store fenced them off: another member claimed them';
          // A save is atomic: the others were not stored either; they are saved again.
          pending = pending.filter(({ owner }) => !fenced.has(owner.key));
          continue;
        }
        if (!isGenerationOver(error)) throw error;
        cause = error;
        // The group rebalanced: after the join, commit again what this member kept.
        reason =
          round > MAX_COMMIT_ROUNDS
            ? 'the group kept rebalancing'
            : host.partitions.generation === generation
              ? await this.awaitJoin(generation)
              : undefined;
        pending = this.keepOwned(pending, failed, reason);
      }
    }
    const crash = host.crashError();
    if (crash) throw new ConsumerCrashedError(host.groupId, crash.error);
    if (failed.length > 0) {
      throw new CommitFailedError(
        host.groupId,
        failed.map(({ topic, partition }) => ({ topic, partition })),
        { cause, reason },
      );
    }
  }

  /** Waits for the join after `generation`; resolves a reason when none came (crash, close, timeout). */
  private async awaitJoin(generation: number): Promise<string | undefined> {
    const { host } = this;
    const deadline = Date.now() + host.joinTimeoutMs;
    while (host.partitions.generation === generation && host.isRunning() && !host.crashError()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return `the group did not complete its rebalance within ${host.joinTimeoutMs} ms`;
      await host.joins.wait(remaining);
    }
    if (!host.isRunning()) return 'the consumer was closed';
    return host.crashError() ? 'the Kafka consumer stopped' : undefined;
  }

  private save(pending: readonly PendingCommit[]): Promise<void> {
    const saving = this.store.save(
      this.scope,
      pending.map(({ owner, next }) => ({
        topic: owner.topic,
        partition: owner.partition,
        offset: String(next),
        epoch: owner.epoch,
      })),
    );
    return this.withTimeout(saving, () => new OffsetStoreTimeoutError(this.host.groupId, 'save', this.timeoutMs));
  }

  /** `call`, or `timeoutError()` when it takes longer than `timeoutMs` (the call is abandoned; stores only move offsets forward). */
  private withTimeout<T>(call: Promise<T>, timeoutError: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError()), this.timeoutMs);
      timer.unref();
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Commits whose partition this member still owns under the same assignment; the others go to
   * `failed`, and all of them when `giveUp` says why no join came.
   */
  private keepOwned(pending: PendingCommit[], failed: OwnedPartition[], giveUp: string | undefined): PendingCommit[] {
    const kept: PendingCommit[] = [];
    for (const commit of pending) {
      if (!giveUp && this.host.partitions.isCurrent(commit.owner)) {
        if (commit.next > commit.owner.committed) kept.push(commit);
      } else {
        failed.push(commit.owner);
      }
    }
    return kept;
  }
}
