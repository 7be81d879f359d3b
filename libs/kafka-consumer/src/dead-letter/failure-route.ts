import type { IHeaders } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../kafka-consumer.constants.js';
import type { ResolvedDeadLetter, ResolvedRetryTopics } from '../kafka-consumer.options.js';
import { resolveRetryStage, retryTopicName } from '../retry-topics/retry-topics.js';
import { headerValue } from './dead-letter.headers.js';

/** Suffix of default dead-letter topic names (Spring Kafka's too): such topics are never dead-lettered again. */
export const DEAD_LETTER_SUFFIX = '-dlt';

/** Where a record goes after its final failure on the current stage. */
export type FailureRoute =
  | { readonly kind: 'retry-topic'; readonly topic: string; readonly sourceTopic: string; readonly delayMs: number }
  | { readonly kind: 'dead-letter'; readonly topic: string; readonly sourceTopic: string }
  | { readonly kind: 'none'; readonly reason: 'dead-letter-record' | 'disabled' };

export interface FailureRouteInput {
  /** Topic the record was read from. */
  readonly topic: string;
  readonly headers: IHeaders | undefined;
  /** False for errors that skip the remaining attempts (and retry topics). */
  readonly retriable: boolean;
  readonly deadLetter: ResolvedDeadLetter | false;
  readonly retryTopics?: ResolvedRetryTopics;
  /** Dead-letter topics of this app's handlers. */
  readonly knownDeadLetterTopics?: ReadonlySet<string>;
}

/**
 * True when `topic` is a dead-letter topic: its name has the default suffix, a handler of this app
 * writes to it, or the record's original topic dead-letters to it.
 */
export function isDeadLetterTopic(
  topic: string,
  headers: IHeaders | undefined,
  deadLetter: ResolvedDeadLetter | false,
  knownDeadLetterTopics: ReadonlySet<string> = new Set(),
): boolean {
  if (topic.endsWith(DEAD_LETTER_SUFFIX) || knownDeadLetterTopics.has(topic)) return true;
  if (!deadLetter) return false;
  if (deadLetter.topic(topic) === topic) return true;
  const original = headerValue(headers, DEAD_LETTER_HEADERS.originalTopic);
  return original !== undefined && deadLetter.topic(original) === topic;
}

/**
 * Next retry topic for a retriable failure while the chain has one; else the dead-letter topic of
 * the original topic; never a dead-letter topic's own dead-letter topic (no `*-dlt-dlt` loops).
 */
export function routeFailure(input: FailureRouteInput): FailureRoute {
  const { topic, headers, deadLetter, retryTopics } = input;
  if (isDeadLetterTopic(topic, headers, deadLetter, input.knownDeadLetterTopics)) {
    return { kind: 'none', reason: 'dead-letter-record' };
  }
  const { sourceTopic, stage } = retryTopics
    ? resolveRetryStage(topic, headers, retryTopics.delaysMs)
    : { sourceTopic: topic, stage: 0 };
  if (retryTopics && input.retriable && stage < retryTopics.delaysMs.length) {
    const delayMs = retryTopics.delaysMs[stage];
    return { kind: 'retry-topic', topic: retryTopicName(sourceTopic, delayMs), sourceTopic, delayMs };
  }
  if (deadLetter) return { kind: 'dead-letter', topic: deadLetter.topic(sourceTopic), sourceTopic };
  return { kind: 'none', reason: 'disabled' };
}
