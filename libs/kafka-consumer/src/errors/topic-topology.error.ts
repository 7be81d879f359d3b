import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * At startup, a dead-letter or retry topic is missing or has fewer partitions than its source
 * topic. The message names each topic and what to do.
 */
export class TopicTopologyError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly topics: readonly string[],
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_TOPIC_TOPOLOGY', message, { cause });
  }
}
