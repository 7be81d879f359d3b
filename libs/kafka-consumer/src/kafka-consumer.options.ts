import type { Type } from '@nestjs/common';
import type { ConsumerConfig, KafkaConfig } from 'kafkajs';
import type { OffsetStore } from './offset-stores/offset-store.js';
import type { BatchOptions, ResolvedBatch } from './options/batch.options.js';
import type { ConcurrencyOptions, ResolvedConcurrency } from './options/concurrency.options.js';
import type { ControlOptions, ResolvedControlOptions } from './options/control.options.js';
import type { ErrorRedactionOptions, ResolvedErrorRedaction } from './options/error-redaction.options.js';
import type {
  HandlerFailurePolicyOptions,
  ModuleFailurePolicyOptions,
  ResolvedFailurePolicies,
} from './options/failure-policy.options.js';
import type { ObservabilityOptions, ResolvedObservabilityOptions } from './options/observability.options.js';
import type {
  PartitionLifecycleOptions,
  ResolvedPartitionLifecycleOptions,
} from './options/partition-lifecycle.options.js';
import type { ResolvedResourceLimits, ResourceLimitOptions } from './options/resource-limits.options.js';
import type {
  DeadLetterOptions,
  ResolvedDeadLetter,
  ResolvedRetry,
  ResolvedRetryTopics,
  RetryOptions,
  RetryTopicsOptions,
} from './options/retry.options.js';
import type { ResolvedRouting, RoutingOptions } from './options/routing.options.js';
import type { Deserializer } from './serialization/deserializer-class.js';
import type { BackoffOptions, ResolvedBackoff } from './util/backoff.js';

// The option types of the module and of `@ConsumeTopic`, resolved or not. Each concern's own
// options, defaults and validation live in options/*.options.ts; options/options.resolver.ts
// validates a whole options object and applies the defaults.

export type { BackoffOptions } from './util/backoff.js';
export { MAX_DELAY_MS, durationMs, readTracked } from './options/option-readers.js';
export * from './options/failure-policy.options.js';
export * from './options/partition-lifecycle.options.js';
export * from './options/resource-limits.options.js';
export * from './options/routing.options.js';
export * from './options/retry.options.js';
export * from './options/concurrency.options.js';
export * from './options/batch.options.js';
export * from './options/control.options.js';
export * from './options/observability.options.js';
export * from './options/error-redaction.options.js';
export { resolveHandlerOptions, resolveModuleOptions } from './options/options.resolver.js';

/** When offsets are committed: `auto` after each processed record (batched), `manual` only on `ctx.commit()`. */
export type CommitMode = 'auto' | 'manual';

/**
 * What `listen()` does when a topic a handler consumes does not exist: `'fail'` with
 * `MissingTopicError` naming topic, handler and group; `'wait'` until it exists (logging every 30 s);
 * `'create'` it with the broker's default partition count and replication factor.
 */
export type MissingTopicsMode = 'fail' | 'wait' | 'create';

/** How a record value is decoded before it reaches the handler. */
export type DeserializerKind = 'json' | 'string' | 'buffer';

/** A built-in deserializer by name, or a `Deserializer` class resolved through Nest DI. */
export type DeserializerOption = DeserializerKind | Type<Deserializer>;

/** Options of `KafkaConsumerModule.forRoot()` / `forRootAsync()`. */
export interface KafkaConsumerModuleOptions
  extends
    ResourceLimitOptions,
    PartitionLifecycleOptions,
    ModuleFailurePolicyOptions,
    ObservabilityOptions,
    ErrorRedactionOptions {
  /** kafkajs client configuration; `brokers` is required. */
  client: KafkaConfig;
  /** kafkajs consumer defaults for every group (`groupId` is the default group). */
  consumer?: Partial<ConsumerConfig>;
  /** Where offsets are stored; a class resolved through Nest DI. Default `KafkaOffsetStore`. */
  offsetStore?: Type<OffsetStore>;
  /** Default commit mode of handlers. Default `'auto'`. */
  commit?: CommitMode;
  /** Start from the earliest offset when a group has no stored offset. Default false (latest). */
  fromBeginning?: boolean;
  /** Default value decoding: `'json'`, `'string'`, `'buffer'` or a `Deserializer` class. Default `'json'`. */
  deserializer?: DeserializerOption;
  /** In-process retry; `false` turns it off. Default `{ attempts: 3 }` with the default backoff. */
  retry?: RetryOptions | false;
  /** Dead-letter topics; `false` or omitted turns them off. Default off. */
  deadLetter?: DeadLetterOptions | false;
  /**
   * Delay before a record that failed (after retry and dead-letter) is delivered again; its
   * partition waits meanwhile. Default `{ type: 'exponential', delayMs: 1000, multiplier: 2, maxDelayMs: 30000 }`.
   */
  redelivery?: BackoffOptions;
  /** Longest time between commits while records are processed, in ms. Default 1000. */
  commitIntervalMs?: number;
  /** How long `close()` waits for running handlers, in ms. Default 30000. */
  shutdownTimeoutMs?: number;
  /**
   * Fetched records buffered per partition before its fetching pauses (it resumes at half). A
   * fetched batch is taken whole while the queue is below it. Default 1000.
   */
  maxQueuedMessagesPerPartition?: number;
  /** What `listen()` does when a consumed topic does not exist: `'fail'`, `'wait'` or `'create'`. Default `'fail'`. */
  missingTopics?: MissingTopicsMode;
  /**
   * How long `listen()` keeps trying to reach the brokers at startup (a broker still starting),
   * in ms, before it fails with `BrokersUnreachableError`. Default 30000.
   */
  brokerStartupTimeoutMs?: number;
  /** Default concurrency of handlers. Default `{ mode: 'partition' }` (one record per partition, in order). */
  concurrency?: ConcurrencyOptions;
}

/** Options of one `@ConsumeTopic` handler; unset fields fall back to the module options. */
export interface ConsumeTopicOptions
  extends HandlerFailurePolicyOptions, RoutingOptions, ControlOptions, ErrorRedactionOptions {
  /** Consumer group. Default `forRoot({ consumer: { groupId } })`. */
  groupId?: string;
  /** Start from the earliest offset when the group has no stored offset. */
  fromBeginning?: boolean;
  /** `auto` or `manual` commit. */
  commit?: CommitMode;
  /** Value decoding: `'json'`, `'string'`, `'buffer'` or a `Deserializer` class (DI-resolved, may be async). */
  deserializer?: DeserializerOption;
  /** Retry for this handler; `false` turns it off. */
  retry?: RetryOptions | false;
  /** Dead-lettering for this handler; `false` turns it off. */
  deadLetter?: DeadLetterOptions | false;
  /** Offset store for this handler's group (every handler of a group must agree). */
  offsetStore?: Type<OffsetStore>;
  /**
   * Non-blocking retry topics for this handler. Default off. When set, in-process retry is off
   * for this handler unless its own `retry` option is given.
   */
  retryTopics?: RetryTopicsOptions;
  /** Records of this handler running at once, and their order. Default: the module's `concurrency`. */
  concurrency?: ConcurrencyOptions;
  /**
   * Batch handler: the method receives the records of one partition as an array of payloads and a
   * `KafkaBatchContext`. `true` takes the defaults `{ maxSize: 100, maxWaitMs: 0 }`. Not with
   * `retryTopics`, `route`, or a concurrency mode other than `'partition'`.
   */
  batch?: BatchOptions | true;
}

export interface ResolvedModuleOptions
  extends
    ResolvedResourceLimits,
    ResolvedPartitionLifecycleOptions,
    ResolvedFailurePolicies,
    ResolvedObservabilityOptions,
    ResolvedErrorRedaction {
  client: KafkaConfig;
  consumer: Partial<ConsumerConfig>;
  offsetStore?: Type<OffsetStore>;
  commit: CommitMode;
  fromBeginning: boolean;
  deserializer: DeserializerOption;
  retry: ResolvedRetry | false;
  deadLetter: ResolvedDeadLetter | false;
  redelivery: ResolvedBackoff;
  commitIntervalMs: number;
  shutdownTimeoutMs: number;
  maxQueuedMessagesPerPartition: number;
  missingTopics: MissingTopicsMode;
  brokerStartupTimeoutMs: number;
  concurrency: ResolvedConcurrency;
}

export interface ResolvedHandlerOptions
  extends ResolvedFailurePolicies, ResolvedRouting, ResolvedControlOptions, ResolvedErrorRedaction {
  groupId: string;
  fromBeginning: boolean;
  commit: CommitMode;
  deserializer: DeserializerOption;
  retry: ResolvedRetry | false;
  deadLetter: ResolvedDeadLetter | false;
  offsetStore?: Type<OffsetStore>;
  /** Undefined when the handler has no retry topics. */
  retryTopics?: ResolvedRetryTopics;
  concurrency: ResolvedConcurrency;
  /** Set on batch handlers. */
  batch?: ResolvedBatch;
}
