import { DeadLetterPublishError } from '../errors/dead-letter-publish.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { isRetriable, type ErrorClass } from './error-classification.js';
import type { RedeliverReason, SkipReason } from './record-outcome.js';

/** Where in a record's path the failure happened. */
export type FailureStage =
  /** The value could not be decoded; the handler never ran. */
  | 'deserialization'
  /** A guard refused the record (`canActivate` returned false). */
  | 'refusal'
  /** Outside the package's interceptors: a guard that threw, an outer interceptor, a processing hook. */
  | 'pipeline'
  /** The handler or its pipes, inside the package's interceptors (in-process retry applies). */
  | 'handler';

/** Where a record that failed for good would be written. */
export type FailureRouteKind = 'retry-topic' | 'dead-letter' | 'dead-letter-record' | 'none';

/** What happens to a record a guard refuses. */
export type RefusalAction = 'skip' | 'dead-letter' | 'redeliver';

/** What happens to a record whose retries are used up and that has nowhere to go. */
export type ExhaustedAction = 'redeliver' | { readonly skipAfterRedeliveries: number };

/** Everything the decision depends on; no Nest, no kafkajs. */
export interface FailureFacts {
  readonly stage: FailureStage;
  /** 1-based number of the handler attempt that failed, in this delivery. */
  readonly attempt: number;
  /** In-process attempts allowed per delivery (1: no in-process retry). */
  readonly attempts: number;
  readonly nonRetriable: readonly ErrorClass[];
  /** How often this record was delivered again after failing (0 on its first delivery). */
  readonly redeliveries: number;
  /** The partition was revoked or the consumer shuts down. */
  readonly aborted: boolean;
  /** Where the record would be written after a retriable or a non-retriable final failure. */
  readonly route: (retriable: boolean) => FailureRouteKind;
  readonly refused: RefusalAction;
  readonly exhausted: ExhaustedAction;
}

/** The one answer to "what now?" for a failed record. */
export type FailureDecision =
  /** Run pipes and handler again in this delivery, after the retry backoff. */
  | { readonly action: 'retry' }
  /** Write the record to its retry topic or dead-letter topic (`retriable` picks which). */
  | { readonly action: 'recover'; readonly retriable: boolean }
  /** Commit without processing. */
  | { readonly action: 'skip'; readonly reason: SkipReason }
  /** Keep it uncommitted; its partition waits and delivers it again. */
  | { readonly action: 'redeliver'; readonly reason: RedeliverReason }
  /** The offset store fenced this member off: the partition has a new owner. */
  | { readonly action: 'fenced' };

/**
 * Decides what happens to a failed record. Used by the retry interceptor (acts on `retry`), the
 * outcome interceptor (acts on `recover`, `skip`, `redeliver`, `fenced`) and the dispatcher for
 * failures outside the handler (deserialization, guards), so every path answers alike.
 */
export function decideFailure(error: unknown, facts: FailureFacts): FailureDecision {
  if (error instanceof StaleOffsetWriteError) return { action: 'fenced' };
  // A revoked partition is the new owner's; at shutdown the next owner delivers the record again.
  if (facts.aborted) return { action: 'redeliver', reason: 'aborted' };
  // The write to a dead-letter or retry topic failed: redelivery writes it again, nothing may skip it.
  if (error instanceof DeadLetterPublishError) return { action: 'redeliver', reason: 'recovery-failed' };
  if (facts.stage === 'refusal') {
    if (facts.refused === 'skip') return { action: 'skip', reason: 'refused' };
    if (facts.refused === 'redeliver') return { action: 'redeliver', reason: 'refused' };
    if (facts.route(false) === 'dead-letter') return { action: 'recover', retriable: false };
    return exhausted(facts);
  }
  const retriable = facts.stage !== 'deserialization' && isRetriable(error, facts.nonRetriable);
  if (facts.stage === 'handler' && retriable && facts.attempt < facts.attempts) return { action: 'retry' };
  const route = facts.route(retriable);
  if (route === 'retry-topic' || route === 'dead-letter') return { action: 'recover', retriable };
  // Dead-letter topics hold what could not be decoded: such a record is passed over, loudly.
  if (route === 'dead-letter-record' && facts.stage === 'deserialization') {
    return { action: 'skip', reason: 'undeserializable-dead-letter-record' };
  }
  return exhausted(facts);
}

function exhausted(facts: FailureFacts): FailureDecision {
  const policy = facts.exhausted;
  if (policy !== 'redeliver' && facts.redeliveries >= policy.skipAfterRedeliveries) {
    return { action: 'skip', reason: 'exhausted' };
  }
  return { action: 'redeliver', reason: 'exhausted' };
}
