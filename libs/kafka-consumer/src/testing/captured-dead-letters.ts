import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { routeFailure } from '../dead-letter/failure-route.js';

/** A record the handler pipeline sent to a dead-letter or retry topic, kept in memory. */
export interface CapturedDeadLetter {
  /** Topic it would have been written to (`orders-dlt`, `orders-retry-1000`, ...). */
  topic: string;
  kind: 'dead-letter' | 'retry-topic';
  /** Where the record came from. */
  sourceTopic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  groupId: string;
  attempts: number;
  error: unknown;
}

/** Routes a final failure like the real publisher does (retry topic, dead-letter topic or nowhere), into memory. */
export function captureFailure(
  ctx: KafkaConsumerContext,
  error: unknown,
  retriable: boolean,
): CapturedDeadLetter | null {
  const { deadLetter, retryTopics } = ctx.handler.options;
  const route = routeFailure({ topic: ctx.topic, stage: ctx.handler.retryStage, retriable, deadLetter, retryTopics });
  if (route.kind === 'none') return null;
  return {
    topic: route.topic,
    kind: route.kind,
    sourceTopic: route.sourceTopic,
    partition: ctx.partition,
    offset: ctx.offset,
    key: ctx.key,
    value: ctx.message.value,
    groupId: ctx.groupId,
    attempts: ctx.attempt,
    error,
  };
}
