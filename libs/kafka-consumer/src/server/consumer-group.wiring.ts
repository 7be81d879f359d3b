import type { LoggerService } from '@nestjs/common';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import type { OffsetStore, OffsetStoreScope } from '../offset-stores/offset-store.js';
import { NO_OBSERVER, type GroupObserver } from '../observability/group-observer.js';
import type { RecordTracing } from '../observability/record-tracing.js';
import type { FailureSettlement } from '../retry/failure-settlement.js';
import { BatchDispatcher } from './batch-dispatcher.js';
import { BufferBudget } from './buffer-budget.js';
import type { FailureSettler } from './handler-invocation.js';
import { InFlightLimit } from './in-flight-limit.js';
import { KafkaGroupCommit } from './group-commit.js';
import { KafkajsConsumerAdapter } from './kafkajs-consumer.adapter.js';
import { MembershipGate } from './membership-gate.js';
import { OffsetCommitter } from './offset-committer.js';
import { PartitionAssignment } from './partition-assignment.js';
import { PartitionControl } from './partition-control.js';
import { PartitionLifecycle } from './partition-lifecycle.js';
import { PartitionWorker } from './partition-worker.js';
import type { PartitionWorkerHost, PartitionWorkerLimits } from './partition-worker.types.js';
import { RecordDispatcher, type GroupHandler } from './record-dispatcher.js';
import { StartOffsetResolver } from './start-offset.resolver.js';
import { StoredOffsetLoader } from './stored-offset.loader.js';

export interface ConsumerGroupRunnerOptions {
  readonly groupId: string;
  readonly kafka: Kafka;
  readonly handlers: ReadonlyMap<string, GroupHandler>;
  readonly offsetStore: OffsetStore;
  readonly module: ResolvedModuleOptions;
  readonly logger: LoggerService;
  readonly settleFailure: FailureSettler;
  /** The failure policy, for batch handlers' in-process retry. */
  readonly failures?: FailureSettlement;
  /** Topics paused through the registry (kept by the server across stop/start of the group). */
  readonly pausedTopics?: Set<string>;
  /** Told of joins, crashes, record outcomes and commits (health, events, metrics). */
  readonly observer?: GroupObserver;
  /** The `tracing` option is on: a span per record. */
  readonly tracing?: RecordTracing;
}

/** What the wiring calls back into its runner. */
export interface ConsumerGroupRunnerHooks {
  /** The workers' host. */
  readonly host: PartitionWorkerHost;
  /** `close()` was called. */
  closing(): boolean;
  /** kafkajs' heartbeat of the last fetched batch; null once nothing is buffered. */
  heartbeat(): (() => Promise<void>) | null;
  /** The store rejected these partitions' offsets as stale. */
  onPartitionsLost(workers: PartitionWorker[]): void;
}

/** The parts of one consumer group, wired together; the runner drives them. */
export interface ConsumerGroupParts {
  readonly consumer: Consumer;
  readonly kafka: KafkajsConsumerAdapter;
  /** Kafka-store commits under the generation they were computed in (D2). */
  readonly groupCommit: KafkaGroupCommit;
  readonly observer: GroupObserver;
  readonly budget: BufferBudget;
  readonly lifecycle: PartitionLifecycle;
  readonly committer: OffsetCommitter;
  readonly dispatcher: RecordDispatcher;
  /** Set when a handler of the group takes batches. */
  readonly batches: BatchDispatcher | null;
  /** External stores: where a partition with nothing stored starts. */
  readonly startOffsets: StartOffsetResolver | null;
  readonly partitions: PartitionAssignment;
  readonly control: PartitionControl;
  readonly membership: MembershipGate;
}

/** Default fetch wait: kafkajs' 5 s would delay resumes and shutdown by as much. */
const DEFAULT_MAX_WAIT_TIME_MS = 500;
/** kafkajs' default session timeout. */
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/**
 * Builds the parts of one consumer group from its options: the kafkajs consumer and its adapter,
 * the partition lifecycle, the committer, the record and batch dispatchers, the stored-offset
 * loader (external stores), the partition assignment with its worker factory (limits, in-flight
 * bounds shared per topic), and the runtime control. Construction only: nothing connects here.
 */
export function wireConsumerGroup(
  options: ConsumerGroupRunnerOptions,
  runner: ConsumerGroupRunnerHooks,
): ConsumerGroupParts {
  const userRestart = options.module.consumer.retry?.restartOnFailure;
  const config: ConsumerConfig = {
    maxWaitTimeInMs: DEFAULT_MAX_WAIT_TIME_MS,
    ...options.module.consumer,
    groupId: options.groupId,
    // A consumer crashing while the group closes must not restart (and join) behind our back.
    retry: {
      ...options.module.consumer.retry,
      restartOnFailure: async (error) => !runner.closing() && (userRestart ? userRestart(error) : true),
    },
  };
  const consumer = options.kafka.consumer(config);
  const observer = options.observer ?? NO_OBSERVER;
  const budget = new BufferBudget(options.module.maxBufferedBytes);
  const { logger } = options;
  const kafka = new KafkajsConsumerAdapter(consumer, options.groupId, {
    error: (message) => logger.error(message),
    debug: (message) => logger.debug?.(message),
  });
  const claims = !options.offsetStore.usesKafkaGroupOffsets;
  const lifecycle = new PartitionLifecycle({
    claims,
    sessionTimeoutMs: config.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT_MS,
  });
  const groupCommit = new KafkaGroupCommit(consumer, {
    groupId: options.groupId,
    generation: () => lifecycle.generation,
    deadlineMs: options.module.offsetStoreSaveTimeoutMs,
  });
  const scope: OffsetStoreScope = {
    groupId: options.groupId,
    consumer,
    commitOffsets: (offsets) => groupCommit.commit(offsets),
  };
  const onPartitionsLost = (workers: PartitionWorker[]) => runner.onPartitionsLost(workers);
  const committer = new OffsetCommitter(
    options.groupId,
    options.offsetStore,
    scope,
    () => partitions.workers.values(),
    options.module.commitIntervalMs,
    logger,
    onPartitionsLost,
    options.module.offsetStoreSaveTimeoutMs,
    observer,
  );
  const dispatcher = new RecordDispatcher({
    groupId: options.groupId,
    handlers: options.handlers,
    committer,
    logger,
    settleFailure: options.settleFailure,
    heartbeat: runner.heartbeat,
    onPartitionsLost,
    observer,
    ...(options.tracing && { tracing: options.tracing }),
  });
  const { failures } = options;
  const batched = [...options.handlers.values()].some((handler) => handler.options.batch);
  const batches =
    batched && failures
      ? new BatchDispatcher({
          groupId: options.groupId,
          handlers: options.handlers,
          committer,
          logger,
          failures,
          heartbeat: runner.heartbeat,
          onPartitionsLost,
          observer,
        })
      : null;
  const fromBeginning = (topic: string) => options.handlers.get(topic)?.options.fromBeginning ?? false;
  const startOffsets = claims ? new StartOffsetResolver(options.kafka, options.groupId, fromBeginning) : null;
  const loader = startOffsets
    ? new StoredOffsetLoader({
        groupId: options.groupId,
        offsetStore: options.offsetStore,
        scope,
        lifecycle,
        logger,
        loadTimeoutMs: options.module.offsetStoreLoadTimeoutMs,
        saveTimeoutMs: options.module.offsetStoreSaveTimeoutMs,
        seek: (topic, partition, offset) => kafka.seek(topic, partition, offset),
        resolveStart: (topic, partition) => startOffsets.resolve(topic, partition),
        observer,
      })
    : null;
  const concurrencyOf = inFlightLimits(options.handlers);
  const partitions: PartitionAssignment = new PartitionAssignment({
    groupId: options.groupId,
    lifecycle,
    kafka,
    loader,
    logger,
    revokeGraceMs: options.module.revokeGraceMs,
    closing: runner.closing,
    createWorker: (topic, partition) => {
      const worker = new PartitionWorker(
        topic,
        partition,
        options.handlers.get(topic)?.options.commit ?? 'auto',
        runner.host,
        options.module.maxQueuedMessagesPerPartition,
        options.module.redelivery,
        false,
        {
          buffer: budget,
          maxPendingRecords: options.module.maxUncommittedRecordsPerPartition,
          concurrency: concurrencyOf(topic),
          batch: batches ? options.handlers.get(topic)?.options.batch : undefined,
        },
      );
      control.onWorkerCreated(worker);
      return worker;
    },
  });
  const control = new PartitionControl({
    groupId: options.groupId,
    pausedTopics: options.pausedTopics ?? new Set(),
    lifecycle,
    partitions,
    kafka,
    committer,
    offsetStore: options.offsetStore,
    scope,
    saveTimeoutMs: options.module.offsetStoreSaveTimeoutMs,
  });
  const membership = new MembershipGate(lifecycle, runner.closing);
  return {
    consumer,
    kafka,
    groupCommit,
    observer,
    budget,
    lifecycle,
    committer,
    dispatcher,
    batches,
    startOffsets,
    partitions,
    control,
    membership,
  };
}

/** Each topic's `maxInFlight` bound, shared by its partitions ('key' and 'unordered' modes). */
function inFlightLimits(
  handlers: ReadonlyMap<string, GroupHandler>,
): (topic: string) => PartitionWorkerLimits['concurrency'] {
  const limits = new Map<string, InFlightLimit>();
  return (topic) => {
    const concurrency = handlers.get(topic)?.options.concurrency;
    if (!concurrency || concurrency.mode === 'partition') return undefined;
    let limit = limits.get(topic);
    if (!limit) limits.set(topic, (limit = new InFlightLimit(concurrency.maxInFlight)));
    return { mode: concurrency.mode, limit };
  };
}
