import type { LoggerService } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { KafkaBatchContext, type BatchControls } from '../context/kafka-batch.context.js';
import { KafkaConsumerContext, type RecordControls } from '../context/kafka-consumer.context.js';
import { NO_OBSERVER, type GroupObserver } from '../observability/group-observer.js';
import { recordRedelivered } from '../messages/record-outcome.messages.js';
import type { FailureSettlement } from '../retry/failure-settlement.js';
import { retryAfterFailure } from '../retry/in-process-retry.js';
import { isSettled, PROCESSED, type RecordOutcome } from '../retry/record-outcome.js';
import { deserializerFor, type ValueDeserializer } from '../serialization/deserializer.js';
import { batchFailure, recordError, type BatchFailure } from './batch-failure.js';
import type { OffsetCommitter } from './offset-committer.js';
import type { PartitionWorker } from './partition-worker.js';
import type { GroupHandler } from './record-dispatcher.js';
import { workerRecordControls } from './worker-record-controls.js';

export interface BatchDispatcherOptions {
  readonly groupId: string;
  readonly handlers: ReadonlyMap<string, GroupHandler>;
  readonly committer: OffsetCommitter;
  readonly logger: LoggerService;
  readonly failures: FailureSettlement;
  readonly heartbeat: () => (() => Promise<void>) | null;
  readonly onPartitionsLost: (workers: PartitionWorker[]) => void;
  /** Told of each record's outcome (health, events, metrics). */
  readonly observer?: GroupObserver;
}

interface BatchBinding {
  readonly handler: GroupHandler;
  readonly deserialize: ValueDeserializer;
  readonly controls: RecordControls;
  /** The record left unsettled last and how often it was delivered again since. */
  failing?: { readonly offset: string; readonly redeliveries: number };
  /** The running dispatch: when it started, and the records whose failure was already reported. */
  startedAt: number;
  readonly reported: Set<string>;
}

/**
 * Runs the records of a batch handler's partition as batches:
 * - success: every record is processed (committed as usual, or by `ctx.commit()` in manual mode);
 * - `BatchError(i, cause)`: records before `i` are processed; record `i` alone is retried in
 *   process (as a batch of one, with the retry backoff) and then goes through the failure policy
 *   (dead-letter topic with its own headers); the records after it form the next batch;
 * - any other error: the whole batch is retried in process, then every record of it goes through
 *   the failure policy in order, with that error.
 * A record the policy leaves unsettled (no dead-letter topic, a failed write) stops the batch
 * there: it is the first record of the next batch, delivered after the redelivery backoff.
 */
export class BatchDispatcher {
  private readonly bindings = new WeakMap<PartitionWorker, BatchBinding>();

  constructor(private readonly options: BatchDispatcherOptions) {}

  /** Resolves to how many records, from the first, are settled. */
  async dispatch(worker: PartitionWorker, messages: KafkaMessage[]): Promise<number> {
    const binding = this.bindingOf(worker);
    if (!binding) return messages.length;
    const redeliveries = binding.failing?.offset === messages[0].offset ? binding.failing.redeliveries : 0;
    binding.startedAt = performance.now();
    binding.reported.clear();
    const settled = await this.run(worker, binding, messages, redeliveries);
    const observer = this.options.observer ?? NO_OBSERVER;
    for (const message of messages.slice(0, settled)) {
      if (!binding.reported.has(message.offset)) observer.settled(worker, message, PROCESSED, binding.startedAt);
    }
    if (settled >= messages.length) binding.failing = undefined;
    else {
      const offset = messages[settled].offset;
      binding.failing = { offset, redeliveries: binding.failing?.offset === offset ? redeliveries + 1 : 1 };
    }
    return settled;
  }

  private async run(
    worker: PartitionWorker,
    binding: BatchBinding,
    messages: KafkaMessage[],
    redeliveries: number,
  ): Promise<number> {
    const payloads: unknown[] = [];
    for (const message of messages) {
      try {
        let data = binding.deserialize(message.value, worker.topic, worker.partition, message.offset, message);
        if (data instanceof Promise) data = await data;
        payloads.push(data);
      } catch (error) {
        // The batch ends before an undecodable record, which then goes alone through the failure policy.
        if (payloads.length > 0) break;
        const ctx = this.recordContext(worker, binding, message, redeliveries);
        return this.conclude(worker, ctx, await this.options.failures.settle(ctx, error, 'deserialization')) ? 1 : 0;
      }
    }
    const batch = messages.slice(0, payloads.length);
    const failure = await this.attemptWithRetry(worker, binding, batch, payloads, redeliveries);
    if (!failure) return batch.length;
    if (failure.kind === 'record') {
      const { index, cause } = failure;
      const ctx = this.recordContext(worker, binding, batch[index], index === 0 ? redeliveries : 0);
      const outcome = await this.retryRecord(worker, binding, ctx, payloads[index], cause);
      return this.conclude(worker, ctx, outcome) ? index + 1 : index;
    }
    for (let i = 0; i < batch.length; i++) {
      const ctx = this.recordContext(worker, binding, batch[i], i === 0 ? redeliveries : 0);
      if (!this.conclude(worker, ctx, await this.options.failures.settle(ctx, failure.error, 'handler'))) return i;
    }
    return batch.length;
  }

  /** Calls the handler with the batch, again after a whole-batch failure while the retry policy allows. */
  private async attemptWithRetry(
    worker: PartitionWorker,
    binding: BatchBinding,
    batch: KafkaMessage[],
    payloads: unknown[],
    redeliveries: number,
  ): Promise<BatchFailure | undefined> {
    const first = this.recordContext(worker, binding, batch[0], redeliveries);
    for (let failed = 1; ; failed++) {
      const attempt = await this.invoke(worker, binding, batch, payloads, failed);
      if (!attempt) return undefined;
      const failure = batchFailure(attempt.error, batch.length);
      if (failure.kind === 'record') return failure;
      if (!(await retryAfterFailure(this.options.failures, first, failure.error, failed, 1))) return failure;
    }
  }

  /** Record `ctx` failed its first attempt with `cause`: retried alone (a batch of one), then settled. */
  private async retryRecord(
    worker: PartitionWorker,
    binding: BatchBinding,
    ctx: KafkaConsumerContext,
    payload: unknown,
    cause: unknown,
  ): Promise<RecordOutcome> {
    let error = cause;
    for (let failed = 1; await retryAfterFailure(this.options.failures, ctx, error, failed, 1); failed++) {
      const attempt = await this.invoke(worker, binding, [ctx.message], [payload], failed + 1);
      if (!attempt) return PROCESSED;
      error = recordError(batchFailure(attempt.error, 1));
    }
    return this.options.failures.settle(ctx, error, 'handler');
  }

  private invoke(
    worker: PartitionWorker,
    binding: BatchBinding,
    batch: KafkaMessage[],
    payloads: unknown[],
    attempt: number,
  ) {
    const ctx = new KafkaBatchContext(
      [batch, worker.topic, worker.partition, this.options.groupId],
      this.batchControls(worker, binding, batch),
    );
    ctx.setAttempt(attempt);
    return binding.handler.invokeBatch!(payloads, ctx);
  }

  /** Acts on a failed record's outcome; true when it is settled (its offset may be committed). */
  private conclude(worker: PartitionWorker, ctx: KafkaConsumerContext, outcome: RecordOutcome): boolean {
    const binding = this.bindings.get(worker);
    if (binding && outcome.kind !== 'processed') {
      binding.reported.add(ctx.offset);
      (this.options.observer ?? NO_OBSERVER).settled(worker, ctx.message, outcome, binding.startedAt);
    }
    if (isSettled(outcome)) {
      if (outcome.kind !== 'processed') worker.markSettled(Number(ctx.offset));
      return true;
    }
    worker.lastError = outcome.error;
    if (outcome.kind === 'fenced') this.options.onPartitionsLost([worker]);
    else if (outcome.reason !== 'aborted') {
      const { groupId, logger } = this.options;
      logger.warn(
        recordRedelivered(
          groupId,
          ctx.topic,
          ctx.partition,
          ctx.offset,
          outcome.reason,
          ctx.redeliveries,
          outcome.error,
        ),
      );
    }
    return false;
  }

  private recordContext(
    worker: PartitionWorker,
    binding: BatchBinding,
    message: KafkaMessage,
    redeliveries: number,
  ): KafkaConsumerContext {
    return new KafkaConsumerContext(
      [message, worker.topic, worker.partition, this.options.groupId],
      binding.controls,
      redeliveries,
    );
  }

  private batchControls(worker: PartitionWorker, binding: BatchBinding, batch: KafkaMessage[]): BatchControls {
    const { controls } = binding;
    return {
      signal: controls.signal,
      heartbeat: () => controls.heartbeat(),
      pause: () => controls.pause(),
      resume: () => controls.resume(),
      commit: async () => {
        // The batch's records are done as of this call: the commit covers all of them.
        if (worker.state !== 'revoked') for (const message of batch) worker.tracker.finish(Number(message.offset));
        await controls.commit(batch[batch.length - 1].offset);
      },
    };
  }

  private bindingOf(worker: PartitionWorker): BatchBinding | undefined {
    let binding = this.bindings.get(worker);
    if (binding) return binding;
    const handler = this.options.handlers.get(worker.topic);
    if (!handler?.invokeBatch) return undefined;
    binding = {
      handler,
      deserialize: handler.deserialize ?? deserializerFor(handler.options.deserializer),
      controls: workerRecordControls(worker, handler, this.options),
      startedAt: 0,
      reported: new Set(),
    };
    this.bindings.set(worker, binding);
    return binding;
  }
}
