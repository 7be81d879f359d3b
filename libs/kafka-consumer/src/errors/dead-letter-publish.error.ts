import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * A failed record could not be written to its dead-letter or retry topic. The source record stays
 * uncommitted and is delivered again later; `cause` is the producer's error.
 */
export class DeadLetterPublishError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly destination: string,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_DEAD_LETTER_PUBLISH', message, { cause });
  }
}
