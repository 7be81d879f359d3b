import type { LoggerService } from '@nestjs/common';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaConsumerContext, type RecordControls } from '../context/kafka-consumer.context.js';
import {
  commitFailed,
  consumerCrashed,
  describeError,
  handlerFailed,
  partitionsLost,
  shutdownTimedOut,
} from '../kafka-consumer.messages.js';
import type { ResolvedHandlerOptions, ResolvedModuleOptions } from '../kafka-consumer.options.js';
import type { OffsetStore, OffsetStoreScope, TopicPartition } from '../offset-stores/offset-store.js';
import { deserializerFor, type ValueDeserializer } from '../serialization/deserializer.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { OffsetCommitter, isRebalanceError } from './offset-committer.js';
import { PartitionWorker, type PartitionWorkerHost } from './partition-worker.js';

/** One handler bound to one topic in this group. */
export interface GroupHandler {
  readonly topic: string;
  /** `Class.method`, for messages. */
  readonly name: string;
  readonly options: ResolvedHandlerOptions;
  /** Runs the record through Nest's pipeline; rejects when it failed. */
  invoke(data: unknown, ctx: KafkaConsumerContext): Promise<void>;
  /** Epoch ms before which a record must not be dispatched (retry topics). Absent: always due. */
  dueAt?(message: KafkaMessage): number;
}

/** Decides what happens to a record whose value could not be deserialized; resolves true when settled. */
export type DeserializationFailureHandler = (
  handler: GroupHandler,
  ctx: KafkaConsumerContext,
  error: unknown,
) => Promise<boolean>;

export interface ConsumerGroupRunnerOptions {
  readonly groupId: string;
  readonly kafka: Kafka;
  readonly handlers: ReadonlyMap<string, GroupHandler>;
  readonly offsetStore: OffsetStore;
  readonly module: ResolvedModuleOptions;
  readonly logger: LoggerService;
  readonly onDeserializationFailure?: DeserializationFailureHandler;
}

/** What a partition's records are dispatched with: made once per partition worker, not per record. */
interface PartitionBinding {
  readonly handler: GroupHandler;
  readonly deserialize: ValueDeserializer;
  readonly controls: RecordControls;
}

/** Default fetch wait: kafkajs' 5 s would delay resumes and shutdown by as much. */
const DEFAULT_MAX_WAIT_TIME_MS = 500;

/**
 * One kafkajs consumer for one consumer group. Fetching is decoupled from processing: `eachBatch`
 * hands records to per-partition workers and returns at once, so a slow handler never stalls the
 * fetch loop (or its heartbeats) for other partitions. Commits are ours (kafkajs autoCommit is off).
 */
export class ConsumerGroupRunner implements PartitionWorkerHost {
  readonly consumer: Consumer;
  private readonly workers = new Map<string, PartitionWorker>();
  private readonly committer: OffsetCommitter;
  private readonly scope: OffsetStoreScope;
  private readonly bindings = new WeakMap<PartitionWorker, PartitionBinding>();
  private heartbeatFn: (() => Promise<void>) | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  /** Member id of the last join (external stores: a new one means partitions may have moved meanwhile). */
  private memberId: string | undefined;
  private removeListeners: Array<() => void> = [];
  private rebalanceHold: NodeJS.Timeout | null = null;
  /** Revoked workers whose handler still runs: a new worker of the same partition waits for them. */
  private readonly retiring = new Map<string, PartitionWorker>();
  /** Count of group joins seen; read by tests and the registry. */
  generation = 0;

  constructor(private readonly options: ConsumerGroupRunnerOptions) {
    const config: ConsumerConfig = {
      maxWaitTimeInMs: DEFAULT_MAX_WAIT_TIME_MS,
      ...options.module.consumer,
      groupId: options.groupId,
    };
    this.consumer = options.kafka.consumer(config);
    this.scope = { groupId: options.groupId, consumer: this.consumer };
    this.committer = new OffsetCommitter(
      options.groupId,
      options.offsetStore,
      this.scope,
      () => this.workers.values(),
      options.module.commitIntervalMs,
      options.logger,
      (workers) => this.onPartitionsLost(workers),
    );
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get topics(): string[] {
    return [...this.options.handlers.keys()];
  }

  /** Partitions currently assigned to this member. */
  assignment(): TopicPartition[] {
    return [...this.workers.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Connects, subscribes and joins the group; resolves after the first assignment. */
  async start(): Promise<void> {
    const { consumer } = this;
    this.removeListeners.push(
      consumer.on(consumer.events.GROUP_JOIN, (event) =>
        this.guard(() => {
          this.regateAfterJoin(event.payload.memberId);
          this.onGroupJoin(event.payload.memberAssignment);
        }),
      ),
      consumer.on(consumer.events.REBALANCING, () => this.guard(() => this.onRebalancing())),
      consumer.on(consumer.events.CRASH, (event) =>
        this.guard(() => this.onCrash(event.payload.error, event.payload.restart)),
      ),
    );
    await consumer.connect();
    for (const handler of this.options.handlers.values()) {
      await consumer.subscribe({ topics: [handler.topic], fromBeginning: handler.options.fromBeginning });
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * Leaves the group cleanly: stop fetching and dispatching, let running handlers finish (at most
   * `shutdownTimeoutMs`), commit what is done, then leave and disconnect.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    const assigned = this.assignment();
    for (const worker of this.workers.values()) worker.stop();
    this.pauseFetching(assigned);
    const running = [...this.workers.values()].filter((w) => w.busy);
    const timeoutMs = this.options.module.shutdownTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(running.map((w) => w.idle())).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.options.logger.warn(shutdownTimedOut(this.groupId, timeoutMs, running.filter((w) => w.busy).length));
    }
    this.committer.close();
    try {
      await this.committer.flush();
    } catch (error) {
      this.options.logger.warn(`Group "${this.groupId}": final commit failed: ${describeError(error)}`);
    }
    for (const remove of this.removeListeners) remove();
    if (this.rebalanceHold) clearTimeout(this.rebalanceHold);
    await this.consumer.disconnect();
    this.workers.clear();
  }

  // ---- kafkajs callbacks ------------------------------------------------------------------

  private async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    this.heartbeatFn = heartbeat;
    if (this.closing) return;
    // Workers are created at the join; a batch of a partition without one (a fetch that raced a
    // rejoin) is not ours. A partition still loading its stored offset processes nothing either;
    // kafkajs fetches it again.
    const worker = this.workers.get(`${batch.topic}:${batch.partition}`);
    if (!worker || worker.state !== 'ready') return;
    const messages: KafkaMessage[] = [];
    for (const message of batch.messages) {
      if (isStale()) break;
      messages.push(message);
    }
    worker.enqueue(messages);
    if (messages.length > 0) resolveOffset(messages[messages.length - 1].offset);
  }

  private onGroupJoin(memberAssignment: Record<string, number[]>): void {
    this.generation++;
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) assigned.add(`${topic}:${partition}`);
    }
    // Revoked: drop what is queued; a running handler finishes but its offset is not ours to commit.
    for (const [key, worker] of this.workers) {
      if (!assigned.has(key)) {
        this.retire(worker);
        this.workers.delete(key);
      }
    }
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) {
        const existing = this.workers.get(`${topic}:${partition}`);
        if (existing && existing.state !== 'revoked') {
          // The new generation's committed offset may lag ours (a commit dropped while kafkajs was
          // leaving the group): offer it again.
          existing.tracker.forgetCommitted();
          existing.syncFetchPause();
        } else {
          // A worker dropped as lost (fenced) is assigned again: start over from the stored offset.
          if (existing) this.workers.delete(existing.key);
          this.adopt(topic, partition);
        }
      }
    }
    // Kept partitions go on; offsets finished before the rebalance are committed under the new generation.
    this.releaseHeld();
    this.committer.scheduleSoon();
  }

  /**
   * External stores only. kafkajs positions every partition at its Kafka-committed offset after a
   * join, which is not where an external store's consumer is: a partition kept across the join is
   * sought back to where it was fetched up to. A partition this member may have lost meanwhile
   * (it rejoined under a new member id, or the store fenced it off) is dropped and claimed again,
   * so it resumes from the stored offset under a new epoch.
   */
  private regateAfterJoin(memberId: string): void {
    if (this.options.offsetStore.usesKafkaGroupOffsets) return;
    const rejoined = this.memberId !== undefined && this.memberId !== memberId;
    this.memberId = memberId;
    for (const [key, worker] of this.workers) {
      if (worker.state === 'loading' && !rejoined) continue;
      const next = worker.tracker.highestOffset + 1;
      if (worker.state === 'ready' && !rejoined && next > 0) {
        this.consumer.seek({ topic: worker.topic, partition: worker.partition, offset: String(next) });
        continue;
      }
      this.retire(worker);
      this.workers.delete(key);
    }
  }

  /** The store rejected these partitions' offsets as stale: stop processing them; they are claimed again on the next join. */
  private onPartitionsLost(workers: PartitionWorker[]): void {
    for (const worker of workers) {
      this.retire(worker);
      worker.syncFetchPause();
    }
    this.options.logger.warn(partitionsLost(this.groupId, workers));
  }

  /**
   * kafkajs left the group after an error it could not retry. It restarts the consumer (a new join
   * follows) unless `restartOnFailure` said no: either way nothing is dispatched meanwhile, since
   * the partitions may already belong to another member.
   */
  private onCrash(error: unknown, restart: boolean): void {
    for (const worker of this.workers.values()) worker.hold();
    if (this.rebalanceHold) clearTimeout(this.rebalanceHold);
    this.rebalanceHold = null;
    if (restart) {
      this.options.logger.warn(
        `Group "${this.groupId}": the Kafka consumer crashed and restarts (records wait for the new join): ${describeError(error)}`,
      );
    } else {
      this.options.logger.error(consumerCrashed(this.groupId, error));
    }
  }

  private onRebalancing(): void {
    // Stop dispatching until the join tells which partitions stay ours, so records of a partition
    // about to move are not processed here without a chance to be committed.
    const workers = [...this.workers.values()];
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
    for (const worker of this.workers.values()) worker.release();
  }

  /** Revokes a worker, remembering it while its running handler finishes. */
  private retire(worker: PartitionWorker): void {
    worker.revoke();
    if (!worker.busy) return;
    this.retiring.set(worker.key, worker);
    void worker.idle().then(() => {
      if (this.retiring.get(worker.key) === worker) this.retiring.delete(worker.key);
    });
  }

  /**
   * Creates the worker of a newly assigned partition. It is gated (fetch paused, nothing
   * dispatched) until the store's offset is sought, and until a revoked worker of the same
   * partition has finished its running record, so one partition never runs two records at once.
   */
  private adopt(topic: string, partition: number): PartitionWorker {
    const handler = this.options.handlers.get(topic);
    const storeGated = !this.options.offsetStore.usesKafkaGroupOffsets;
    const previous = this.retiring.get(`${topic}:${partition}`);
    const previousDone = previous?.busy ? previous.idle() : null;
    const worker = new PartitionWorker(
      topic,
      partition,
      handler?.options.commit ?? 'auto',
      this,
      this.options.module.maxQueuedMessagesPerPartition,
      this.options.module.redelivery,
      !storeGated && !previousDone,
    );
    this.workers.set(worker.key, worker);
    worker.syncFetchPause();
    if (previousDone) {
      void previousDone.then(() => (storeGated ? this.loadStoredOffset(worker) : worker.markReady()));
    } else if (storeGated) {
      void this.loadStoredOffset(worker);
    }
    return worker;
  }

  private async loadStoredOffset(worker: PartitionWorker): Promise<void> {
    let attempt = 0;
    while (worker.state === 'loading' && !this.closing) {
      try {
        const [stored] = await this.options.offsetStore.load(this.scope, [
          { topic: worker.topic, partition: worker.partition },
        ]);
        if (worker.state !== 'loading') return;
        worker.epoch = stored?.epoch;
        if (stored?.offset !== undefined) {
          this.consumer.seek({ topic: worker.topic, partition: worker.partition, offset: stored.offset });
        }
        worker.markReady();
        return;
      } catch (error) {
        attempt++;
        const delayMs = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        this.options.logger.warn(
          `Group "${this.groupId}": loading the stored offset of ${worker.key} failed (retry in ${delayMs} ms): ${describeError(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }

  // ---- PartitionWorkerHost ----------------------------------------------------------------

  async dispatch(worker: PartitionWorker, message: KafkaMessage): Promise<boolean> {
    const binding = this.bindingOf(worker);
    if (!binding) return true;
    const { handler, deserialize, controls } = binding;
    const ctx = new KafkaConsumerContext([message, worker.topic, worker.partition, this.groupId], controls);
    let data: unknown;
    try {
      data = deserialize(message.value, worker.topic, worker.partition, message.offset);
    } catch (error) {
      worker.lastError = error;
      if (this.options.onDeserializationFailure) return this.options.onDeserializationFailure(handler, ctx, error);
      return false;
    }
    try {
      await handler.invoke(data, ctx);
      return true;
    } catch (error) {
      worker.lastError = error;
      // The handler's transaction was fenced off: the partition has a new owner, nothing to redeliver here.
      if (error instanceof StaleOffsetWriteError) this.onPartitionsLost([worker]);
      return false;
    }
  }

  onRedelivery(worker: PartitionWorker, message: KafkaMessage, delayMs: number): void {
    // The partition is blocked: store what finished before the failing record now, not at the next interval.
    this.committer.scheduleSoon();
    this.options.logger.warn(handlerFailed(worker.topic, worker.partition, message.offset, delayMs, worker.lastError));
  }

  setFetchPaused(worker: PartitionWorker, paused: boolean): void {
    const topicPartitions = [{ topic: worker.topic, partitions: [worker.partition] }];
    try {
      if (paused) this.consumer.pause(topicPartitions);
      else if (!this.closing) this.consumer.resume(topicPartitions);
    } catch (error) {
      this.options.logger.debug?.(
        `Group "${this.groupId}": pause/resume of ${worker.key} failed: ${describeError(error)}`,
      );
    }
  }

  dueAt(worker: PartitionWorker, message: KafkaMessage): number {
    return this.options.handlers.get(worker.topic)?.dueAt?.(message) ?? 0;
  }

  onProgress(_worker: PartitionWorker, idle: boolean): void {
    if (idle) this.committer.scheduleSoon();
    else this.committer.scheduleInterval();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private bindingOf(worker: PartitionWorker): PartitionBinding | undefined {
    let binding = this.bindings.get(worker);
    if (binding) return binding;
    const handler = this.options.handlers.get(worker.topic);
    if (!handler) return undefined;
    binding = {
      handler,
      deserialize: deserializerFor(handler.options.deserializer),
      controls: this.controlsFor(worker, handler),
    };
    this.bindings.set(worker, binding);
    return binding;
  }

  private controlsFor(worker: PartitionWorker, handler: GroupHandler): RecordControls {
    return {
      signal: worker.signal,
      handler,
      commit: async (offset) => {
        if (worker.state === 'revoked') return;
        worker.tracker.acknowledge(Number(offset));
        try {
          await this.committer.flush();
        } catch (error) {
          if (error instanceof StaleOffsetWriteError) throw error;
          // The acknowledgement stands and the next successful commit stores it; failing the record
          // here would run a handler that already succeeded again (retry, dead-letter).
          this.options.logger.warn(commitFailed(this.groupId, error));
          this.committer.scheduleInterval();
        }
      },
      heartbeat: async () => {
        try {
          await this.heartbeatFn?.();
        } catch (error) {
          if (!isRebalanceError(error)) throw error;
        }
      },
      pause: () => worker.pause(),
      resume: () => worker.resume(),
    };
  }

  private pauseFetching(partitions: TopicPartition[]): void {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    try {
      this.consumer.pause([...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })));
    } catch {
      // not running yet: nothing is being fetched
    }
  }

  /** kafkajs calls our listeners synchronously inside its join: never let an error escape there. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.logger.error(`Group "${this.groupId}": ${describeError(error)}`);
    }
  }
}
