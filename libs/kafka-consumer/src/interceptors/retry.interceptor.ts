import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable, retry, throwError } from 'rxjs';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { isRetriable } from '../retry/error-classification.js';
import { priorAttempts, resolveRetryStage } from '../retry-topics/retry-topics.js';
import { abortableDelay } from '../util/abortable-delay.js';
import { backoffDelay } from '../util/backoff.js';

/**
 * Re-runs pipes and handler after a retriable failure, waiting the handler's backoff between
 * attempts (heartbeating meanwhile; only this record's partition waits). A revoke or shutdown
 * cuts the wait short and fails the record, which then stays uncommitted.
 */
@Injectable()
export class RetryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    if (!(ctx instanceof KafkaConsumerContext)) return next.handle();
    const { retry: policy, retryTopics } = ctx.handler.options;
    // On a retry topic, attempts continue the count of the earlier stages.
    const onRetryTopic =
      retryTopics && resolveRetryStage(ctx.topic, ctx.message.headers, retryTopics.delaysMs).stage > 0;
    const firstAttempt = (onRetryTopic ? priorAttempts(ctx.message.headers) : 0) + 1;
    ctx.setAttempt(firstAttempt);
    if (!policy || policy.attempts <= 1) return next.handle();
    return next.handle().pipe(
      retry({
        count: policy.attempts - 1,
        delay: (error: unknown, failures: number) => {
          if (
            ctx.signal.aborted ||
            error instanceof StaleOffsetWriteError ||
            !isRetriable(error, policy.nonRetriable)
          ) {
            return throwError(() => error);
          }
          const waited = abortableDelay(backoffDelay(policy.backoff, failures), ctx.signal, () => {
            ctx.heartbeat().catch(() => undefined);
          });
          return from(waited).pipe(
            mergeMap((completed) => {
              if (!completed) return throwError(() => error);
              ctx.setAttempt(firstAttempt + failures);
              return [true];
            }),
          );
        },
      }),
    );
  }
}
