import { UseInterceptors } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { CommitInterceptor } from '../interceptors/commit.interceptor.js';
import { DeadLetterInterceptor } from '../interceptors/dead-letter.interceptor.js';
import { RetryInterceptor } from '../interceptors/retry.interceptor.js';
import { KAFKA_CONSUMER_TRANSPORT } from '../kafka-consumer.constants.js';
import type { ConsumeTopicOptions } from '../kafka-consumer.options.js';

/** The route of one handler: a topic, and the group when the handler names one. */
export interface ConsumeTopicPattern {
  topic: string;
  groupId?: string;
}

/** What `@ConsumeTopic` leaves in the handler's extras for `KafkaConsumerServer`. */
export interface ConsumeTopicExtras {
  kafkaConsumer: true;
  handlerName: string;
  options: ConsumeTopicOptions;
}

/**
 * Consumes `topic` (or each of `topics`) in a consumer group: the method is invoked once per
 * record through Nest's pipeline (guards, interceptors, pipes, filters), and the record's offset
 * is committed after it returns (`commit: 'auto'`) or when it calls `ctx.commit()` (`'manual'`).
 *
 * Options are validated when the server starts listening; unset ones come from `forRoot`.
 */
export function ConsumeTopic(topics: string | string[], options: ConsumeTopicOptions = {}): MethodDecorator {
  const list = Array.isArray(topics) ? topics : [topics];
  const patterns: ConsumeTopicPattern[] = list.map((topic) =>
    options.groupId === undefined ? { topic } : { topic, groupId: options.groupId },
  );
  return (target, key, descriptor) => {
    const extras: ConsumeTopicExtras = {
      kafkaConsumer: true,
      handlerName: `${(target as { constructor: { name: string } }).constructor.name}.${String(key)}`,
      options,
    };
    EventPattern(patterns, KAFKA_CONSUMER_TRANSPORT, extras as unknown as Record<string, unknown>)(
      target,
      key,
      descriptor,
    );
    // Outermost first: commit sees the outcome after dead-lettering, which sees it after the retries.
    UseInterceptors(CommitInterceptor, DeadLetterInterceptor, RetryInterceptor)(target, key, descriptor);
  };
}
