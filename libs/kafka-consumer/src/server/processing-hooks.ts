import type { BaseRpcContext, Server } from '@nestjs/microservices';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { ProcessingHooksRunner } from './handler-invocation.js';

type StartHook = (transportId: unknown, context: BaseRpcContext, done: () => Promise<unknown>) => unknown;
type EndHook = (transportId: unknown, context: BaseRpcContext) => void;

/** The parts of Nest's `Server` the processing hooks need, as every supported version has them. */
interface HookedServer {
  transportId?: unknown;
  onProcessingStartHook?: StartHook;
  onProcessingEndHook?: EndHook;
  runWithProcessingHooks?: (context: BaseRpcContext, fn: (runEndHook: () => void) => Promise<void>) => unknown;
}

/**
 * `Server#runWithProcessingHooks` of `server` (from `@nestjs/microservices` 12.1). Older versions
 * (Nest 11, 12.0) lack it; for them the same contract is built from `onProcessingStartHook` /
 * `onProcessingEndHook`, which every supported version has: the start hook wraps the handler, the
 * end hook runs exactly once, also when the handler fails.
 */
export function processingHooksOf(server: Pick<Server, 'transportId'>): ProcessingHooksRunner {
  const hooked = server as unknown as HookedServer;
  if (typeof hooked.runWithProcessingHooks === 'function') {
    return (ctx, fn) => hooked.runWithProcessingHooks!.call(server, ctx, fn);
  }
  return (ctx: KafkaConsumerContext, fn) => {
    let ended = false;
    const runEndHook = (): void => {
      if (ended) return;
      ended = true;
      hooked.onProcessingEndHook?.call(server, hooked.transportId, ctx);
    };
    const run = async (): Promise<void> => {
      try {
        await fn(runEndHook);
      } catch (error) {
        runEndHook();
        throw error;
      }
    };
    return hooked.onProcessingStartHook
      ? hooked.onProcessingStartHook.call(server, hooked.transportId, ctx, run)
      : run();
  };
}
