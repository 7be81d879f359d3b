import type { Type } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ConsumeTopicOptions, ResolvedHandlerOptions, ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { resolveHandlerOptions } from '../kafka-consumer.options.js';
import { conflictingGroupOption, duplicateHandler, invalidOption, missingGroupId } from '../kafka-consumer.messages.js';
import type { OffsetStore } from '../offset-stores/offset-store.js';
import type { ConsumeTopicExtras, ConsumeTopicPattern } from '../decorators/consume-topic.decorator.js';

/** A handler as `addHandler` received it. */
export interface HandlerDefinition<H = unknown> {
  readonly topic: unknown;
  readonly name: string;
  readonly options: ConsumeTopicOptions;
  readonly callback: H;
}

/** What Nest's `addHandler(pattern, callback, isEventHandler, extras)` hands a transport, as a definition. */
export function handlerDefinition<H>(
  pattern: unknown,
  callback: H,
  extras: Record<string, unknown>,
): HandlerDefinition<H> {
  if ((extras as Partial<ConsumeTopicExtras>).kafkaConsumer === true) {
    const { handlerName, options } = extras as unknown as ConsumeTopicExtras;
    return { topic: (pattern as ConsumeTopicPattern).topic, name: handlerName, options, callback };
  }
  // A plain @EventPattern('topic', KAFKA_CONSUMER_TRANSPORT) handler: module defaults apply.
  const topic = typeof pattern === 'string' ? pattern : (pattern as Partial<ConsumeTopicPattern> | null)?.topic;
  return { topic, name: `@EventPattern(${JSON.stringify(pattern)})`, options: {}, callback };
}

export interface PlannedHandler<H = unknown> {
  readonly topic: string;
  readonly name: string;
  readonly options: ResolvedHandlerOptions;
  readonly callback: H;
}

export interface PlannedGroup<H = unknown> {
  readonly groupId: string;
  readonly offsetStore?: Type<OffsetStore>;
  readonly handlers: Map<string, PlannedHandler<H>>;
}

/**
 * Validates every handler and groups them by consumer group. Throws `InvalidOptionsError` for a
 * bad topic or option, a handler without a group, two handlers of one topic in one group, or
 * handlers of one group that disagree on its offset store.
 */
export function planGroups<H>(
  definitions: readonly HandlerDefinition<H>[],
  module: ResolvedModuleOptions,
): PlannedGroup<H>[] {
  const groups = new Map<string, PlannedGroup<H>>();
  for (const definition of definitions) {
    const { topic, name } = definition;
    if (typeof topic !== 'string' || topic.trim() === '' || !/^[a-zA-Z0-9._-]+$/.test(topic) || topic.length > 249) {
      throw new InvalidOptionsError(
        invalidOption(`${name} topic`, topic, 'a Kafka topic name: 1-249 characters of [a-zA-Z0-9._-]'),
      );
    }
    const resolved = resolveHandlerOptions(`@ConsumeTopic('${topic}') on ${name}:`, definition.options, module);
    if (resolved.groupId === undefined) throw new InvalidOptionsError(missingGroupId(topic, name));
    const options = resolved as ResolvedHandlerOptions;
    let group = groups.get(options.groupId);
    if (!group) {
      group = { groupId: options.groupId, offsetStore: options.offsetStore, handlers: new Map() };
      groups.set(options.groupId, group);
    } else if (group.offsetStore !== options.offsetStore) {
      throw new InvalidOptionsError(
        conflictingGroupOption(options.groupId, 'offsetStore', group.offsetStore, options.offsetStore),
      );
    }
    const existing = group.handlers.get(topic);
    if (existing) throw new InvalidOptionsError(duplicateHandler(topic, options.groupId, existing.name, name));
    group.handlers.set(topic, { topic, name, options, callback: definition.callback });
  }
  return [...groups.values()];
}
