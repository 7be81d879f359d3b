import { KafkaConsumerError } from './kafka-consumer.error.js';

/** A module or handler option is wrong; thrown at startup. */
export class InvalidOptionsError extends KafkaConsumerError {
  constructor(message: string) {
    super('KAFKA_CONSUMER_INVALID_OPTIONS', message);
  }
}
