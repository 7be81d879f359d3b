import { Injectable, Logger } from '@nestjs/common';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { routeFailure, type FailureRoute } from '../dead-letter/failure-route.js';
import { redactErrorFailed } from '../kafka-consumer.messages.js';
import { applyRedactError } from '../messages/redacted-error-text.js';
import { decideFailure, type FailureDecision, type FailureRouteKind, type FailureStage } from './failure-policy.js';
import type { RecordOutcome, SkipReason } from './record-outcome.js';

/**
 * Applies the failure policy to one record: asks `decideFailure` what to do and does it (writes
 * to the retry or dead-letter topic, runs the skip hook). The one place every failure goes
 * through: handler errors (from the outcome interceptor), deserialization failures and guard
 * refusals (from the dispatcher and the testing transport).
 */
@Injectable()
export class FailureSettlement {
  private readonly logger = new Logger('KafkaConsumer');

  constructor(private readonly publisher: DeadLetterPublisher) {}

  /**
   * What the policy says about `error` of the record in `ctx`, failed at `stage`; `attempt` is the
   * number of the failed attempt within this delivery.
   */
  decide(ctx: KafkaConsumerContext, error: unknown, stage: FailureStage, attempt = ctx.attempt): FailureDecision {
    this.describe(ctx, error);
    const { retry, exhausted, refused } = ctx.handler.options;
    return decideFailure(error, {
      stage,
      attempt,
      attempts: retry ? retry.attempts : 1,
      nonRetriable: retry ? retry.nonRetriable : [],
      redeliveries: ctx.redeliveries,
      // Shutdown starts or the partition is revoked: no more retries or writes (ctx.signal waits for the timeout).
      aborted: ctx.stopping.aborted,
      route: (retriable) => routeKind(this.route(ctx, retriable)),
      refused,
      exhausted: exhausted === 'redeliver' ? 'redeliver' : { skipAfterRedeliveries: exhausted.skipAfterRedeliveries },
    });
  }

  /** Decides and acts on a failure that no in-process retry will try again. Never rejects. */
  async settle(ctx: KafkaConsumerContext, error: unknown, stage: FailureStage): Promise<RecordOutcome> {
    let decision = this.decide(ctx, error, stage);
    // Only the retry interceptor retries in process; anywhere else the attempts are used up.
    if (decision.action === 'retry') decision = this.decide(ctx, error, 'pipeline');
    switch (decision.action) {
      case 'fenced':
        return { kind: 'fenced', error };
      case 'redeliver':
        return { kind: 'redeliver', reason: decision.reason, error };
      case 'skip':
        return this.skip(ctx, error, decision.reason);
      case 'recover':
        return this.recover(ctx, error, decision.retriable);
      default:
        return { kind: 'redeliver', reason: 'exhausted', error };
    }
  }

  /**
   * Forwards a record to its next retry topic without running its handler (`retryTopics.keyOrdered`:
   * it follows an earlier record of its key). Never rejects.
   */
  forward(ctx: KafkaConsumerContext, reason: Error): Promise<RecordOutcome> {
    this.describe(ctx, reason);
    return this.recover(ctx, reason, true);
  }

  /**
   * Runs the handler's `redactError` hook on `error` (once per error), before anything writes its
   * message: every failure passes `decide` (or `forward`) first.
   */
  private describe(ctx: KafkaConsumerContext, error: unknown): void {
    const { redactError } = ctx.handler.options;
    if (!redactError) return;
    applyRedactError(error, redactError, (problem) => this.logger.error(redactErrorFailed(ctx.handler.name, problem)));
  }

  private async recover(ctx: KafkaConsumerContext, error: unknown, retriable: boolean): Promise<RecordOutcome> {
    const route = this.route(ctx, retriable);
    try {
      const written = await this.publisher.recover(ctx, error, retriable);
      if (written && route.kind === 'dead-letter') return { kind: 'dead-lettered', topic: route.topic, error };
      if (written && route.kind === 'retry-topic') return { kind: 'forwarded', topic: route.topic, error };
      return { kind: 'redeliver', reason: 'exhausted', error };
    } catch (publishError) {
      return { kind: 'redeliver', reason: 'recovery-failed', error: publishError };
    }
  }

  private async skip(ctx: KafkaConsumerContext, error: unknown, reason: SkipReason): Promise<RecordOutcome> {
    const { exhausted } = ctx.handler.options;
    if (reason === 'exhausted' && exhausted !== 'redeliver' && exhausted.onSkip) {
      try {
        await exhausted.onSkip(error, ctx);
      } catch (hookError) {
        return { kind: 'redeliver', reason: 'skip-hook-failed', error: hookError };
      }
    }
    return { kind: 'skipped', reason, error };
  }

  private route(ctx: KafkaConsumerContext, retriable: boolean): FailureRoute {
    const { deadLetter, retryTopics } = ctx.handler.options;
    return routeFailure({
      topic: ctx.topic,
      stage: ctx.handler.retryStage,
      retriable,
      deadLetter,
      retryTopics,
      knownDeadLetterTopics: this.publisher.knownDeadLetterTopics,
    });
  }
}

function routeKind(route: FailureRoute): FailureRouteKind {
  if (route.kind !== 'none') return route.kind;
  return route.reason === 'dead-letter-record' ? 'dead-letter-record' : 'none';
}
