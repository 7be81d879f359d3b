import { KafkaConsumerError } from './kafka-consumer.error.js';

/** An offset store could not be reached (or locked) at startup; bootstrap fails with it. */
export class OffsetStoreUnavailableError extends KafkaConsumerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KAFKA_CONSUMER_OFFSET_STORE_UNAVAILABLE', message, options);
  }
}
