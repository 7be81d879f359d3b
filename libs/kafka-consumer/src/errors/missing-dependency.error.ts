import { missingDependency } from '../kafka-consumer.messages.js';
import { KafkaConsumerError } from './kafka-consumer.error.js';

/** An optional peer dependency (`pg`, `ioredis`) that the configured offset store needs is not installed. */
export class MissingDependencyError extends KafkaConsumerError {
  constructor(
    readonly packageName: string,
    usedBy: string,
    cause?: unknown,
  ) {
    super('KAFKA_CONSUMER_MISSING_DEPENDENCY', missingDependency(packageName, usedBy), { cause });
  }
}
