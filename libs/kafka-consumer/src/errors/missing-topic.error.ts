import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * At startup, a topic a handler consumes does not exist and `missingTopics` is `'fail'` (the
 * default). The message names each topic with its handler and group, and what to do.
 */
export class MissingTopicError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly topics: readonly string[],
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_MISSING_TOPIC', message, { cause });
  }
}
