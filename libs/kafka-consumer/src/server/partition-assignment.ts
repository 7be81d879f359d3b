import type { LoggerService } from '@nestjs/common';
import { partitionsLost, partitionsReclaimed, revokeGraceExpired } from '../kafka-consumer.messages.js';
import type { PartitionPosition } from '../observability/group-monitor.js';
import type { KafkajsConsumerAdapter } from './kafkajs-consumer.adapter.js';
import { partitionKey, type JoinPlan, type PartitionLifecycle } from './partition-lifecycle.js';
import type { PartitionWorker } from './partition-worker.js';
import type { StoredOffsetLoader } from './stored-offset.loader.js';
import { settlesWithin } from '../util/settles-within.js';

export interface PartitionAssignmentOptions {
  readonly groupId: string;
  readonly lifecycle: PartitionLifecycle;
  readonly kafka: KafkajsConsumerAdapter;
  /** External offset stores only: claims a newly assigned partition. */
  readonly loader: StoredOffsetLoader | null;
  readonly logger: LoggerService;
  /** How long a new worker waits for a revoked one of its partition still running a record. */
  readonly revokeGraceMs: number;
  /** A new worker for a partition, not ready yet (state `loading`). */
  readonly createWorker: (topic: string, partition: number) => PartitionWorker;
  readonly closing: () => boolean;
}

/**
 * Carries out the partition lifecycle's decisions on this member's partition workers: creates,
 * gates, retires and re-creates them, and keeps the "never two records of one partition at
 * once" promise across revocations (bounded by `revokeGraceMs`).
 */
export class PartitionAssignment {
  /** The current worker of each partition being processed here. */
  readonly workers = new Map<string, PartitionWorker>();
  /** Revoked workers whose handler still runs: a new worker of the same partition waits for them. */
  private readonly retiring = new Map<string, PartitionWorker>();

  constructor(private readonly options: PartitionAssignmentOptions) {}

  /** A group join: retire what moved or is no longer trusted, re-position what stays, adopt what is new. */
  /** Where each partition's processing stands (health and metrics). */
  positions(): PartitionPosition[] {
    return [...this.workers.values()].map((worker) => {
      const { tracker, topic, partition, queued: inFlight } = worker;
      const next = tracker.firstPendingOffset ?? (tracker.highestOffset >= 0 ? tracker.highestOffset + 1 : null);
      return { topic, partition, committed: tracker.lastCommitted, next, inFlight };
    });
  }

  applyJoin(plan: JoinPlan): void {
    // Revoked, or held before a rejoin under a new member id (another member may have processed
    // and committed past what they queued): drop what is queued; a running handler finishes.
    for (const key of plan.retire) this.retire(key);
    for (const key of plan.keep) {
      const worker = this.workers.get(key);
      if (!worker) continue;
      if (this.options.loader) {
        // kafkajs positions every partition at its Kafka-committed offset after a join, which is
        // not where an external store's consumer is: seek a kept partition back to where it was
        // fetched up to, or to its claimed offset when it fetched nothing yet (paused since its
        // claim). Only assigned partitions: kafkajs keeps a seek of a revoked one (L3).
        const { highestOffset } = worker.tracker;
        const next = highestOffset >= 0 ? String(highestOffset + 1) : worker.claimedOffset;
        if (worker.state === 'ready' && next !== undefined)
          this.options.kafka.seek(worker.topic, worker.partition, next);
      } else {
        // The new generation's committed offset may lag ours (a commit dropped while kafkajs was
        // leaving the group): offer it again.
        worker.tracker.forgetCommitted();
      }
      worker.syncFetchPause();
    }
    for (const { topic, partition } of plan.adopt) this.adopt(topic, partition);
  }

  /** The store rejected these partitions' offsets as stale: stop them; claim again those still ours. */
  fenced(workers: readonly PartitionWorker[]): void {
    const { lifecycle, kafka, logger, groupId } = this.options;
    const current = workers.filter((worker) => this.workers.get(worker.key) === worker);
    for (const worker of workers) worker.revoke();
    const plan = lifecycle.fenced(
      current.map((worker) => worker.key),
      Date.now(),
    );
    for (const key of plan.retire) this.retire(key);
    const reclaimed = new Set(plan.reclaim.map(({ topic, partition }) => partitionKey(topic, partition)));
    const dropped = workers.filter((worker) => !reclaimed.has(worker.key));
    // Still assigned but not ours to process until the next join: do not let kafkajs refetch it in a loop.
    kafka.pause(dropped.filter((worker) => lifecycle.phaseOf(worker.key) === 'lost'));
    if (dropped.length > 0) logger.warn(partitionsLost(groupId, dropped));
    if (plan.reclaim.length > 0) logger.warn(partitionsReclaimed(groupId, plan.reclaim));
    for (const { topic, partition } of plan.reclaim) this.adopt(topic, partition);
  }

  /** Revokes a partition's worker, remembering it while its running handler finishes. */
  retire(key: string): void {
    const worker = this.workers.get(key);
    if (!worker) return;
    this.workers.delete(key);
    worker.revoke();
    if (!worker.busy) return;
    this.retiring.set(key, worker);
    this.options.lifecycle.drainStarted(key);
    void worker.idle().then(() => {
      if (this.retiring.get(key) !== worker) return;
      this.retiring.delete(key);
      this.options.lifecycle.drained(key);
    });
  }

  /**
   * Starts a new worker for a partition the lifecycle restarted (a seek), unless a join already
   * replaced it or took the partition away meanwhile. False when it is no longer ours.
   */
  restart(topic: string, partition: number): boolean {
    const key = partitionKey(topic, partition);
    if (this.options.lifecycle.phaseOf(key) !== 'assigned') return this.workers.has(key);
    if (!this.workers.has(key)) this.adopt(topic, partition);
    return true;
  }

  /**
   * Creates the worker of a newly assigned partition. It is gated (fetch paused, nothing
   * dispatched) until a revoked worker of the same partition has finished its running record (at
   * most `revokeGraceMs`, S9), so one partition never runs two records at once, and, with an
   * external store, until its stored offset is claimed and sought.
   */
  private adopt(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    const previous = this.retiring.get(key);
    const worker = this.options.createWorker(topic, partition);
    this.workers.set(key, worker);
    worker.syncFetchPause();
    if (!previous) return this.begin(worker);
    const { revokeGraceMs, logger, groupId, lifecycle } = this.options;
    void settlesWithin(previous.idle(), revokeGraceMs).then((drained) => {
      if (!drained && this.workers.get(key) === worker && !this.options.closing()) {
        logger.error(revokeGraceExpired(groupId, key, revokeGraceMs));
        if (this.retiring.get(key) === previous) this.retiring.delete(key);
        lifecycle.drained(key);
      }
      this.begin(worker);
    });
  }

  private begin(worker: PartitionWorker): void {
    if (this.workers.get(worker.key) !== worker) return;
    const start = this.options.lifecycle.start(worker.key);
    if (start?.kind === 'ready') worker.markReady();
    else if (start?.kind === 'claim') void this.options.loader?.claim(worker, start.claim);
  }
}
