import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * At startup, the broker refused to describe a topic (or the group) to this client's principal:
 * an ACL is missing. The message names the topic or group and the operations the consumer needs.
 */
export class TopicAuthorizationError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly topics: readonly string[],
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_TOPIC_AUTHORIZATION', message, { cause });
  }
}
