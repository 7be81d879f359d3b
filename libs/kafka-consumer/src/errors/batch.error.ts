import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * Throw from a batch handler (`@ConsumeTopic(topic, { batch })`) when the record at `index` of
 * the batch failed: the records before it count as processed and are committed, the failed record
 * alone goes through the failure policy (in-process retry as a batch of one, then the dead-letter
 * topic), and the records after it are delivered in the next batch. `cause` is the record's error:
 * it decides retriability (`NonRetriableError`, `retry.nonRetriable`) and fills the dead-letter headers.
 */
export class BatchError extends KafkaConsumerError {
  constructor(
    /** 0-based index, in the batch, of the record that failed. */
    readonly index: number,
    cause: unknown,
  ) {
    super(
      'KAFKA_CONSUMER_BATCH_RECORD_FAILED',
      `Record ${index} of the batch failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
