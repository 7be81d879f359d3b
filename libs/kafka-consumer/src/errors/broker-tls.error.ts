import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * At startup, the TLS handshake with a broker failed: `client.ssl` is set for a plaintext
 * listener, or the broker's certificate is not trusted. Not retried: it does not fix itself.
 */
export class BrokerTlsError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly brokers: readonly string[],
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_BROKER_TLS', message, { cause });
  }
}
