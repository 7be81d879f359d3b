import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { KafkaBatchContext } from '../context/kafka-batch.context.js';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { HandlerCall } from './direct-invocation.js';
import type { ProcessingHooksRunner } from './handler-invocation.js';

/** What one call of a batch handler came to: undefined on success, else what it threw. */
export type BatchAttempt = { readonly error: unknown } | undefined;

/**
 * Runs a batch handler once through Nest's pipeline (guards, interceptors, pipes such as
 * `ParseArrayPipe`, filters) inside the transport's processing hooks. The package's record
 * interceptors let a batch through untouched: retry and the failure policy of a batch are the
 * batch dispatcher's. Never rejects.
 */
export async function invokeBatchHandler(
  callback: MessageHandler,
  data: unknown[],
  ctx: KafkaBatchContext,
  runWithHooks: ProcessingHooksRunner,
): Promise<BatchAttempt> {
  try {
    await new Promise<void>((resolve, reject) => {
      // The hooks only hand the context on to Nest's own hooks, which take any BaseRpcContext.
      const pending = runWithHooks(ctx as unknown as KafkaConsumerContext, async (runEndHook) => {
        try {
          const result: unknown = await callback(data, ctx);
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          runEndHook();
          resolve();
        } catch (error) {
          runEndHook();
          reject(error);
        }
      });
      if (pending instanceof Promise) pending.catch(reject);
    });
    return undefined;
  } catch (error) {
    // Nest's exception filter turns an unknown error into { status, message }: the original was kept.
    return { error: ctx.failure ? ctx.failure.error : error };
  }
}

/** Calls a batch handler directly (its pipeline is the default stack only). Never rejects. */
export async function callBatchHandler(
  call: HandlerCall,
  data: unknown[],
  ctx: KafkaBatchContext,
): Promise<BatchAttempt> {
  try {
    const result: unknown = await call(data, ctx as unknown as KafkaConsumerContext);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    return undefined;
  } catch (error) {
    return { error };
  }
}
