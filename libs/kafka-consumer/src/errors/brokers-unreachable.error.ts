import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * At startup, no broker of `client.brokers` answered within `brokerStartupTimeoutMs` (refused,
 * unknown host, timeout). The message names the brokers and the groups that wait for them.
 */
export class BrokersUnreachableError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly brokers: readonly string[],
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_BROKERS_UNREACHABLE', message, { cause });
  }
}
