import type { KafkaMessage } from 'kafkajs';
import type { GroupHandler } from '../server/consumer-group.runner.js';
import { forwardedBy, retryDueAt, retryTopicNames } from './retry-topics.js';

/**
 * The handlers of a handler's retry topics, in the same group: the same Nest callback, records held
 * back (fetch paused) until their backoff timestamp. Records another group forwarded to a shared
 * retry topic are not this group's: they are passed over.
 */
export function retryTopicHandlers(handler: GroupHandler, groupId: string): GroupHandler[] {
  const { retryTopics } = handler.options;
  if (!retryTopics) return [];
  const ours = (message: KafkaMessage) => forwardedBy(message.headers, groupId);
  return retryTopicNames(handler.topic, retryTopics.delaysMs).map((topic) => ({
    topic,
    name: handler.name,
    // A retry topic is read from its start when the group has no offset: nothing forwarded is missed.
    options: { ...handler.options, fromBeginning: true },
    invoke: (data, ctx) => (ours(ctx.message) ? handler.invoke(data, ctx) : Promise.resolve()),
    dueAt: (message) => (ours(message) ? retryDueAt(message.headers) : 0),
  }));
}
