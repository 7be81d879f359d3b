import type { KafkaMessage } from 'kafkajs';
import type { RecordOutcome } from '../retry/record-outcome.js';

/** A partition as the engine hands it to the observer (a partition worker fits). */
export interface ObservedPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * What the consumer-group engine tells observability: the one small interface passed into the
 * runner, dispatcher and committer. Per-record calls (`settled`) must stay cheap: the monitor
 * builds no payload unless something listens.
 */
export interface GroupObserver {
  /** A join completed: `adopted` are new to this member, `revoked` left it. */
  joined(generation: number, adopted: readonly ObservedPartition[], revoked: readonly string[]): void;
  rebalancing(): void;
  /** kafkajs stopped on an error (`restarting`: it rejoins by itself); `lost` are the partitions this member held. */
  crashed(error: unknown, restarting: boolean, lost: readonly string[]): void;
  /** The offset store fenced this member off these partitions. */
  fenced(partitions: readonly ObservedPartition[]): void;
  disconnected(): void;
  /** A fetch of the partition returned; `highWatermark` is its log end for this consumer. */
  fetched(topic: string, partition: number, highWatermark: string): void;
  /** A record ran (`startedAt` from `performance.now()`), with this outcome. */
  settled(partition: ObservedPartition, message: KafkaMessage, outcome: RecordOutcome, startedAt: number): void;
  /** A failed record is delivered again in `delayMs`. */
  redeliveryScheduled(partition: ObservedPartition, message: KafkaMessage, delayMs: number): void;
  /** A retry-topic record is not due before `dueAt` (epoch ms): its partition waits. */
  waitingUntil(partition: ObservedPartition, message: KafkaMessage, dueAt: number): void;
  /** The external offset store failed to load a newly assigned partition's offset; tried again in `retryInMs`. */
  offsetLoadFailed(partition: ObservedPartition, error: unknown, retryInMs: number): void;
  /** The partition's stored offset was loaded: it starts. */
  offsetLoaded(partition: ObservedPartition): void;
  /** Offsets of `partitions` partitions stored, in `durationMs`. */
  committed(partitions: number, durationMs: number): void;
  commitFailed(error: unknown, durationMs: number): void;
}

/** The observer of an engine built without observability (unit tests, the testing harness). */
export const NO_OBSERVER: GroupObserver = {
  joined: () => undefined,
  rebalancing: () => undefined,
  crashed: () => undefined,
  fenced: () => undefined,
  disconnected: () => undefined,
  fetched: () => undefined,
  settled: () => undefined,
  redeliveryScheduled: () => undefined,
  waitingUntil: () => undefined,
  offsetLoadFailed: () => undefined,
  offsetLoaded: () => undefined,
  committed: () => undefined,
  commitFailed: () => undefined,
};
