import type { TopicPartition } from '../offset-stores/offset-store.js';
import { commitFailedAfterRebalance } from '../kafka-consumer.messages.js';
import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * A `PollingConsumer.commit()` lost a race with a rebalance (Java's `CommitFailedException`):
 * `partitions` were revoked from this consumer (or fenced off by the offset store) before their
 * offsets were stored, so nothing was committed for them. Their records are delivered again,
 * to their new owner, or polled again here when a partition came back. Offsets of partitions
 * this consumer kept were committed. `cause` is the broker's or the store's rejection.
 */
export class CommitFailedError extends KafkaConsumerError {
  constructor(
    readonly groupId: string,
    /** Partitions whose offsets were not committed. */
    readonly partitions: readonly TopicPartition[],
    options?: { cause?: unknown; reason?: string },
  ) {
    super('KAFKA_CONSUMER_COMMIT_FAILED', commitFailedAfterRebalance(groupId, partitions, options?.reason), options);
  }
}
