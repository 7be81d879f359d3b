import type { ResolvedDeadLetter, ResolvedRetryTopics } from '../kafka-consumer.options.js';
import { mainStage, retryTopicName, type RetryStage } from '../retry-topics/retry-topics.js';

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
  /** Stage of the handler that read it (from the handler, never from headers); absent: the main topic. */
  readonly stage?: RetryStage;
  /** False for errors that skip the remaining attempts (and retry topics). */
  readonly retriable: boolean;
  readonly deadLetter: ResolvedDeadLetter | false;
  readonly retryTopics?: ResolvedRetryTopics;
  /** Dead-letter topics of this app's handlers. */
  readonly knownDeadLetterTopics?: ReadonlySet<string>;
}

/**
 * True when `topic` is a dead-letter topic: its name has the default suffix, a handler of this app
 * writes to it, or it is its own dead-letter topic. Never decided from a record's headers, which
 * any producer can set.
 */
export function isDeadLetterTopic(
  topic: string,
  deadLetter: ResolvedDeadLetter | false,
  knownDeadLetterTopics: ReadonlySet<string> = new Set(),
): boolean {
  if (topic.endsWith(DEAD_LETTER_SUFFIX) || knownDeadLetterTopics.has(topic)) return true;
  return deadLetter !== false && deadLetter.topic(topic) === topic;
}

/**
 * Next retry topic for a retriable failure while the chain has one; else the dead-letter topic of
 * the chain's main topic; never a dead-letter topic's own dead-letter topic (no `*-dlt-dlt` loops).
 * Pure: the user's `deadLetter.topic` is only called with a handler's own topic.
 */
export function routeFailure(input: FailureRouteInput): FailureRoute {
  const { topic, deadLetter, retryTopics } = input;
  const { sourceTopic, stage } = input.stage ?? mainStage(topic);
  if (stage === 0 && isDeadLetterTopic(topic, deadLetter, input.knownDeadLetterTopics)) {
    return { kind: 'none', reason: 'dead-letter-record' };
  }
  if (retryTopics && input.retriable && stage < retryTopics.delaysMs.length) {
    const delayMs = retryTopics.delaysMs[stage];
    return { kind: 'retry-topic', topic: retryTopicName(sourceTopic, delayMs), sourceTopic, delayMs };
  }
  if (deadLetter) return { kind: 'dead-letter', topic: deadLetter.topic(sourceTopic), sourceTopic };
  return { kind: 'none', reason: 'disabled' };
}
