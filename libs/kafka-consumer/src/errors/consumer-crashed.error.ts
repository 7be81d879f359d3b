import { pollingConsumerCrashed } from '../kafka-consumer.messages.js';
import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * The kafkajs consumer behind a `PollingConsumer` stopped on an error and does not restart
 * (its `retry.restartOnFailure` said no, or the error is not retriable): it left the group and
 * fetches nothing more. `poll()` and `commit()` reject with this error; `close()` the consumer and
 * create a new one. `cause` is kafkajs' error.
 */
export class ConsumerCrashedError extends KafkaConsumerError {
  constructor(
    readonly groupId: string,
    cause: unknown,
  ) {
    super('KAFKA_CONSUMER_CRASHED', pollingConsumerCrashed(groupId, cause), { cause });
  }
}
