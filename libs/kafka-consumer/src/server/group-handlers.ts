import type { ModuleRef } from '@nestjs/core';
import type { MessageHandler } from '@nestjs/microservices';
import type { Kafka } from 'kafkajs';
import { KeyOrderedChain } from '../retry-topics/key-ordered-chain.js';
import { retryTopicHandlers } from '../retry-topics/retry-topic.handlers.js';
import type { FailureSettlement } from '../retry/failure-settlement.js';
import { resolveDeserializer } from '../serialization/deserializer-class.js';
import type { PlannedGroup, PlannedHandler } from './consumer-group.plan.js';
import type { GroupHandler } from './consumer-group.runner.js';
import type { RecordInvoker } from './record-invoker.js';
import { routedHandler } from './routed-handler.js';

/** What wiring a group's handlers needs from the server. */
export interface GroupHandlerDeps {
  readonly kafka: Kafka;
  readonly moduleRef: ModuleRef;
  readonly invoker: RecordInvoker;
  readonly failures: FailureSettlement;
}

/**
 * The handler of each topic a planned group consumes, by topic, as its runner dispatches to them:
 * the Nest handler run by the record invoker with its (DI-resolved) deserializer, a router for a
 * routed topic, the key-ordered retry chain around it, and one handler per retry topic.
 */
export async function buildGroupHandlers(
  group: PlannedGroup<MessageHandler>,
  deps: GroupHandlerDeps,
): Promise<Map<string, GroupHandler>> {
  const { kafka, moduleRef, invoker, failures } = deps;
  const handlers = new Map<string, GroupHandler>();
  for (const planned of group.handlers.values()) {
    const deserialize = await resolveDeserializer(planned.options.deserializer, moduleRef);
    const groupHandler = (p: PlannedHandler<MessageHandler>): GroupHandler => ({
      topic: p.topic,
      name: p.name,
      options: p.options,
      deserialize,
      invoke: (data, ctx) => invoker.invoke(p.callback, data, ctx),
      ...(p.options.batch && {
        invokeBatch: (data, ctx) => invoker.invokeBatch(p.callback, data, ctx),
      }),
    });
    const handler = planned.routes ? routedHandler(group.groupId, planned, groupHandler) : groupHandler(planned);
    const chain = planned.options.retryTopics?.keyOrdered
      ? new KeyOrderedChain(kafka, group.groupId, planned.topic, planned.options.retryTopics.delaysMs, (ctx, reason) =>
          failures.forward(ctx, reason),
        )
      : undefined;
    handlers.set(planned.topic, chain ? chain.wrap(handler, 0) : handler);
    for (const retryHandler of retryTopicHandlers(handler, group.groupId)) {
      const stage = retryHandler.retryStage?.stage ?? 0;
      handlers.set(retryHandler.topic, chain ? chain.wrap(retryHandler, stage) : retryHandler);
    }
  }
  return handlers;
}
