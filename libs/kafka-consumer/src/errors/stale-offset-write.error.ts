import type { TopicPartition } from '../offset-stores/offset-store.js';
import { staleOffsetWrite } from '../kafka-consumer.messages.js';
import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * An offset store rejected a save because another member claimed the partitions since this one
 * loaded them (its epoch is older). Not a failure of the consumer: the server drops those
 * partitions, commits nothing for them, and the new owner continues from what is stored.
 */
export class StaleOffsetWriteError extends KafkaConsumerError {
  constructor(
    readonly groupId: string,
    /** Partitions whose save was rejected. */
    readonly partitions: readonly TopicPartition[],
  ) {
    super('KAFKA_CONSUMER_STALE_OFFSET_WRITE', staleOffsetWrite(groupId, partitions));
  }
}
