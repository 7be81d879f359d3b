import type { KafkaMessage } from 'kafkajs';
import type { RecordOutcome, RedeliverReason } from '../retry/record-outcome.js';
import { isRebalanceError } from '../server/offset-committer.js';
import type { BlockedPartition, BlockReason } from './consumer-events.js';
import type { ConsumerEventBus } from './consumer-event-bus.js';
import type { PartitionPosition } from './group-monitor.js';
import type { ObservedPartition } from './group-observer.js';
import { PartitionBlocks } from './partition-blocks.js';

const BLOCK_REASONS: Partial<Record<RedeliverReason, BlockReason>> = {
  exhausted: 'exhausted',
  refused: 'refused',
  'recovery-failed': 'dead-letter-failed',
  'skip-hook-failed': 'skip-hook-failed',
};

/** The whole group, in blocks: a failing offset store stops every partition's commits. */
const STORE_TOPIC = '*';

/**
 * The partitions of one consumer group as observability sees them: which are blocked on a record
 * and why, and their high watermarks, kept from the engine's per-record, offset-load and commit
 * reports and turned into the `record.*`, `partition.blocked` / `partition.unblocked` and
 * `offsets.*` events. The group monitor owns one.
 */
export class PartitionMonitor {
  private readonly blocks: PartitionBlocks;
  private readonly highWatermarks = new Map<string, number>();

  constructor(
    private readonly groupId: string,
    private readonly bus: ConsumerEventBus,
    private readonly now: () => number,
  ) {
    this.blocks = new PartitionBlocks(groupId);
  }

  /** The blocked partitions, for the snapshot. */
  blocked(): BlockedPartition[] {
    return this.blocks.list();
  }

  /** The lag of each partition at `positions` (committed, else next to process): null while its log end is unknown. */
  lags(positions: readonly PartitionPosition[]): Array<{ topic: string; partition: number; lag: number | null }> {
    return positions.map(({ topic, partition, committed, next }) => {
      const end = this.highWatermarks.get(`${topic}:${partition}`);
      const position = committed ?? next;
      return { topic, partition, lag: end === undefined || position === null ? null : Math.max(0, end - position) };
    });
  }

  /** Partitions no longer ours: their blocks and high watermarks go (`[]`: all of them). */
  forget(keys: readonly string[]): void {
    const drop = keys.length === 0 ? null : new Set(keys);
    const keep = new Set<string>();
    for (const entry of this.blocks.list()) {
      const key = `${entry.topic}:${entry.partition}`;
      if (drop !== null && !drop.has(key)) keep.add(key);
    }
    this.blocks.retain(keep);
    for (const key of this.highWatermarks.keys()) if (drop === null || drop.has(key)) this.highWatermarks.delete(key);
  }

  /** The offset store fenced this member off these partitions: they are no longer blocked here. */
  fenced(partitions: readonly ObservedPartition[]): void {
    for (const { topic, partition } of partitions) this.blocks.unblock(topic, partition);
  }

  fetched(topic: string, partition: number, highWatermark: string): void {
    const end = Number(highWatermark);
    if (end >= 0) this.highWatermarks.set(`${topic}:${partition}`, end);
  }

  settled(partition: ObservedPartition, message: KafkaMessage, outcome: RecordOutcome, startedAt: number): void {
    const { bus } = this;
    if (outcome.kind === 'processed') {
      // The hot path: no allocation unless a partition is blocked or something listens.
      if (this.blocks.size > 0) this.unblock(partition, message);
      if (bus.listening('record.processed')) this.emitRecord('record.processed', partition, message, startedAt);
      return;
    }
    if (outcome.kind === 'redeliver') {
      const reason = BLOCK_REASONS[outcome.reason];
      const { topic, partition: p } = partition;
      const update = reason && { topic, partition: p, offset: message.offset, reason, error: outcome.error };
      const entry = update ? this.blocks.block(update, this.now()) : null;
      if (entry) bus.emit('partition.blocked', entry);
    } else if (outcome.kind !== 'fenced') {
      this.unblock(partition, message);
    }
    if (bus.listening('record.failed')) {
      const { topic, partition: p } = partition;
      bus.emit('record.failed', {
        groupId: this.groupId,
        topic,
        partition: p,
        offset: message.offset,
        outcome: outcome.kind,
        ...('reason' in outcome && { reason: outcome.reason }),
        error: outcome.error,
        durationMs: performance.now() - startedAt,
      });
    }
    if (outcome.kind === 'dead-lettered' && bus.listening('record.dead-lettered')) {
      bus.emit('record.dead-lettered', {
        groupId: this.groupId,
        topic: partition.topic,
        partition: partition.partition,
        offset: message.offset,
        deadLetterTopic: outcome.topic,
        error: outcome.error,
      });
    }
  }

  redeliveryScheduled(partition: ObservedPartition, message: KafkaMessage, delayMs: number): void {
    this.blocks.retryAt(partition.topic, partition.partition, message.offset, this.now() + delayMs);
  }

  waitingUntil(partition: ObservedPartition, message: KafkaMessage, dueAt: number): void {
    const { topic, partition: p } = partition;
    const update = { topic, partition: p, offset: message.offset, reason: 'waiting-for-due-time' as const };
    const entry = this.blocks.block({ ...update, retryAt: dueAt }, this.now());
    if (entry) this.bus.emit('partition.blocked', entry);
  }

  offsetLoadFailed(partition: ObservedPartition, error: unknown, retryInMs: number): void {
    const { topic, partition: p } = partition;
    const update = { topic, partition: p, offset: '', reason: 'offset-store-unavailable' as const, error };
    const entry = this.blocks.block({ ...update, retryAt: this.now() + retryInMs }, this.now());
    if (entry) this.bus.emit('partition.blocked', entry);
  }

  offsetLoaded(partition: ObservedPartition): void {
    const cleared = this.blocks.size > 0 ? this.blocks.unblock(partition.topic, partition.partition) : null;
    if (cleared) this.emitUnblocked(partition.topic, partition.partition, '', cleared.since);
  }

  committed(partitions: number, durationMs: number): void {
    const { bus, groupId } = this;
    if (this.blocks.size > 0) {
      const cleared = this.blocks.unblock(STORE_TOPIC, -1);
      if (cleared) this.emitUnblocked(cleared.topic, -1, '', cleared.since);
    }
    if (bus.listening('offsets.committed')) bus.emit('offsets.committed', { groupId, partitions, durationMs });
  }

  commitFailed(error: unknown, durationMs: number): void {
    const { bus, groupId } = this;
    if (!isRebalanceError(error)) {
      const update = {
        topic: STORE_TOPIC,
        partition: -1,
        offset: '',
        reason: 'offset-store-unavailable' as const,
        error,
      };
      const entry = this.blocks.block(update, this.now());
      if (entry) bus.emit('partition.blocked', entry);
    }
    if (bus.listening('offsets.commit-failed')) bus.emit('offsets.commit-failed', { groupId, error, durationMs });
  }

  private unblock(partition: ObservedPartition, message: KafkaMessage): void {
    const cleared = this.blocks.unblock(partition.topic, partition.partition);
    if (cleared) this.emitUnblocked(partition.topic, partition.partition, message.offset, cleared.since);
  }

  private emitUnblocked(topic: string, partition: number, offset: string, since: number): void {
    const { bus, groupId } = this;
    if (!bus.listening('partition.unblocked')) return;
    bus.emit('partition.unblocked', { groupId, topic, partition, offset, blockedMs: this.now() - since });
  }

  private emitRecord(
    event: 'record.processed',
    partition: ObservedPartition,
    message: KafkaMessage,
    startedAt: number,
  ) {
    this.bus.emit(event, {
      groupId: this.groupId,
      topic: partition.topic,
      partition: partition.partition,
      offset: message.offset,
      durationMs: performance.now() - startedAt,
    });
  }
}
