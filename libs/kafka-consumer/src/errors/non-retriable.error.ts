import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * Throw from a handler to skip the remaining retry attempts: the record goes straight to the
 * dead-letter topic (when enabled).
 */
export class NonRetriableError extends KafkaConsumerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KAFKA_CONSUMER_NON_RETRIABLE', message, options);
  }
}
