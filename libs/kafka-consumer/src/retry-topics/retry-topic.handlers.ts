import { Logger } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { PROCESSED } from '../retry/record-outcome.js';
import { retryDueCapped } from '../kafka-consumer.messages.js';
import type { GroupHandler } from '../server/consumer-group.runner.js';
import { forwardedBy, retryDueAt, retryTopicName, type RetryStage } from './retry-topics.js';

/**
 * The handlers of a handler's retry topics, in the same group: the same Nest callback, each knowing
 * its stage by construction, records held back (fetch paused) until their due time. Records another
 * group forwarded to a shared retry topic are not this group's: they are passed over.
 */
export function retryTopicHandlers(handler: GroupHandler, groupId: string): GroupHandler[] {
  const { retryTopics } = handler.options;
  if (!retryTopics) return [];
  const logger = new Logger('KafkaConsumer');
  const ours = (message: KafkaMessage) => forwardedBy(message.headers, groupId);
  return retryTopics.delaysMs.map((delayMs, index) => {
    const topic = retryTopicName(handler.topic, delayMs);
    const retryStage: RetryStage = { sourceTopic: handler.topic, stage: index + 1, delayMs };
    // When each record first reached the head of its partition: the due time is never later than
    // the stage delay after that. Weak, so processed records are not pinned.
    const firstSeen = new WeakMap<KafkaMessage, number>();
    const dueAt = (message: KafkaMessage): number => {
      if (!ours(message)) return 0;
      let seenAt = firstSeen.get(message);
      const first = seenAt === undefined;
      if (first) firstSeen.set(message, (seenAt = Date.now()));
      const due = retryDueAt(message, delayMs, seenAt!);
      if (due.capped && first) logger.warn(retryDueCapped(topic, message.offset, delayMs, due.dueAt));
      return due.dueAt;
    };
    return {
      topic,
      name: handler.name,
      // A retry topic is read from its start when the group has no offset: nothing forwarded is missed.
      options: { ...handler.options, fromBeginning: true },
      retryStage,
      deserialize: handler.deserialize,
      invoke: (data, ctx) => {
        if (ours(ctx.message)) return handler.invoke(data, ctx);
        // Passed over: with commit 'manual' it must not hold this group's commits back (M2).
        ctx.markSettled();
        return Promise.resolve(PROCESSED);
      },
      dueAt,
    };
  });
}
