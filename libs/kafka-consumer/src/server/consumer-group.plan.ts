import type { Type } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ConsumeTopicOptions, ResolvedHandlerOptions, ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { resolveHandlerOptions } from '../kafka-consumer.options.js';
import {
  conflictingGroupOption,
  duplicateHandler,
  invalidOption,
  missingGroupId,
  routedTopicOption,
} from '../kafka-consumer.messages.js';
import { buildRouter, type RouteEntry } from './handler-routes.js';
import type { OffsetStore } from '../offset-stores/offset-store.js';
import type { ConsumeTopicExtras, ConsumeTopicPattern } from '../decorators/consume-topic.decorator.js';

/** A handler as `addHandler` received it. */
export interface HandlerDefinition<H = unknown> {
  readonly topic: unknown;
  readonly name: string;
  readonly options: ConsumeTopicOptions;
  readonly callback: H;
  /** Not declared with `@ConsumeTopic`: another transport's handler, which `planGroups` leaves alone. */
  readonly foreign?: boolean;
}

/**
 * What Nest's `addHandler(pattern, callback, isEventHandler, extras)` hands a transport, as a definition.
 *
 * Nest gives every transport of an app each handler that names no transport (e.g. a TCP
 * `@MessagePattern({ cmd: 'sum' })` or an `@EventPattern('user.created')` of a Redis transport),
 * and does not tell the transport which handlers were bound to it. Only `@ConsumeTopic` handlers
 * (recognised by their extras) are therefore ours; the others are marked foreign.
 */
export function handlerDefinition<H>(
  pattern: unknown,
  callback: H,
  extras: Record<string, unknown>,
): HandlerDefinition<H> {
  if ((extras as Partial<ConsumeTopicExtras>).kafkaConsumer === true) {
    const { handlerName, options } = extras as unknown as ConsumeTopicExtras;
    return { topic: (pattern as ConsumeTopicPattern).topic, name: handlerName, options, callback };
  }
  return { topic: undefined, name: 'a handler of another transport', options: {}, callback, foreign: true };
}

export interface PlannedHandler<H = unknown> {
  readonly topic: string;
  readonly name: string;
  readonly options: ResolvedHandlerOptions;
  readonly callback: H;
  /** Routed topics: the other handlers of this topic in this group (this one is the first declared). */
  routes?: PlannedHandler<H>[];
}

export interface PlannedGroup<H = unknown> {
  readonly groupId: string;
  readonly offsetStore?: Type<OffsetStore>;
  /** False: the group joins only on `KafkaConsumerRegistry.startGroup()`. */
  readonly autoStartup: boolean;
  readonly handlers: Map<string, PlannedHandler<H>>;
}

/**
 * Validates every handler and groups them by consumer group. Throws `InvalidOptionsError` for a
 * bad topic or option, a handler without a group, two handlers of one topic in one group, or
 * handlers of one group that disagree on its offset store or `autoStartup`.
 */
export function planGroups<H>(
  definitions: readonly HandlerDefinition<H>[],
  module: ResolvedModuleOptions,
): PlannedGroup<H>[] {
  const groups = new Map<string, PlannedGroup<H>>();
  for (const definition of definitions) {
    if (definition.foreign === true) continue;
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
      group = {
        groupId: options.groupId,
        offsetStore: options.offsetStore,
        autoStartup: options.autoStartup,
        handlers: new Map(),
      };
      groups.set(options.groupId, group);
    } else if (group.offsetStore !== options.offsetStore) {
      throw new InvalidOptionsError(
        conflictingGroupOption(options.groupId, 'offsetStore', group.offsetStore, options.offsetStore),
      );
    } else if (group.autoStartup !== options.autoStartup) {
      throw new InvalidOptionsError(
        conflictingGroupOption(options.groupId, 'autoStartup', group.autoStartup, options.autoStartup),
      );
    }
    const planned: PlannedHandler<H> = { topic, name, options, callback: definition.callback };
    const existing = group.handlers.get(topic);
    // A routed handler gets a router even alone: records its route does not take are unrouted.
    if (!existing) group.handlers.set(topic, options.route ? { ...planned, routes: [] } : planned);
    else if (!existing.routes && !existing.options.route && !options.route) {
      throw new InvalidOptionsError(duplicateHandler(topic, options.groupId, existing.name, name));
    } else {
      checkRoutedOptions(existing, planned);
      (existing.routes ??= []).push(planned);
    }
  }
  for (const group of groups.values()) {
    for (const handler of group.handlers.values()) {
      if (!handler.routes) continue;
      const router = buildRouter(handler.topic, group.groupId, routeEntries(handler));
      if (router.unrouted === 'dead-letter' && !handler.options.deadLetter) {
        throw new InvalidOptionsError(routedTopicOption(handler.topic, group.groupId, handler.name, 'deadLetter'));
      }
    }
  }
  return [...groups.values()];
}

/** The handlers of a routed topic as router entries, the first declared first. */
export function routeEntries<H>(first: PlannedHandler<H>): RouteEntry<PlannedHandler<H>>[] {
  return [first, ...(first.routes ?? [])].map((handler) => ({
    handler,
    name: handler.name,
    route: handler.options.route,
    unrouted: handler.options.unrouted,
  }));
}

/** Handlers of one topic in one group share its consumer and its decoding: what they must agree on. */
function checkRoutedOptions(first: PlannedHandler<unknown>, other: PlannedHandler<unknown>): void {
  const { topic } = first;
  const a = first.options;
  const b = other.options;
  const dlt = (o: ResolvedHandlerOptions) => (o.deadLetter ? o.deadLetter.topic(topic) : false);
  const disagreement =
    a.retryTopics || b.retryTopics
      ? 'retryTopics'
      : a.deserializer !== b.deserializer
        ? 'deserializer'
        : a.fromBeginning !== b.fromBeginning
          ? 'fromBeginning'
          : dlt(a) !== dlt(b)
            ? 'deadLetter'
            : undefined;
  if (disagreement) {
    throw new InvalidOptionsError(routedTopicOption(topic, a.groupId, other.name, disagreement));
  }
}
