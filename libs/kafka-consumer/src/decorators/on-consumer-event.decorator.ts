import { ON_CONSUMER_EVENT_METADATA } from '../kafka-consumer.constants.js';
import type { KafkaConsumerEventName } from '../observability/consumer-events.js';

/** One `@OnConsumerEvent` of a method. */
export interface ConsumerEventSubscription {
  readonly event: KafkaConsumerEventName;
  /** Only events of this consumer group. Default: every group. */
  readonly groupId?: string;
}

/**
 * Calls the decorated provider method with the payload of every `event` of the consumer groups
 * (see `KafkaConsumerEvents`), from application bootstrap on; `groupId` narrows it to one group.
 * A method that throws or rejects is logged, never propagated into the consumer.
 *
 * ```ts
 * @OnConsumerEvent('partitions.assigned')
 * onAssigned({ groupId, partitions }: KafkaConsumerEvents['partitions.assigned']) { ... }
 * ```
 */
export function OnConsumerEvent(event: KafkaConsumerEventName, options: { groupId?: string } = {}): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const existing = (Reflect.getMetadata(ON_CONSUMER_EVENT_METADATA, method) ?? []) as ConsumerEventSubscription[];
    const subscription: ConsumerEventSubscription = { event, ...(options.groupId && { groupId: options.groupId }) };
    Reflect.defineMetadata(ON_CONSUMER_EVENT_METADATA, [...existing, subscription], method);
    return descriptor;
  };
}
