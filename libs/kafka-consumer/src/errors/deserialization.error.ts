import { KafkaConsumerError } from './kafka-consumer.error.js';

/** A record's value could not be deserialized. Never retried: it goes to the dead-letter topic when enabled. */
export class DeserializationError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_DESERIALIZATION', message, { cause });
  }
}
