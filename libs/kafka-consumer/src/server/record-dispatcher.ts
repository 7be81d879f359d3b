import type { LoggerService } from '@nestjs/common';
import type { KafkaBatchContext } from '../context/kafka-batch.context.js';
import type { BatchAttempt } from './batch-invocation.js';
import type { KafkaMessage } from 'kafkajs';
import { KafkaConsumerContext, type RecordControls } from '../context/kafka-consumer.context.js';
import { recordRedelivered, recordSkipped, unroutedRecord } from '../kafka-consumer.messages.js';
import { headerValue } from '../dead-letter/dead-letter.headers.js';
import { UnroutedRecordError } from '../errors/unrouted-record.error.js';
import type { HandlerRouter } from './handler-routes.js';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import { isSettled, type RecordOutcome } from '../retry/record-outcome.js';
import { deserializerFor, type ValueDeserializer } from '../serialization/deserializer.js';
import type { FailureSettler } from './handler-invocation.js';
import type { OffsetCommitter } from './offset-committer.js';
import type { PartitionWorker } from './partition-worker.js';
import { workerRecordControls } from './worker-record-controls.js';
import type { RetryStage } from '../retry-topics/retry-topics.js';
import { NO_OBSERVER, type GroupObserver } from '../observability/group-observer.js';
import type { RecordTracing } from '../observability/record-tracing.js';

/** One handler bound to one topic in this group. */
export interface GroupHandler {
  readonly topic: string;
  /** `Class.method`, for messages. */
  readonly name: string;
  readonly options: ResolvedHandlerOptions;
  /** Runs the record through Nest's pipeline; resolves to its outcome, never rejects. */
  invoke(data: unknown, ctx: KafkaConsumerContext): Promise<RecordOutcome>;
  /** Batch handlers: calls the handler once with the batch's payloads; never rejects (`batch-dispatcher.ts`). */
  invokeBatch?(data: unknown[], ctx: KafkaBatchContext): Promise<BatchAttempt>;
  /** Retry topics: the stage this handler reads (absent: the main topic). */
  readonly retryStage?: RetryStage;
  /** Decodes its records' values (a resolved `Deserializer` class). Absent: the built-in one its options name. */
  readonly deserialize?: ValueDeserializer;
  /** Routed topics: picks the handler of each record (this handler is one of them). Absent: this handler takes all. */
  readonly router?: HandlerRouter<GroupHandler>;
  /** Epoch ms before which a record must not be dispatched (retry topics). Absent: always due. */
  dueAt?(message: KafkaMessage): number;
}

/** What the dispatcher needs from its consumer group runner. */
export interface RecordDispatcherOptions {
  readonly groupId: string;
  readonly handlers: ReadonlyMap<string, GroupHandler>;
  readonly committer: OffsetCommitter;
  readonly logger: LoggerService;
  /** The failure policy, for failures outside the handler pipeline (deserialization). */
  readonly settleFailure: FailureSettler;
  /** The heartbeat of the last kafkajs batch (ctx.heartbeat()). */
  readonly heartbeat: () => (() => Promise<void>) | null;
  /** The handler was fenced off by its offset store: the partition has a new owner. */
  readonly onPartitionsLost: (workers: PartitionWorker[]) => void;
  /** Told of every record's outcome (health, events, metrics). */
  readonly observer?: GroupObserver;
  /** The `tracing` option is on: each record runs in its span. */
  readonly tracing?: RecordTracing;
}

/** What a partition's records are dispatched with: made once per partition worker, not per record. */
interface PartitionBinding {
  readonly handler: GroupHandler;
  readonly deserialize: ValueDeserializer;
  readonly controls: RecordControls;
  /** Routed topics: the controls of each routed handler (the same, naming that handler). */
  routedControls?: Map<GroupHandler, RecordControls>;
  /** How often each failing record was delivered again (several at once with concurrency 'key' or 'unordered'). */
  readonly failing: Map<string, number>;
}

/** Runs one record of a partition worker through its deserializer and handler. */
export class RecordDispatcher {
  private readonly bindings = new WeakMap<PartitionWorker, PartitionBinding>();
  /** Records committed without being processed (guard refusals, exhausted, undecodable dead-letter records). */
  private skipped = 0;

  constructor(private readonly options: RecordDispatcherOptions) {}

  /** Resolves true when the record is settled (processed, dead-lettered, forwarded or skipped). */
  async dispatch(worker: PartitionWorker, message: KafkaMessage): Promise<boolean> {
    const binding = this.bindingOf(worker);
    if (!binding) return true;
    const redeliveries = binding.failing.get(message.offset) ?? 0;
    const startedAt = performance.now();
    const tracing = this.options.tracing;
    const outcome =
      tracing === undefined
        ? await this.run(worker, binding, message, redeliveries)
        : await tracing.trace(
            { groupId: this.options.groupId, topic: worker.topic, partition: worker.partition, message },
            () => this.run(worker, binding, message, redeliveries),
          );
    this.report(worker, message, outcome, redeliveries);
    (this.options.observer ?? NO_OBSERVER).settled(worker, message, outcome, startedAt);
    if (isSettled(outcome)) {
      // Settled without the handler's own ctx.commit(): with commit 'manual' it counts as acknowledged (M2).
      if (outcome.kind !== 'processed') worker.markSettled(Number(message.offset));
      binding.failing.delete(message.offset);
      return true;
    }
    worker.lastError = outcome.error;
    binding.failing.set(message.offset, redeliveries + 1);
    // The handler's transaction was fenced off: the partition has a new owner, nothing to redeliver here.
    if (outcome.kind === 'fenced') this.options.onPartitionsLost([worker]);
    return false;
  }

  /**
   * The one log line of a failed record (dead-letter and retry-topic writes log their own). A
   * record that keeps failing is reported at its first failure and every tenth redelivery; a
   * failed dead-letter write or skip hook every time.
   */
  private report(worker: PartitionWorker, message: KafkaMessage, outcome: RecordOutcome, redeliveries: number): void {
    const { logger, groupId } = this.options;
    const { topic, partition } = worker;
    if (outcome.kind === 'skipped') {
      this.skipped++;
      const line = recordSkipped(
        groupId,
        topic,
        partition,
        message.offset,
        outcome.reason,
        redeliveries,
        this.skipped,
        outcome.error,
      );
      if (outcome.reason === 'undeserializable-dead-letter-record') logger.error(line);
      else logger.warn(line);
    } else if (outcome.kind === 'redeliver') {
      const line = recordRedelivered(
        groupId,
        topic,
        partition,
        message.offset,
        outcome.reason,
        redeliveries,
        outcome.error,
      );
      const repeating = outcome.reason === 'exhausted' || outcome.reason === 'refused';
      if (outcome.reason === 'aborted' || (repeating && redeliveries % 10 !== 0)) logger.debug?.(line);
      else logger.warn(line);
    }
  }

  private async run(
    worker: PartitionWorker,
    binding: PartitionBinding,
    message: KafkaMessage,
    redeliveries: number,
  ): Promise<RecordOutcome> {
    const { handler, deserialize, controls } = binding;
    const ctx = new KafkaConsumerContext(
      [message, worker.topic, worker.partition, this.options.groupId],
      controls,
      redeliveries,
    );
    let data: unknown;
    try {
      data = deserialize(message.value, worker.topic, worker.partition, message.offset, message);
      // Only a Deserializer class may be async: the built-in ones cost no extra tick.
      if (data instanceof Promise) data = await data;
    } catch (error) {
      return this.options.settleFailure(ctx, error, 'deserialization');
    }
    if (handler.router === undefined) return handler.invoke(data, ctx);
    return this.route(handler.router, worker, binding, message, data, ctx);
  }

  /** Routed topics: runs the record through the handler its route picks, or applies `unrouted`. */
  private route(
    router: HandlerRouter<GroupHandler>,
    worker: PartitionWorker,
    binding: PartitionBinding,
    message: KafkaMessage,
    data: unknown,
    ctx: KafkaConsumerContext,
  ): Promise<RecordOutcome> {
    const value = router.header === undefined ? undefined : headerValue(message.headers, router.header);
    const target = router.select(value, data);
    if (target === binding.handler) return target.invoke(data, ctx);
    if (target === undefined) {
      const { topic, partition } = worker;
      const names = router.handlers.map((h) => h.name);
      const error = new UnroutedRecordError(
        unroutedRecord(router.header, value, names),
        topic,
        partition,
        message.offset,
      );
      if (router.unrouted === 'dead-letter') return this.options.settleFailure(ctx, error, 'deserialization');
      return Promise.resolve({ kind: 'skipped', reason: 'unrouted', error });
    }
    binding.routedControls ??= new Map();
    let controls = binding.routedControls.get(target);
    if (!controls) binding.routedControls.set(target, (controls = { ...binding.controls, handler: target }));
    const routed = new KafkaConsumerContext(
      [message, worker.topic, worker.partition, this.options.groupId],
      controls,
      ctx.redeliveries,
    );
    return target.invoke(data, routed);
  }

  private bindingOf(worker: PartitionWorker): PartitionBinding | undefined {
    let binding = this.bindings.get(worker);
    if (binding) return binding;
    const handler = this.options.handlers.get(worker.topic);
    if (!handler) return undefined;
    binding = {
      handler,
      deserialize: handler.deserialize ?? deserializerFor(handler.options.deserializer),
      controls: this.controlsFor(worker, handler),
      failing: new Map(),
    };
    this.bindings.set(worker, binding);
    return binding;
  }

  private controlsFor(worker: PartitionWorker, handler: GroupHandler): RecordControls {
    const controls = workerRecordControls(worker, handler, this.options);
    const { tracing } = this.options;
    return tracing ? { ...controls, retrying: tracing.retrying.bind(tracing) } : controls;
  }
}
