import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';

const FAILURE = Symbol('kafka-consumer:failure');

/** The error a handler failed with, before Nest's RPC exception filter turned it into `{ status, message }`. */
export function handlerFailure(ctx: KafkaConsumerContext): unknown {
  return (ctx as unknown as Record<symbol, unknown>)[FAILURE];
}

/**
 * Outermost of this package's interceptors: records the handler's outcome on the context, so the
 * consumer group runner commits after success and reports the original error after failure.
 */
@Injectable()
export class CommitInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (ctx instanceof KafkaConsumerContext) (ctx as unknown as Record<symbol, unknown>)[FAILURE] = error;
        return throwError(() => error);
      }),
    );
  }
}
