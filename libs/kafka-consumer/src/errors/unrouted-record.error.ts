import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * A record of a routed topic that no route takes (and no handler without a route receives). With
 * `unrouted: 'dead-letter'` it is dead-lettered with this error; with `'skip'` it is committed and logged.
 */
export class UnroutedRecordError extends KafkaConsumerError {
  constructor(
    message: string,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
  ) {
    super('KAFKA_CONSUMER_UNROUTED_RECORD', message);
  }
}
