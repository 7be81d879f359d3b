import type { LoggerService } from '@nestjs/common';
import type { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import type { MessageHandler, Server } from '@nestjs/microservices';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DEFAULT_INTERCEPTORS } from '../decorators/consume-topic.decorator.js';
import type { FailureSettlement } from '../retry/failure-settlement.js';
import type { RecordOutcome } from '../retry/record-outcome.js';
import type { PlannedHandler } from './consumer-group.plan.js';
import type { KafkaBatchContext } from '../context/kafka-batch.context.js';
import { callBatchHandler, invokeBatchHandler, type BatchAttempt } from './batch-invocation.js';
import { directInvocation, type HandlerCall } from './direct-invocation.js';
import { HandlerComposer } from './handler-composition.js';
import { invokeHandler, type FailureSettler, type ProcessingHooksRunner } from './handler-invocation.js';
import { processingHooksOf } from './processing-hooks.js';

/** The parts of Nest's `Server` that tell whether processing hooks were set. */
interface HookedServer {
  onProcessingStartHook?: unknown;
  onProcessingEndHook?: unknown;
}

/**
 * How each record of a handler runs: handlers whose pipeline is the default stack only (the
 * package's interceptors, nothing of the user's) are called directly, with retry and the failure
 * policy as plain code (`direct-invocation.ts`); the others, and every handler once processing
 * hooks are set (tracing), run through Nest's pipeline (`handler-invocation.ts`).
 */
export class RecordInvoker {
  private readonly runWithHooks: ProcessingHooksRunner;
  private readonly settle: FailureSettler;
  /** Nest's default start hook (it only calls `done`), to tell whether processing hooks were set. */
  private readonly defaultStartHook: unknown;
  /** Handlers (by their `callback`) called directly. */
  private readonly direct = new Map<
    MessageHandler,
    (data: unknown, ctx: KafkaConsumerContext) => Promise<RecordOutcome>
  >();
  /** The direct calls of those handlers, for batch handlers (their retry is the batch dispatcher's). */
  private readonly directCalls = new Map<MessageHandler, HandlerCall>();

  constructor(
    /** The transport (a Nest `Server`), whose processing hooks run around the pipeline. */
    private readonly server: object,
    private readonly failures: FailureSettlement,
    private readonly logger: LoggerService,
  ) {
    this.runWithHooks = processingHooksOf(server as Server);
    this.settle = (ctx, error, stage) => failures.settle(ctx, error, stage);
    this.defaultStartHook = (server as unknown as HookedServer).onProcessingStartHook;
  }

  /** Decides, once per handler at startup, which handlers are called directly. */
  compose(planned: PlannedHandler<MessageHandler>[], modules: ModulesContainer, config: ApplicationConfig): void {
    const composer = new HandlerComposer(modules, config, DEFAULT_INTERCEPTORS);
    for (const { callback, name } of planned.flatMap((p) => [p, ...(p.routes ?? [])])) {
      if (this.direct.has(callback)) continue;
      const composed = composer.compose(callback);
      if (composed.call) {
        this.direct.set(callback, directInvocation(composed.call, this.failures));
        this.directCalls.set(callback, composed.call);
      } else this.logger.debug?.(`${name} runs through Nest's pipeline: ${composed.blockers.join(', ')}`);
    }
  }

  /** Runs one record through the handler; resolves to its outcome, never rejects. */
  invoke(callback: MessageHandler, data: unknown, ctx: KafkaConsumerContext): Promise<RecordOutcome> {
    const direct = this.direct.get(callback);
    if (direct && !this.hooksSet()) return direct(data, ctx);
    return invokeHandler(callback, data, ctx, this.runWithHooks, this.settle);
  }

  /** Runs one batch through a batch handler, directly or through Nest's pipeline as `invoke` decides. */
  invokeBatch(callback: MessageHandler, data: unknown[], ctx: KafkaBatchContext): Promise<BatchAttempt> {
    const call = this.directCalls.get(callback);
    if (call && !this.hooksSet()) return callBatchHandler(call, data, ctx);
    return invokeBatchHandler(callback, data, ctx, this.runWithHooks);
  }

  private hooksSet(): boolean {
    const hooked = this.server as unknown as HookedServer;
    return hooked.onProcessingStartHook !== this.defaultStartHook || hooked.onProcessingEndHook !== undefined;
  }
}
