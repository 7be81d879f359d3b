import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { KafkaBatchContext } from '../context/kafka-batch.context.js';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { FailureSettlement } from '../retry/failure-settlement.js';
import { isSettled } from '../retry/record-outcome.js';

/**
 * Outermost of this package's interceptors: settles a failed record through the failure policy
 * (retry topic, dead-letter topic, skip, or deliver again) and leaves the outcome for the handler
 * invocation. A settled failure completes, so the record is committed; any other failure goes on
 * as an error (the handler's, or why settling it failed), so the user's outer interceptors and
 * exception filters see it.
 */
@Injectable()
export class RecordOutcomeInterceptor implements NestInterceptor {
  constructor(private readonly failures: FailureSettlement) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    // A batch's failure is the batch dispatcher's: kept here before an exception filter replaces it.
    if (ctx instanceof KafkaBatchContext) return next.handle().pipe(catchError((error: unknown) => ctx.fail(error)));
    if (!(ctx instanceof KafkaConsumerContext)) return next.handle();
    ctx.outcomeSlot.entered = true;
    return next.handle().pipe(
      catchError((error: unknown) =>
        from(this.failures.settle(ctx, error, 'handler')).pipe(
          mergeMap((outcome) => {
            ctx.outcomeSlot.outcome = outcome;
            if (isSettled(outcome)) return [undefined];
            // The original error, or why settling it failed (e.g. DeadLetterPublishError).
            return throwError(() => outcome.error);
          }),
        ),
      ),
    );
  }
}
