import type { IHeaders } from 'kafkajs';
import { headerValue, integerHeader } from '../dead-letter/dead-letter.headers.js';
import { ATTEMPTS_HEADER, DEAD_LETTER_HEADERS, RETRY_TOPIC_HEADERS } from '../kafka-consumer.constants.js';

/** Name of the retry topic of `sourceTopic` for one delay (Spring Kafka's default naming). */
export function retryTopicName(sourceTopic: string, delayMs: number): string {
  return `${sourceTopic}-retry-${delayMs}`;
}

export function retryTopicNames(sourceTopic: string, delaysMs: readonly number[]): string[] {
  return delaysMs.map((delayMs) => retryTopicName(sourceTopic, delayMs));
}

/** Where a record is in the chain: stage 0 is the main topic, stage `i + 1` the retry topic of `delaysMs[i]`. */
export interface RetryStage {
  readonly sourceTopic: string;
  readonly stage: number;
}

/**
 * The stage of a record read from `topic`: a retry topic when `topic` is one of the retry topics
 * of the record's original topic (from its `kafka_dlt-original-topic` header), else the main topic.
 */
export function resolveRetryStage(
  topic: string,
  headers: IHeaders | undefined,
  delaysMs: readonly number[],
): RetryStage {
  const original = headerValue(headers, DEAD_LETTER_HEADERS.originalTopic);
  if (original !== undefined) {
    const index = retryTopicNames(original, delaysMs).indexOf(topic);
    if (index >= 0) return { sourceTopic: original, stage: index + 1 };
  }
  return { sourceTopic: topic, stage: 0 };
}

/** Epoch ms before which a retry-topic record must not be processed; 0 when it has no backoff timestamp. */
export function retryDueAt(headers: IHeaders | undefined): number {
  return integerHeader(headers, RETRY_TOPIC_HEADERS.backoffTimestamp) ?? 0;
}

/** Handler attempts already made on the earlier stages of a forwarded record (0 on the main topic). */
export function priorAttempts(headers: IHeaders | undefined): number {
  return integerHeader(headers, ATTEMPTS_HEADER) ?? 0;
}

/** True when a retry-topic record was forwarded by `groupId` (several groups may share a retry topic). */
export function forwardedBy(headers: IHeaders | undefined, groupId: string): boolean {
  const group = headerValue(headers, DEAD_LETTER_HEADERS.originalConsumerGroup);
  return group === undefined || group === groupId;
}
