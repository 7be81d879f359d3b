import type { IHeaders, KafkaMessage } from 'kafkajs';
import { countHeader, headerValue, integerHeader } from '../dead-letter/dead-letter.headers.js';
import {
  ATTEMPTS_HEADER,
  DEAD_LETTER_HEADERS,
  FORWARDED_BY_HEADER,
  RETRY_TOPIC_HEADERS,
} from '../kafka-consumer.constants.js';

/** Name of the retry topic of `sourceTopic` for one delay (Spring Kafka's default naming). */
export function retryTopicName(sourceTopic: string, delayMs: number): string {
  return `${sourceTopic}-retry-${delayMs}`;
}

export function retryTopicNames(sourceTopic: string, delaysMs: readonly number[]): string[] {
  return delaysMs.map((delayMs) => retryTopicName(sourceTopic, delayMs));
}

/**
 * Where a handler sits in its retry chain, known by construction (never read from headers):
 * stage 0 is the main topic, stage `i + 1` the retry topic of `delaysMs[i]`.
 */
export interface RetryStage {
  /** The main topic of the chain. */
  readonly sourceTopic: string;
  readonly stage: number;
  /** The delay of this stage's retry topic; 0 on the main topic. */
  readonly delayMs: number;
}

/** The stage of a handler of the main topic `topic`. */
export function mainStage(topic: string): RetryStage {
  return { sourceTopic: topic, stage: 0, delayMs: 0 };
}

/** When a retry-topic record is due, and whether its backoff header asked for later than its stage allows. */
export interface RetryDue {
  /** Epoch ms before which the record is not processed; 0 when it is due at once. */
  readonly dueAt: number;
  /** The backoff header was later than the bound (a bogus value, or the forwarder's clock ahead). */
  readonly capped: boolean;
}

/**
 * Due time of a retry-topic record: its backoff-timestamp header, but never later than the stage
 * delay after the record's timestamp (when it was forwarded) nor after `firstSeenAt` (when it
 * reached the head of its partition here), so a bogus or skewed header cannot hold the partition.
 */
export function retryDueAt(message: KafkaMessage, stageDelayMs: number, firstSeenAt: number): RetryDue {
  const requested = integerHeader(message.headers, RETRY_TOPIC_HEADERS.backoffTimestamp);
  if (requested === undefined) return { dueAt: 0, capped: false };
  const timestamp = Number(message.timestamp);
  const bound = Math.min(Number.isFinite(timestamp) ? timestamp + stageDelayMs : Infinity, firstSeenAt + stageDelayMs);
  return requested > bound ? { dueAt: bound, capped: true } : { dueAt: requested, capped: false };
}

/** Handler attempts already made on the earlier stages of a forwarded record (0 on the main topic). */
export function priorAttempts(headers: IHeaders | undefined): number {
  return countHeader(headers, ATTEMPTS_HEADER) ?? 0;
}

/**
 * True when a retry-topic record was forwarded by `groupId` (several groups may share a retry
 * topic): the library's own forwarded-by header, overwritten on every forward, decides. A record
 * without it (forwarded by an earlier version of this library, or written there by hand) falls back to its
 * `kafka_dlt-original-consumer-group`, and is everyone's when that is absent too.
 */
export function forwardedBy(headers: IHeaders | undefined, groupId: string): boolean {
  const group =
    headerValue(headers, FORWARDED_BY_HEADER) ?? headerValue(headers, DEAD_LETTER_HEADERS.originalConsumerGroup);
  return group === undefined || group === groupId;
}
