import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { handlerFailure } from '../interceptors/commit.interceptor.js';

/** `Server#runWithProcessingHooks`, handed in by the transport that owns the handler. */
export type ProcessingHooksRunner = (
  ctx: KafkaConsumerContext,
  fn: (runEndHook: () => void) => Promise<void>,
) => unknown;

/**
 * Runs one record through a Nest handler (guards, interceptors, pipes, filters) inside the
 * transport's processing hooks. Resolves when the handler (or an exception filter) settled the
 * record; rejects with the handler's original error, not the `{ status, message }` the RPC
 * exception filter turns it into.
 */
export async function invokeHandler(
  callback: MessageHandler,
  data: unknown,
  ctx: KafkaConsumerContext,
  runWithHooks: ProcessingHooksRunner,
): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      const pending = runWithHooks(ctx, async (runEndHook) => {
        try {
          const result: unknown = await callback(data, ctx);
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          runEndHook();
          resolve();
        } catch (error) {
          reject(error);
          throw error;
        }
      });
      // A processing hook that fails without running the handler fails the record (never a hang).
      if (pending instanceof Promise) pending.catch(reject);
    });
  } catch (error) {
    throw handlerFailure(ctx) ?? error;
  }
}
