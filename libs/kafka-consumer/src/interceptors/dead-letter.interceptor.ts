import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { isRetriable } from '../retry/error-classification.js';

/**
 * After the final failure of a record (retries exhausted or a non-retriable error), writes it to
 * its next retry topic or its dead-letter topic and completes, so the record is committed only
 * after the write was acknowledged. A failed write fails the record: it stays uncommitted and is
 * delivered again. Records of a revoked partition or a shutdown are not dead-lettered.
 */
@Injectable()
export class DeadLetterInterceptor implements NestInterceptor {
  constructor(private readonly publisher: DeadLetterPublisher) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    if (!(ctx instanceof KafkaConsumerContext)) return next.handle();
    const { deadLetter, retryTopics, retry } = ctx.handler.options;
    if (!deadLetter && !retryTopics) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        // A fenced-off partition belongs to another member now: it processes the record, not a DLT.
        if (ctx.signal.aborted || error instanceof StaleOffsetWriteError) return throwError(() => error);
        const retriable = isRetriable(error, retry ? retry.nonRetriable : []);
        return from(this.publisher.recover(ctx, error, retriable)).pipe(
          mergeMap((written) => (written ? [undefined] : throwError(() => error))),
        );
      }),
    );
  }
}
