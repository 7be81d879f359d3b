import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable, retry, throwError } from 'rxjs';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { FailureSettlement } from '../retry/failure-settlement.js';
import { retryAfterFailure, startAttempts } from '../retry/in-process-retry.js';

/**
 * Re-runs pipes and handler while the failure policy says `retry`, waiting the handler's backoff
 * between attempts (heartbeating meanwhile; only this record's partition waits). A revoke or
 * shutdown cuts the wait short and fails the record, which then stays uncommitted.
 */
@Injectable()
export class RetryInterceptor implements NestInterceptor {
  constructor(private readonly failures: FailureSettlement) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    if (!(ctx instanceof KafkaConsumerContext)) return next.handle();
    const firstAttempt = startAttempts(ctx);
    const { retry: policy } = ctx.handler.options;
    if (!policy || policy.attempts <= 1) return next.handle();
    return next.handle().pipe(
      retry({
        count: policy.attempts - 1,
        delay: (error: unknown, failures: number) =>
          from(retryAfterFailure(this.failures, ctx, error, failures, firstAttempt)).pipe(
            mergeMap((again) => (again ? [true] : throwError(() => error))),
          ),
      }),
    );
  }
}
