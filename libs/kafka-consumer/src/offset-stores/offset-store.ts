import type { Consumer } from 'kafkajs';

/** A topic partition. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The next offset to read for a partition (always last processed offset + 1), as Kafka writes offsets: a string. */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: string;
  /**
   * Fencing token the store returned from `load` for this partition; passed back on `save` so a
   * member that lost the partition cannot overwrite the new owner's progress.
   */
  readonly epoch?: number;
}

/**
 * A partition `load` claimed: its stored next offset (absent when nothing is stored yet: the
 * consumer then starts from the group's Kafka-committed offset, else `fromBeginning`) and the
 * fencing epoch of this claim.
 */
export interface ClaimedPartition extends TopicPartition {
  readonly offset?: string;
  readonly epoch?: number;
}

/** What a store knows about the group member calling it. */
export interface OffsetStoreScope {
  /** Consumer group id. */
  readonly groupId: string;
  /** The group's kafkajs consumer. */
  readonly consumer: Consumer;
  /**
   * Commits to the group's offsets in Kafka under the generation the commit was computed in, and
   * never again once the member rejoined (what `KafkaOffsetStore` uses; set by the library).
   */
  readonly commitOffsets?: (offsets: readonly TopicPartitionOffset[]) => Promise<void>;
}

/**
 * Where a consumer group's offsets live. This abstract class is also the DI token: extend it,
 * decorate with `@Injectable()`, and pass the class as `offsetStore`.
 *
 * Guarantees the server relies on:
 * - `save` receives offsets that are always *last processed offset + 1*, only ever moving forward
 *   for a partition while this member owns it, and only after every earlier record was processed.
 * - `load` runs when partitions are assigned, before any of their records is processed; the
 *   consumer seeks to the offsets it returns. A partition it does not return falls back to the
 *   group's Kafka-committed offset, else to `fromBeginning`.
 * - A store that fences (returns an `epoch` from `load`) must reject a `save` whose epoch is older
 *   than the partition's current owner, with `StaleOffsetWriteError` naming those partitions; the
 *   server then drops them (another member owns them) and saves the others again.
 * - `connect` runs once at `listen()` before any group starts (a rejection fails bootstrap);
 *   `disconnect` runs once after every group has left.
 */
export abstract class OffsetStore {
  /**
   * True when positions live in Kafka's group offsets, so kafkajs positions newly assigned
   * partitions itself and `load` is not needed. Default false.
   */
  get usesKafkaGroupOffsets(): boolean {
    return false;
  }

  /**
   * Claims `partitions` for this member and returns their stored next offsets. A partition may be
   * omitted, or returned without `offset`, when nothing is stored for it.
   */
  abstract load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]>;

  /** Stores next offsets. Must be atomic per call. */
  abstract save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void>;

  /** Opens connections and checks the store is reachable; rejects with a clear error when not. Default: nothing. */
  async connect(): Promise<void> {}

  /** Releases what `connect` opened (never a client the user passed in). Default: nothing. */
  async disconnect(): Promise<void> {}
}
