// `@nestjs/core/internal` exists from Nest 12 only; this file path exists in Nest 11 and 12.
import { FORBIDDEN_MESSAGE } from '@nestjs/core/guards/constants.js';
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { FailureStage } from '../retry/failure-policy.js';
import { isFinalFailure, isSettled, PROCESSED, type RecordOutcome } from '../retry/record-outcome.js';

/** `Server#runWithProcessingHooks`, handed in by the transport that owns the handler. */
export type ProcessingHooksRunner = (
  ctx: KafkaConsumerContext,
  fn: (runEndHook: () => void) => Promise<void>,
) => unknown;

/** Settles a failure through the failure policy (`FailureSettlement#settle`). */
export type FailureSettler = (ctx: KafkaConsumerContext, error: unknown, stage: FailureStage) => Promise<RecordOutcome>;

/**
 * Runs one record through a Nest handler (guards, interceptors, pipes, filters) inside the
 * transport's processing hooks and resolves to its outcome; never rejects.
 *
 * - What the package's interceptors decided stands when it is a final failure (a failed
 *   dead-letter write, a fenced or revoked partition): an outer interceptor or exception filter
 *   that swallows the error does not get such a record committed.
 * - A handler error that an outer layer handled (the pipeline completed) settles the record.
 * - A failure before the package's interceptors (a guard refusal, a guard or outer interceptor
 *   that threw, a processing hook) goes through the same failure policy.
 */
export async function invokeHandler(
  callback: MessageHandler,
  data: unknown,
  ctx: KafkaConsumerContext,
  runWithHooks: ProcessingHooksRunner,
  settle: FailureSettler,
): Promise<RecordOutcome> {
  let failure: { error: unknown } | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const pending = runWithHooks(ctx, async (runEndHook) => {
        try {
          const result: unknown = await callback(data, ctx);
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          runEndHook();
          resolve();
        } catch (error) {
          // Not rethrown: a start hook that calls done() without returning its promise would
          // leave that rejection unhandled (R3).
          runEndHook();
          reject(error);
        }
      });
      // A processing hook that fails without running the handler fails the record (never a hang).
      if (pending instanceof Promise) pending.catch(reject);
    });
  } catch (error) {
    failure = { error };
  }
  const { entered, outcome } = ctx.outcomeSlot;
  if (outcome && isFinalFailure(outcome)) return outcome;
  if (!failure) return outcome && isSettled(outcome) ? outcome : PROCESSED;
  if (outcome) return outcome;
  return settle(ctx, failure.error, !entered && isGuardRefusal(failure.error) ? 'refusal' : 'pipeline');
}

/** What Nest's RPC exception filter makes of a guard's `canActivate` returning false. */
function isGuardRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, message } = error as { status?: unknown; message?: unknown };
  return status === 'error' && message === FORBIDDEN_MESSAGE;
}
