import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * At startup, SASL authentication failed: the broker rejected the credentials, or its listener
 * does not use SASL while `client.sasl` is set. Not retried. The message never shows credentials.
 */
export class BrokerAuthenticationError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly brokers: readonly string[],
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_BROKER_AUTHENTICATION', message, { cause });
  }
}
