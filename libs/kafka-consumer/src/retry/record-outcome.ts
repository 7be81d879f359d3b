/** Why a failed record is committed without being processed. */
export type SkipReason =
  /** A guard refused it and the handler's `refused` policy is `'skip'`. */
  | 'refused'
  /** Its retries are used up, it has nowhere to go, and `exhausted.skipAfterRedeliveries` was reached. */
  | 'exhausted'
  /** A record of a dead-letter topic whose value cannot be deserialized (it cannot be dead-lettered again). */
  | 'undeserializable-dead-letter-record'
  /** A record of a routed topic that no handler takes, with `unrouted: 'skip'` (the default). */
  | 'unrouted';

/** Why a failed record stays uncommitted and its partition waits to deliver it again. */
export type RedeliverReason =
  /** Retries used up, nowhere to write it, and the `exhausted` policy keeps it (the default). */
  | 'exhausted'
  /** A guard refused it and the handler's `refused` policy is `'redeliver'`. */
  | 'refused'
  /** Writing it to its dead-letter or retry topic failed. */
  | 'recovery-failed'
  /** The `exhausted.onSkip` hook failed: the record is not skipped. */
  | 'skip-hook-failed'
  /** Its partition was revoked or the consumer is shutting down. */
  | 'aborted';

/**
 * What became of one record: decided once, by the failure policy, and acted upon by the
 * dispatcher (commit, wait and deliver again, or drop the partition).
 */
export type RecordOutcome =
  | { readonly kind: 'processed' }
  | { readonly kind: 'dead-lettered'; readonly topic: string; readonly error: unknown }
  | { readonly kind: 'forwarded'; readonly topic: string; readonly error: unknown }
  | { readonly kind: 'skipped'; readonly reason: SkipReason; readonly error: unknown }
  | { readonly kind: 'redeliver'; readonly reason: RedeliverReason; readonly error: unknown }
  | { readonly kind: 'fenced'; readonly error: unknown };

export const PROCESSED: RecordOutcome = Object.freeze({ kind: 'processed' });

/** An outcome whose record stays uncommitted: it is delivered again, or its partition is gone. */
export type UnsettledOutcome = Extract<RecordOutcome, { kind: 'redeliver' | 'fenced' }>;

/** True when the record's offset may be committed: it was processed, dead-lettered, forwarded or skipped. */
export function isSettled(outcome: RecordOutcome): outcome is Exclude<RecordOutcome, UnsettledOutcome> {
  return outcome.kind !== 'redeliver' && outcome.kind !== 'fenced';
}

/**
 * True for failures that no outer interceptor or exception filter may turn into success: the
 * record could not be written where the policy sent it, its partition is gone, or the user's own
 * skip hook failed. An outer layer that handles a *handler* error still settles the record.
 */
export function isFinalFailure(outcome: RecordOutcome): boolean {
  if (outcome.kind === 'fenced') return true;
  return (
    outcome.kind === 'redeliver' &&
    (outcome.reason === 'recovery-failed' || outcome.reason === 'aborted' || outcome.reason === 'skip-hook-failed')
  );
}

/**
 * What the package's interceptors concluded about one record, read by the handler invocation
 * once the Nest pipeline has settled. One per record.
 */
export class OutcomeSlot {
  /** The pipeline reached the package's interceptors (guards and outer interceptors let it through). */
  entered = false;
  /** Set when the package's interceptors settled a failure (or decided it must be delivered again). */
  outcome: RecordOutcome | undefined;
}
