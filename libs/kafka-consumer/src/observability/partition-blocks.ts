import type { BlockedPartition, BlockReason } from './consumer-events.js';

/** What a record's failure tells about its partition (pure input, no kafkajs). */
export interface BlockUpdate {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: BlockReason;
  readonly error?: unknown;
  readonly retryAt?: number;
}

/**
 * The partitions of one group that cannot move past a record, and since when: a record
 * redelivered keeps the time of its first failure, so "blocked for" grows across redeliveries.
 * Pure bookkeeping; the group monitor turns changes into events.
 */
export class PartitionBlocks {
  private readonly blocks = new Map<string, BlockedPartition>();

  constructor(private readonly groupId: string) {}

  get size(): number {
    return this.blocks.size;
  }

  /**
   * Records that the partition waits on `update.offset`. Returns the entry when the partition
   * was not blocked on this record before (a new block to announce), else null.
   */
  block(update: BlockUpdate, now: number): BlockedPartition | null {
    const key = `${update.topic}:${update.partition}`;
    const current = this.blocks.get(key);
    const same = current?.offset === update.offset;
    const entry: BlockedPartition = {
      groupId: this.groupId,
      topic: update.topic,
      partition: update.partition,
      offset: update.offset,
      reason: update.reason,
      since: same ? current.since : now,
      redeliveries: same ? current.redeliveries + (update.reason === 'waiting-for-due-time' ? 0 : 1) : 0,
      ...(update.retryAt !== undefined && { retryAt: update.retryAt }),
      ...(update.error !== undefined && { error: update.error }),
    };
    this.blocks.set(key, entry);
    return same && current.reason === update.reason ? null : entry;
  }

  /** Sets the time of the next attempt of the record the partition is blocked on. */
  retryAt(topic: string, partition: number, offset: string, at: number): void {
    const key = `${topic}:${partition}`;
    const current = this.blocks.get(key);
    if (current?.offset === offset) this.blocks.set(key, { ...current, retryAt: at });
  }

  /** The partition moved on (or is no longer ours): returns the block it left, if any. */
  unblock(topic: string, partition: number): BlockedPartition | null {
    if (this.blocks.size === 0) return null;
    const key = `${topic}:${partition}`;
    const current = this.blocks.get(key);
    if (!current) return null;
    this.blocks.delete(key);
    return current;
  }

  /** Forgets every block of a partition not in `keep` (revoked, lost). */
  retain(keep: ReadonlySet<string>): BlockedPartition[] {
    const dropped: BlockedPartition[] = [];
    for (const [key, entry] of this.blocks) {
      if (keep.has(key)) continue;
      this.blocks.delete(key);
      dropped.push(entry);
    }
    return dropped;
  }

  list(): BlockedPartition[] {
    return [...this.blocks.values()];
  }
}
