import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { priorAttempts } from '../retry-topics/retry-topics.js';
import { abortableDelay } from '../util/abortable-delay.js';
import { backoffDelay } from '../util/backoff.js';
import type { FailureSettlement } from './failure-settlement.js';

/**
 * The steps of in-process retry, shared by the `RetryInterceptor` (Nest's pipeline) and the
 * direct invocation of the default stack, so that both decide alike.
 */

/**
 * Numbers the first attempt of this delivery on `ctx` and returns it: 1, or on a retry topic the
 * attempt after those of the earlier stages.
 */
export function startAttempts(ctx: KafkaConsumerContext): number {
  const onRetryTopic = (ctx.handler.retryStage?.stage ?? 0) > 0;
  const first = (onRetryTopic ? priorAttempts(ctx.message.headers) : 0) + 1;
  ctx.setAttempt(first);
  return first;
}

/**
 * After the `failed`-th failed attempt of this delivery: resolves true once the backoff passed
 * when the failure policy retries `error` (`ctx.attempt` then numbers the next attempt), false
 * when it does not or a revoke or shutdown cut the wait short (the error is then settled).
 * Heartbeats while it waits; never rejects.
 */
export async function retryAfterFailure(
  failures: FailureSettlement,
  ctx: KafkaConsumerContext,
  error: unknown,
  failed: number,
  firstAttempt: number,
): Promise<boolean> {
  const policy = ctx.handler.options.retry;
  if (!policy || failed >= policy.attempts) return false;
  // The attempt count of this delivery decides, not the stage-continued ctx.attempt.
  if (failures.decide(ctx, error, 'handler', failed).action !== 'retry') return false;
  ctx.retrying(error, firstAttempt + failed);
  const completed = await abortableDelay(backoffDelay(policy.backoff, failed), ctx.stopping, () => {
    ctx.heartbeat().catch(() => undefined);
  });
  if (!completed) return false;
  ctx.setAttempt(firstAttempt + failed);
  return true;
}
