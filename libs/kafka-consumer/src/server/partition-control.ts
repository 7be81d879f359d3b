import { ConsumerControlError } from '../errors/consumer-control.error.js';
import { OffsetStoreTimeoutError } from '../errors/offset-store-timeout.error.js';
import {
  partitionMovedDuringSeek,
  partitionNotAssigned,
  partitionNotReady,
  seekBackwardsUnsupported,
  seekNotStored,
} from '../kafka-consumer.messages.js';
import type { OffsetStore, OffsetStoreScope } from '../offset-stores/offset-store.js';
import type { KafkajsConsumerAdapter } from './kafkajs-consumer.adapter.js';
import type { OffsetCommitter } from './offset-committer.js';
import type { PartitionAssignment } from './partition-assignment.js';
import { partitionKey, type PartitionLifecycle } from './partition-lifecycle.js';
import type { PartitionWorker } from './partition-worker.js';

export interface PartitionControlOptions {
  readonly groupId: string;
  /** Topics paused through the registry; shared with the group's next runner (stop/start keeps them). */
  readonly pausedTopics: Set<string>;
  readonly lifecycle: PartitionLifecycle;
  readonly partitions: PartitionAssignment;
  readonly kafka: KafkajsConsumerAdapter;
  readonly committer: OffsetCommitter;
  readonly offsetStore: OffsetStore;
  readonly scope: OffsetStoreScope;
  readonly saveTimeoutMs: number;
}

/**
 * The registry's hold on one running group: pauses topics (on top of the engine's own backpressure
 * and redelivery pauses: a partition runs only when nobody pauses it) and repositions partitions.
 */
export class PartitionControl {
  constructor(private readonly options: PartitionControlOptions) {}

  /** Offsets live in Kafka's group offsets (readable by an admin client for every partition). */
  get usesKafkaGroupOffsets(): boolean {
    return this.options.offsetStore.usesKafkaGroupOffsets;
  }

  get pausedTopics(): string[] {
    return [...this.options.pausedTopics];
  }

  /** A new worker of a paused topic starts paused (assignments after a rebalance included). */
  onWorkerCreated(worker: PartitionWorker): void {
    if (this.options.pausedTopics.has(worker.topic)) worker.pause('registry');
  }

  pause(topics: readonly string[]): void {
    for (const topic of topics) this.options.pausedTopics.add(topic);
    for (const worker of this.options.partitions.workers.values()) {
      if (topics.includes(worker.topic)) worker.pause('registry');
    }
  }

  resume(topics: readonly string[]): void {
    for (const topic of topics) this.options.pausedTopics.delete(topic);
    for (const worker of this.options.partitions.workers.values()) {
      if (topics.includes(worker.topic)) worker.resume('registry');
    }
  }

  /** Last offset this member stored for each partition it owns (null when none yet), by `topic:partition`. */
  storedOffsets(): Map<string, string | null> {
    const offsets = new Map<string, string | null>();
    for (const worker of this.options.partitions.workers.values()) {
      const stored = worker.tracker.lastCommitted;
      offsets.set(worker.key, stored === null ? null : String(stored));
    }
    return offsets;
  }

  /**
   * Moves a partition this member owns to `offset` (the next record to process): its queued records
   * are dropped, a running handler finishes (its `ctx.signal` aborted, as on a revoke) and is not
   * committed, `offset` is saved through the offset store (so a restart or a rebalance resumes
   * from it too), and a new worker fetches from `offset`. An external store only moves forward:
   * there, a seek behind the partition's position is refused.
   */
  async seek(topic: string, partition: number, offset: string): Promise<void> {
    const { groupId, lifecycle, partitions, kafka } = this.options;
    const key = partitionKey(topic, partition);
    const worker = partitions.workers.get(key);
    if (!worker || lifecycle.phaseOf(key) === undefined) {
      throw new ConsumerControlError(
        'partition-not-assigned',
        partitionNotAssigned(groupId, topic, partition, lifecycle.assigned()),
      );
    }
    if (worker.state !== 'ready') {
      throw new ConsumerControlError('partition-not-ready', partitionNotReady(groupId, topic, partition));
    }
    const { tracker } = worker;
    // Where to go on if the new position cannot be stored: the first record not yet done.
    const resumeAt = tracker.firstPendingOffset ?? (tracker.highestOffset >= 0 ? tracker.highestOffset + 1 : null);
    const position = resumeAt ?? (worker.claimedOffset === undefined ? null : Number(worker.claimedOffset));
    if (!this.usesKafkaGroupOffsets && position !== null && Number(offset) < position) {
      throw new ConsumerControlError(
        'seek-backwards-unsupported',
        seekBackwardsUnsupported(groupId, topic, partition, offset, position),
      );
    }
    if (!lifecycle.restart(key)) {
      throw new ConsumerControlError('partition-not-ready', partitionNotReady(groupId, topic, partition));
    }
    partitions.retire(key);
    kafka.pause([{ topic, partition }]);
    let failure: unknown;
    try {
      // A save that still carries the old worker's offset must land before ours, never after.
      await this.options.committer.flush().catch(() => undefined);
      await this.save({ topic, partition, offset, epoch: worker.epoch });
    } catch (error) {
      failure = error;
    }
    const next = failure === undefined ? offset : resumeAt === null ? null : String(resumeAt);
    if (next !== null) kafka.seek(topic, partition, next);
    const stillOurs = partitions.restart(topic, partition);
    if (failure !== undefined) {
      throw new ConsumerControlError('seek-failed', seekNotStored(groupId, topic, partition, failure), {
        cause: failure,
      });
    }
    if (!stillOurs) {
      throw new ConsumerControlError('partition-not-assigned', partitionMovedDuringSeek(groupId, topic, partition));
    }
  }

  private save(offset: { topic: string; partition: number; offset: string; epoch?: number }): Promise<void> {
    const { offsetStore, scope, saveTimeoutMs, groupId } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OffsetStoreTimeoutError(groupId, 'save', saveTimeoutMs)), saveTimeoutMs);
      timer.unref();
    });
    return Promise.race([offsetStore.save(scope, [offset]), timeout]).finally(() => clearTimeout(timer));
  }
}
