import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { uncommittedLimitReached } from '../kafka-consumer.messages.js';
import type { TopicPartition } from '../offset-stores/offset-store.js';
import type { GroupObserver } from '../observability/group-observer.js';
import type { PartitionPosition } from '../observability/group-monitor.js';
import type { BatchDispatcher } from './batch-dispatcher.js';
import type { BufferBudget } from './buffer-budget.js';
import {
  wireConsumerGroup,
  type ConsumerGroupParts,
  type ConsumerGroupRunnerOptions,
} from './consumer-group.wiring.js';
import { shutDownGroup } from './group-shutdown.js';
import type { KafkajsConsumerAdapter } from './kafkajs-consumer.adapter.js';
import type { MembershipGate } from './membership-gate.js';
import type { OffsetCommitter } from './offset-committer.js';
import type { PartitionAssignment } from './partition-assignment.js';
import type { PartitionControl } from './partition-control.js';
import { partitionKey, type PartitionLifecycle } from './partition-lifecycle.js';
import type { PartitionWorker, PartitionWorkerHost } from './partition-worker.js';
import type { RecordDispatcher } from './record-dispatcher.js';

export type { GroupHandler } from './record-dispatcher.js';

/**
 * One kafkajs consumer for one consumer group. Fetching is decoupled from processing: `eachBatch`
 * hands records to per-partition workers and returns at once, so a slow handler never stalls the
 * fetch loop (or its heartbeats) for other partitions. Commits are ours (kafkajs autoCommit is off).
 * What happens to partitions on joins, crashes and fences is decided by the `PartitionLifecycle`;
 * this class carries it out on the workers and kafkajs. Its parts are built in
 * `consumer-group.wiring.ts`; `close()` runs `group-shutdown.ts`.
 */
export class ConsumerGroupRunner implements PartitionWorkerHost {
  readonly consumer: Consumer;
  /** Runtime control (pause, seek) for `KafkaConsumerRegistry`. */
  readonly control: PartitionControl;
  /** The group's buffered records and bytes, with their peaks (read-only view for tests and diagnostics). */
  readonly buffer: Pick<BufferBudget, 'bytes' | 'records' | 'peakBytes' | 'peakRecords' | 'maxBytes'>;
  private readonly parts: ConsumerGroupParts;
  private readonly kafka: KafkajsConsumerAdapter;
  private readonly lifecycle: PartitionLifecycle;
  private readonly partitions: PartitionAssignment;
  private readonly membership: MembershipGate;
  private readonly committer: OffsetCommitter;
  private readonly dispatcher: RecordDispatcher;
  private readonly batches: BatchDispatcher | null;
  private readonly observer: GroupObserver;
  private heartbeatFn: (() => Promise<void>) | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  /** The running `start()`: `close()` waits for it (bounded), or kafkajs would join after the close (S8). */
  private starting: Promise<void> | null = null;
  private rebalanceHold: NodeJS.Timeout | null = null;

  constructor(private readonly options: ConsumerGroupRunnerOptions) {
    this.parts = wireConsumerGroup(options, {
      host: this,
      closing: () => this.closing,
      heartbeat: () => this.heartbeatFn,
      onPartitionsLost: (workers) => this.onPartitionsLost(workers),
    });
    ({
      consumer: this.consumer,
      kafka: this.kafka,
      lifecycle: this.lifecycle,
      partitions: this.partitions,
      membership: this.membership,
      committer: this.committer,
      dispatcher: this.dispatcher,
      batches: this.batches,
      control: this.control,
      observer: this.observer,
      budget: this.buffer,
    } = this.parts);
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get topics(): string[] {
    return [...this.options.handlers.keys()];
  }

  /** Count of group joins seen; read by tests and the registry. */
  get generation(): number {
    return this.lifecycle.generation;
  }

  /** Partitions currently assigned to this member. */
  assignment(): TopicPartition[] {
    return this.lifecycle.assigned();
  }

  /** True from `start()` until `close()`. */
  get running(): boolean {
    return this.starting !== null && !this.closing;
  }

  /** `close()` was called: this runner never runs again (a restart of its group makes a new one). */
  get stopped(): boolean {
    return this.closing;
  }

  /** Connects, subscribes and joins the group; resolves after the first assignment. */
  start(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.starting ??= this.doStart();
    return this.starting;
  }

  /** Runs the consumer again after a crash kafkajs does not restart from (`onCrash: 'restart'`). */
  async restart(): Promise<void> {
    if (this.closing || !this.starting) return;
    await this.starting.catch(() => undefined);
    await this.run();
  }

  /** Where each partition's processing stands (health and metrics). */
  positions(): PartitionPosition[] {
    return this.partitions.positions();
  }

  /** Subscribes to the handlers' topics and runs kafkajs' fetch loop, records to `onBatch`. */
  private run(): Promise<void> {
    const subscriptions = [...this.options.handlers.values()].map(({ topic, options }) => ({
      topic,
      fromBeginning: options.fromBeginning,
    }));
    return this.kafka.start(
      subscriptions,
      (payload) => this.onBatch(payload),
      () => this.closing,
    );
  }

  private async doStart(): Promise<void> {
    this.kafka.listen({
      onJoin: (memberId, assignment) => this.onGroupJoin(memberId, assignment),
      onRebalancing: () => this.onRebalancing(),
      onCrash: (error, restart) => this.onCrash(error, restart),
      onFilteredBatch: (topic, partition, firstOffset, lastOffset) =>
        this.partitions.workers.get(partitionKey(topic, partition))?.skipFiltered(firstOffset, lastOffset),
      onHeartbeat: (sentAt) => {
        this.lifecycle.heartbeat(sentAt);
        this.membership.wake();
      },
    });
    await this.run();
  }

  /**
   * Leaves the group cleanly: stop fetching and dispatching, let running handlers finish (at most
   * `shutdownTimeoutMs`), commit what is done, then leave and disconnect.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private doClose(): Promise<void> {
    this.closing = true;
    return shutDownGroup(this.parts, {
      groupId: this.groupId,
      logger: this.options.logger,
      timeoutMs: this.options.module.shutdownTimeoutMs,
      starting: this.starting,
      cancelRebalanceHold: () => {
        if (this.rebalanceHold) clearTimeout(this.rebalanceHold);
      },
    });
  }

  // ---- kafkajs events ---------------------------------------------------------------------

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isStale } = payload;
    this.heartbeatFn = heartbeat;
    this.parts.groupCommit.track(payload.commitOffsetsIfNecessary);
    if (this.closing) return;
    this.observer.fetched(batch.topic, batch.partition, batch.highWatermark);
    // Workers are created at the join; a batch of a partition without one (a fetch that raced a
    // rejoin) is not ours. A partition still loading its stored offset processes nothing either;
    // kafkajs fetches it again.
    const worker = this.partitions.workers.get(partitionKey(batch.topic, batch.partition));
    if (!worker || worker.state !== 'ready') return;
    const messages: KafkaMessage[] = [];
    let stale = false;
    for (const message of batch.messages) {
      if ((stale = isStale())) break;
      messages.push(message);
    }
    // Records that did not fit the buffers are fetched again later. The batch's last offset lets
    // trailing transaction markers be committed past once every record before them is done.
    const takenUpTo = worker.enqueue(messages, stale ? undefined : batch.lastOffset());
    if (takenUpTo !== null) resolveOffset(takenUpTo);
  }

  private onGroupJoin(memberId: string, memberAssignment: Record<string, number[]>): void {
    const plan = this.lifecycle.join(memberId, memberAssignment, Date.now());
    this.partitions.applyJoin(plan);
    this.observer.joined(plan.generation, plan.adopt, plan.retire);
    this.membership.wake();
    // Kept partitions go on; offsets finished before the rebalance are committed under the new generation.
    this.releaseHeld();
    this.committer.scheduleSoon();
  }

  /** The store rejected these partitions' offsets as stale: stop them; claim again those still ours. */
  private onPartitionsLost(workers: PartitionWorker[]): void {
    this.partitions.fenced(workers);
    this.observer.fenced(workers);
  }

  /**
   * kafkajs left the group after an error. It restarts the consumer (a new join follows) unless
   * `restartOnFailure` said no: either way the partitions may already belong to another member,
   * so every worker is retired (nothing is claimed or dispatched meanwhile) and the next join
   * adopts afresh from the stored offsets.
   */
  private onCrash(error: unknown, restart: boolean): void {
    const lost = this.lifecycle.crashed();
    this.parts.groupCommit.reset();
    for (const key of lost) this.partitions.retire(key);
    if (this.rebalanceHold) clearTimeout(this.rebalanceHold);
    this.rebalanceHold = null;
    // The crash policy (observability) logs it and decides what follows.
    this.observer.crashed(error, restart, lost);
  }

  private onRebalancing(): void {
    this.observer.rebalancing();
    // Stop dispatching until the join tells which partitions stay ours, so records of a partition
    // about to move are not processed here without a chance to be committed.
    const workers = [...this.partitions.workers.values()];
    for (const worker of workers) worker.hold();
    // Best effort: a commit of the old generation is accepted until the group completes the join;
    // once the running records finish, their offsets follow.
    this.committer.flush().catch(() => undefined);
    Promise.all(workers.map((worker) => worker.idle()))
      .then(() => this.committer.flush())
      .catch(() => undefined);
    // If no join follows (the consumer crashed and does not restart), do not hold forever.
    if (this.rebalanceHold) clearTimeout(this.rebalanceHold);
    this.rebalanceHold = setTimeout(() => this.releaseHeld(), this.options.module.consumer.rebalanceTimeout ?? 60_000);
    this.rebalanceHold.unref();
  }

  private releaseHeld(): void {
    if (this.rebalanceHold) clearTimeout(this.rebalanceHold);
    this.rebalanceHold = null;
    for (const worker of this.partitions.workers.values()) worker.release();
  }

  // ---- PartitionWorkerHost ----------------------------------------------------------------

  async dispatch(worker: PartitionWorker, message: KafkaMessage): Promise<boolean> {
    if (!(await this.membership.confirmed(worker))) return false;
    return this.dispatcher.dispatch(worker, message);
  }

  async dispatchBatch(worker: PartitionWorker, messages: KafkaMessage[]): Promise<number> {
    if (!(await this.membership.confirmed(worker))) return 0;
    return this.batches!.dispatch(worker, messages);
  }

  onRedelivery(worker: PartitionWorker, message: KafkaMessage, delayMs: number): void {
    this.observer.redeliveryScheduled(worker, message, delayMs);
    // The partition is blocked: store what finished before the failing record now, not at the next interval.
    // The dispatcher logged the failure (one line per failed record).
    this.committer.scheduleSoon();
  }

  setFetchPaused(worker: PartitionWorker, paused: boolean): void {
    const partitions = [{ topic: worker.topic, partition: worker.partition }];
    if (paused) this.kafka.pause(partitions);
    else if (!this.closing) this.kafka.resume(partitions);
  }

  dueAt(worker: PartitionWorker, message: KafkaMessage): number {
    const dueAt = this.options.handlers.get(worker.topic)?.dueAt?.(message) ?? 0;
    if (dueAt > Date.now()) this.observer.waitingUntil(worker, message, dueAt);
    return dueAt;
  }

  onPendingLimit(worker: PartitionWorker): void {
    this.options.logger.warn(uncommittedLimitReached(this.groupId, worker.key, worker.tracker.pendingCount));
  }

  onProgress(_worker: PartitionWorker, idle: boolean): void {
    // Nothing buffered: no handler can call ctx.heartbeat() (kafkajs heartbeats itself while
    // fetching). The latest batch stays referenced by the group commit until the next fetch.
    if (idle && this.buffer.records === 0) this.heartbeatFn = null;
    if (idle) this.committer.scheduleSoon();
    else this.committer.scheduleInterval();
  }
}
