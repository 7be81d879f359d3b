import { offsetStoreTimedOut } from '../kafka-consumer.messages.js';
import { KafkaConsumerError } from './kafka-consumer.error.js';

/**
 * An offset-store call did not settle within its timeout (`offsetStoreSaveTimeoutMs` for `save`,
 * `offsetStoreLoadTimeoutMs` for `load`), e.g. a database behind a connection that drops packets.
 * The call is abandoned (it may still complete: stores only move offsets forward) and the commit
 * or claim is tried again.
 */
export class OffsetStoreTimeoutError extends KafkaConsumerError {
  constructor(
    readonly groupId: string,
    readonly operation: 'save' | 'load',
    readonly timeoutMs: number,
  ) {
    super('KAFKA_CONSUMER_OFFSET_STORE_TIMEOUT', offsetStoreTimedOut(groupId, operation, timeoutMs));
  }
}
