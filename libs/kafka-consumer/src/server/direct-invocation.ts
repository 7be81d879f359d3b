import { isObservable, lastValueFrom } from 'rxjs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { FailureSettlement } from '../retry/failure-settlement.js';
import { retryAfterFailure, startAttempts } from '../retry/in-process-retry.js';
import { PROCESSED, type RecordOutcome } from '../retry/record-outcome.js';

/** Calls the controller method with its arguments (`@Payload()`, `@Ctx()`), as Nest would. */
export type HandlerCall = (data: unknown, ctx: KafkaConsumerContext) => unknown;

/**
 * The default stack of a `@ConsumeTopic` handler (`RecordOutcomeInterceptor` around
 * `RetryInterceptor`, nothing of the user's) as plain async code: the same decisions, through
 * the same `FailureSettlement` and retry steps, without Nest's per-record interceptor chain (a
 * `defer`, an `AsyncResource` and a `mergeAll` per interceptor, and one more around them).
 *
 * Resolves to the record's outcome; never rejects. A failure that is not settled is not logged
 * here: the dispatcher logs the record's one line.
 */
export function directInvocation(
  call: HandlerCall,
  failures: FailureSettlement,
): (data: unknown, ctx: KafkaConsumerContext) => Promise<RecordOutcome> {
  return (data, ctx) => {
    const firstAttempt = startAttempts(ctx);
    let result: unknown;
    try {
      result = call(data, ctx);
    } catch (error) {
      return afterFailure(call, failures, data, ctx, firstAttempt, error);
    }
    // A synchronous handler that returned: no async frame, no extra tick.
    if (!isThenable(result) && !isObservable(result)) return PROCESSED_NOW;
    return attempts(call, failures, data, ctx, firstAttempt, result);
  };
}

const PROCESSED_NOW: Promise<RecordOutcome> = Promise.resolve(PROCESSED);

/** Waits for the first attempt's promise or observable, then retries like the interceptors. */
async function attempts(
  call: HandlerCall,
  failures: FailureSettlement,
  data: unknown,
  ctx: KafkaConsumerContext,
  firstAttempt: number,
  pending: unknown,
): Promise<RecordOutcome> {
  try {
    await settle(pending);
    return PROCESSED;
  } catch (error) {
    return afterFailure(call, failures, data, ctx, firstAttempt, error);
  }
}

/** After the first attempt failed with `error`: retries while the policy says so, then settles. */
async function afterFailure(
  call: HandlerCall,
  failures: FailureSettlement,
  data: unknown,
  ctx: KafkaConsumerContext,
  firstAttempt: number,
  error: unknown,
): Promise<RecordOutcome> {
  for (let failed = 1; ; failed++) {
    if (!(await retryAfterFailure(failures, ctx, error, failed, firstAttempt))) {
      return failures.settle(ctx, error, 'handler');
    }
    try {
      await settle(call(data, ctx));
      return PROCESSED;
    } catch (next) {
      error = next;
    }
  }
}

/** Resolves when the handler's result (a value, a promise, an observable) completed; rejects when it failed. */
async function settle(result: unknown): Promise<void> {
  if (isThenable(result)) result = await result;
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
