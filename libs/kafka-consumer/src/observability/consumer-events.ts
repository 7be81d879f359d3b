import type { TopicPartition } from '../offset-stores/offset-store.js';

/**
 * State of one consumer group member (and, aggregated over groups, of `KafkaConsumerServer.status`):
 * `connecting` until its first join, `connected` while it consumes, `rebalancing` between a
 * rebalance and the next join, `crashed` after kafkajs stopped on an error (until a restart joins
 * again), `disconnected` once closed.
 */
export type KafkaConsumerStatus = 'connecting' | 'connected' | 'rebalancing' | 'crashed' | 'disconnected';

/** Why a partition cannot move past a record. */
export type BlockReason =
  /** The record failed, its retries are used up and it has nowhere to go (`exhausted: 'redeliver'`). */
  | 'exhausted'
  /** A guard refused the record and its `refused` policy redelivers it. */
  | 'refused'
  /** Writing the record to its dead-letter or retry topic failed. */
  | 'dead-letter-failed'
  /** The `exhausted.onSkip` hook failed. */
  | 'skip-hook-failed'
  /** A retry-topic record is not due yet (by design: never counts against health). */
  | 'waiting-for-due-time'
  /** The offset store does not answer (commits or the stored-offset load fail). */
  | 'offset-store-unavailable';

/** A partition that cannot move past `offset`, and since when. */
export interface BlockedPartition {
  readonly groupId: string;
  readonly topic: string;
  /** -1 for a group-wide block (offset store down). */
  readonly partition: number;
  /** The record the partition waits on (empty for a group-wide block). */
  readonly offset: string;
  readonly reason: BlockReason;
  /** Epoch ms of the first failure of this record (or when the wait began). */
  readonly since: number;
  /** Epoch ms of the next attempt, when known (redelivery backoff, retry-topic due time). */
  readonly retryAt?: number;
  /** Redeliveries of this record so far. */
  readonly redeliveries: number;
  /** The last error, if any. */
  readonly error?: unknown;
}

interface GroupEvent {
  readonly groupId: string;
}

interface RecordEvent extends GroupEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Every event of `KafkaConsumerServer.on(event, callback)` and `@OnConsumerEvent(event)`, with its payload. */
export interface KafkaConsumerEvents {
  /** The group's join completed: this member consumes (first join, after a rebalance or a crash). */
  connected: GroupEvent & { readonly generation: number };
  /** The group member left and disconnected (`close()`). */
  disconnected: GroupEvent;
  /** A rebalance started: nothing new is dispatched until the next join. */
  rebalancing: GroupEvent;
  /** kafkajs stopped on an error; `onCrash` decides what follows (`action`). */
  crashed: GroupEvent & { readonly error: unknown; readonly action: 'restart' | 'exit'; readonly restartInMs?: number };
  /** Partitions newly assigned to this member at a join. */
  'partitions.assigned': GroupEvent & { readonly generation: number; readonly partitions: TopicPartition[] };
  /** Partitions taken from this member by a rebalance (their queued records are dropped). */
  'partitions.revoked': GroupEvent & { readonly partitions: TopicPartition[] };
  /** Partitions this member lost without a rebalance: the consumer crashed, or the offset store fenced it off. */
  'partitions.lost': GroupEvent & { readonly partitions: TopicPartition[]; readonly reason: 'crashed' | 'fenced' };
  /** A record was processed (its handler succeeded). */
  'record.processed': RecordEvent & { readonly durationMs: number };
  /**
   * A record's handler (or its decoding) failed after in-process retries. `outcome` tells what
   * became of it: dead-lettered, forwarded to a retry topic, skipped, or redelivered (its partition waits).
   */
  'record.failed': RecordEvent & {
    readonly outcome: 'dead-lettered' | 'forwarded' | 'skipped' | 'redeliver' | 'fenced';
    readonly reason?: string;
    readonly error: unknown;
    readonly durationMs: number;
  };
  /** A failed record was written to its dead-letter topic (its offset is committed). */
  'record.dead-lettered': RecordEvent & { readonly deadLetterTopic: string; readonly error: unknown };
  /** A partition cannot move past a record (see `BlockedPartition`). */
  'partition.blocked': BlockedPartition;
  /** A blocked partition moved on; `blockedMs` it was blocked for. */
  'partition.unblocked': GroupEvent & {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly blockedMs: number;
  };
  /** Offsets of `partitions` partitions were stored in the offset store, taking `durationMs`. */
  'offsets.committed': GroupEvent & { readonly partitions: number; readonly durationMs: number };
  /** Storing offsets failed (the store is down, or a rebalance is in progress). */
  'offsets.commit-failed': GroupEvent & { readonly error: unknown; readonly durationMs: number };
}

/** Name of a consumer event. */
export type KafkaConsumerEventName = keyof KafkaConsumerEvents;

/** A callback of `on(event, callback)`; a rejected promise or a throw is logged, never propagated. */
export type KafkaConsumerEventListener<E extends KafkaConsumerEventName> = (
  payload: KafkaConsumerEvents[E],
) => void | Promise<void>;

/** Every event name, in a stable order (validation, docs). */
export const KAFKA_CONSUMER_EVENT_NAMES: readonly KafkaConsumerEventName[] = [
  'connected',
  'disconnected',
  'rebalancing',
  'crashed',
  'partitions.assigned',
  'partitions.revoked',
  'partitions.lost',
  'record.processed',
  'record.failed',
  'record.dead-lettered',
  'partition.blocked',
  'partition.unblocked',
  'offsets.committed',
  'offsets.commit-failed',
];
