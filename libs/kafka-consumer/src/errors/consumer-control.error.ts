import { KafkaConsumerError } from './kafka-consumer.error.js';

/** Why a `KafkaConsumerRegistry` call was refused. */
export type ConsumerControlFailure =
  | 'unknown-group'
  | 'unknown-topic'
  | 'partition-not-assigned'
  | 'partition-not-ready'
  | 'group-not-running'
  | 'invalid-argument'
  | 'seek-failed'
  | 'seek-backwards-unsupported';

/** A runtime-control call (`pause`, `seek`, `startGroup`, ...) named something this app cannot act on. */
export class ConsumerControlError extends KafkaConsumerError {
  constructor(
    readonly reason: ConsumerControlFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('KAFKA_CONSUMER_CONTROL', message, options);
  }
}
