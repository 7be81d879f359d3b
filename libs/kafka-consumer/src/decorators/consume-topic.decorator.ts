import { UseInterceptors } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { RecordOutcomeInterceptor } from '../interceptors/record-outcome.interceptor.js';
import { RetryInterceptor } from '../interceptors/retry.interceptor.js';
import { KAFKA_CONSUMER_TRANSPORT } from '../kafka-consumer.constants.js';
import type { ConsumeTopicOptions } from '../kafka-consumer.options.js';

/** The route of one handler: a topic, and the group when the handler names one. */
export interface ConsumeTopicPattern {
  topic: string;
  groupId?: string;
  /** Routed handlers: tells apart their patterns, which Nest would otherwise chain as one event's handlers. */
  route?: string;
}

/**
 * The interceptors `@ConsumeTopic` binds, outermost first: the outcome (dead-letter, retry topic,
 * skip, redeliver) is settled after the retries. A handler with these and nothing else of the
 * user's is called without Nest's per-record interceptor chain (`server/lean-path.ts`).
 */
export const DEFAULT_INTERCEPTORS = [RecordOutcomeInterceptor, RetryInterceptor] as const;

let routeSequence = 0;

function routeKey(route: ConsumeTopicOptions['route']): string | undefined {
  if (route === undefined || route === null || typeof route !== 'object') return undefined;
  const what = 'payloadType' in route ? `type:${route.payloadType?.name}` : `${route.header}=${String(route.value)}`;
  return `${what}#${++routeSequence}`;
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
  const route = routeKey(options.route);
  const patterns: ConsumeTopicPattern[] = list.map((topic) => ({
    topic,
    ...(options.groupId !== undefined && { groupId: options.groupId }),
    ...(route !== undefined && { route }),
  }));
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
    UseInterceptors(...DEFAULT_INTERCEPTORS)(target, key, descriptor);
  };
}
