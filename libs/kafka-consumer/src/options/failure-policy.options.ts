import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { fail, isPlainObject, oneOf, readTracked } from './option-readers.js';

// Failure policies: records a guard refuses, records that failed for good ------------------

/**
 * What happens to a record a guard refuses (`canActivate` returned false): `'skip'` commits it
 * (a guard is a filter) and logs one line; `'dead-letter'` writes it to the dead-letter topic
 * (with `deadLetter` on; otherwise the `exhausted` policy applies); `'redeliver'` keeps it
 * uncommitted and delivers it again, blocking its partition.
 */
export type RefusedPolicy = 'skip' | 'dead-letter' | 'redeliver';

/**
 * What happens to a record whose retries are used up when it has nowhere to go (no dead-letter
 * topic, or it was read from one): `'redeliver'` keeps it uncommitted and delivers it again after
 * the `redelivery` backoff, its partition blocked; `{ skipAfterRedeliveries: n, onSkip }` commits
 * it after it was delivered again `n` times (`0`: at once), after `onSkip` resolved. A failing
 * `onSkip` keeps the record (it is delivered again).
 */
export type ExhaustedPolicy =
  | 'redeliver'
  | {
      skipAfterRedeliveries: number;
      /** Called with the last error and the record's context before it is skipped (e.g. to park it). */
      onSkip?: (error: unknown, ctx: KafkaConsumerContext) => void | Promise<void>;
    };

/** Resolved `exhausted` policy (validated; same shape). */
export type ResolvedExhaustedPolicy = ExhaustedPolicy;

/** Failure policies of the module options (defaults of every handler). */
export interface ModuleFailurePolicyOptions {
  /** Default of handlers: what a guard refusal does. Default `'skip'`. */
  refused?: RefusedPolicy;
  /** Default of handlers: what a record that failed for good with nowhere to go does. Default `'redeliver'`. */
  exhausted?: ExhaustedPolicy;
}

/** Failure policies of one handler. */
export interface HandlerFailurePolicyOptions {
  /** What a guard refusal does: `'skip'`, `'dead-letter'` or `'redeliver'`. Default: module `refused` (`'skip'`). */
  refused?: RefusedPolicy;
  /** Records that failed for good with nowhere to go: `'redeliver'` or `{ skipAfterRedeliveries, onSkip }`. Default: module `exhausted` (`'redeliver'`). */
  exhausted?: ExhaustedPolicy;
}

export interface ResolvedFailurePolicies {
  refused: RefusedPolicy;
  exhausted: ResolvedExhaustedPolicy;
}

const REFUSED_POLICIES: readonly RefusedPolicy[] = ['skip', 'dead-letter', 'redeliver'];

export function resolveExhausted(
  path: string,
  value: unknown,
  fallback: ResolvedExhaustedPolicy,
): ResolvedExhaustedPolicy {
  if (value === undefined) return fallback;
  if (value === 'redeliver') return 'redeliver';
  const allowed = "'redeliver' | { skipAfterRedeliveries: integer >= 0, onSkip?: (error, ctx) => void }";
  if (!isPlainObject(value)) return fail(path, value, allowed);
  const { options, rejectUnknown } = readTracked(path, value);
  const after = options.skipAfterRedeliveries;
  const onSkip = options.onSkip;
  rejectUnknown();
  if (typeof after !== 'number' || !Number.isInteger(after) || after < 0) {
    fail(`${path}.skipAfterRedeliveries`, after, 'an integer >= 0 (0: skip at the first exhaustion)');
  }
  if (onSkip !== undefined && typeof onSkip !== 'function') {
    fail(`${path}.onSkip`, onSkip, 'a function (error, ctx) => void | Promise<void>');
  }
  return {
    skipAfterRedeliveries: after as number,
    ...(onSkip !== undefined && { onSkip: onSkip as (error: unknown, ctx: KafkaConsumerContext) => void }),
  };
}

/** Validates `refused` and `exhausted` (module: `prefix` ''; handler: `'Class.method '`). */
export function resolveFailurePolicies(
  prefix: string,
  raw: Record<string, unknown>,
  fallback: { refused: RefusedPolicy; exhausted: ResolvedExhaustedPolicy } = {
    refused: 'skip',
    exhausted: 'redeliver',
  },
): ResolvedFailurePolicies {
  return {
    refused: oneOf(`${prefix}refused`, raw.refused, REFUSED_POLICIES, fallback.refused),
    exhausted: resolveExhausted(`${prefix}exhausted`, raw.exhausted, fallback.exhausted),
  };
}
