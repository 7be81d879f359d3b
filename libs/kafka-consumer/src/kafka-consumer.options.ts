import type { Type } from '@nestjs/common';
import type { ConsumerConfig, KafkaConfig } from 'kafkajs';
import { InvalidOptionsError } from './errors/invalid-options.error.js';
import { invalidOption, missingOption } from './kafka-consumer.messages.js';
import type { OffsetStore } from './offset-stores/offset-store.js';
import { DEFAULT_BACKOFF, type BackoffOptions, type ResolvedBackoff } from './util/backoff.js';

export type { BackoffOptions } from './util/backoff.js';

/** When offsets are committed: `auto` after each processed record (batched), `manual` only on `ctx.commit()`. */
export type CommitMode = 'auto' | 'manual';

/** How a record value is decoded before it reaches the handler. */
export type DeserializerKind = 'json' | 'string' | 'buffer';

/** In-process retry of a failed record. */
export interface RetryOptions {
  /** Total attempts including the first. Default 3. */
  attempts?: number;
  /** Wait between attempts. Default `{ type: 'exponential', delayMs: 200, multiplier: 2, maxDelayMs: 10000, jitter: 0 }`. */
  backoff?: BackoffOptions;
  /** Error classes that skip the remaining attempts, besides `NonRetriableError`. Default `[]`. */
  nonRetriable?: Array<Type<Error> | (abstract new (...args: never[]) => Error)>;
}

/** Dead-letter topic for records that still fail after retries. */
export interface DeadLetterOptions {
  /** Default true when the object is given. */
  enabled?: boolean;
  /** Name of the dead-letter topic for a source topic. Default `` `${topic}-dlt` ``. */
  topic?: (sourceTopic: string) => string;
  /** Add the `kafka_dlt-exception-stacktrace` header. Default false: stack traces leak internals. */
  includeStackTrace?: boolean;
  /** Create a missing dead-letter topic (with the source's partition count) at startup. Default false. */
  createTopics?: boolean;
}

/**
 * Non-blocking retry through delay topics: a failed record is forwarded to
 * `${topic}-retry-${delaysMs[0]}`, then to the next delay's topic, then to the dead-letter topic.
 * Its partition on the main topic goes on at once; ordering is lost for retried records.
 */
export interface RetryTopicsOptions {
  /** Delay of each retry topic in ms, in order (distinct integers >= 0); e.g. `[1000, 5000, 30000]`. Required. */
  delaysMs: number[];
  /** Create missing retry topics (with the source's partition count) at startup. Default false. */
  createTopics?: boolean;
}

/** Options of `KafkaConsumerModule.forRoot()` / `forRootAsync()`. */
export interface KafkaConsumerModuleOptions {
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
  /** Default value decoding. Default `'json'`. */
  deserializer?: DeserializerKind;
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
  /** Fetched records buffered per partition before its fetching pauses. Default 1000. */
  maxQueuedMessagesPerPartition?: number;
}

/** Options of one `@ConsumeTopic` handler; unset fields fall back to the module options. */
export interface ConsumeTopicOptions {
  /** Consumer group. Default `forRoot({ consumer: { groupId } })`. */
  groupId?: string;
  /** Start from the earliest offset when the group has no stored offset. */
  fromBeginning?: boolean;
  /** `auto` or `manual` commit. */
  commit?: CommitMode;
  /** Value decoding: `json`, `string` or `buffer`. */
  deserializer?: DeserializerKind;
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
}

export interface ResolvedRetry {
  attempts: number;
  backoff: ResolvedBackoff;
  nonRetriable: Array<abstract new (...args: never[]) => Error>;
}

export interface ResolvedDeadLetter {
  topic: (sourceTopic: string) => string;
  includeStackTrace: boolean;
  createTopics: boolean;
}

export interface ResolvedRetryTopics {
  delaysMs: number[];
  createTopics: boolean;
}

export interface ResolvedModuleOptions {
  client: KafkaConfig;
  consumer: Partial<ConsumerConfig>;
  offsetStore?: Type<OffsetStore>;
  commit: CommitMode;
  fromBeginning: boolean;
  deserializer: DeserializerKind;
  retry: ResolvedRetry | false;
  deadLetter: ResolvedDeadLetter | false;
  redelivery: ResolvedBackoff;
  commitIntervalMs: number;
  shutdownTimeoutMs: number;
  maxQueuedMessagesPerPartition: number;
}

export interface ResolvedHandlerOptions {
  groupId: string;
  fromBeginning: boolean;
  commit: CommitMode;
  deserializer: DeserializerKind;
  retry: ResolvedRetry | false;
  deadLetter: ResolvedDeadLetter | false;
  offsetStore?: Type<OffsetStore>;
  /** Undefined when the handler has no retry topics. */
  retryTopics?: ResolvedRetryTopics;
}

export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_REDELIVERY: ResolvedBackoff = {
  type: 'exponential',
  delayMs: 1000,
  multiplier: 2,
  maxDelayMs: 30_000,
  jitter: 0,
};
const COMMIT_MODES: readonly CommitMode[] = ['auto', 'manual'];
const DESERIALIZERS: readonly DeserializerKind[] = ['json', 'string', 'buffer'];

const fail = (path: string, value: unknown, allowed: string): never => {
  throw new InvalidOptionsError(invalidOption(path, value, allowed));
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function nonNegativeNumber(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, value, 'a number >= 0');
  return value as number;
}

function positiveInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(path, value, 'an integer >= 1');
  return value as number;
}

function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail(path, value, allowed.map((a) => `'${a}'`).join(' | '));
  return value as T;
}

function boolean(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(path, value, 'true | false');
  return value as boolean;
}

export function resolveBackoff(
  path: string,
  value: unknown,
  defaults: ResolvedBackoff = DEFAULT_BACKOFF,
): ResolvedBackoff {
  if (value === undefined) return { ...defaults };
  if (!isPlainObject(value)) return fail(path, value, 'an object { type, delayMs, multiplier, maxDelayMs, jitter }');
  const type = oneOf(`${path}.type`, value.type, ['fixed', 'exponential'] as const, defaults.type);
  const delayMs = nonNegativeNumber(`${path}.delayMs`, value.delayMs, defaults.delayMs);
  const multiplier = nonNegativeNumber(`${path}.multiplier`, value.multiplier, defaults.multiplier);
  if (multiplier < 1) fail(`${path}.multiplier`, multiplier, 'a number >= 1');
  const maxDelayMs = nonNegativeNumber(`${path}.maxDelayMs`, value.maxDelayMs, Math.max(defaults.maxDelayMs, delayMs));
  if (maxDelayMs < delayMs) fail(`${path}.maxDelayMs`, maxDelayMs, `a number >= delayMs (${delayMs})`);
  const jitter = nonNegativeNumber(`${path}.jitter`, value.jitter, defaults.jitter);
  if (jitter > 1) fail(`${path}.jitter`, jitter, 'a fraction between 0 and 1');
  return { type, delayMs, multiplier, maxDelayMs, jitter };
}

export function resolveRetry(
  path: string,
  value: unknown,
  fallback: ResolvedRetry | false | undefined,
): ResolvedRetry | false {
  if (value === false) return false;
  if (value === undefined) {
    return fallback ?? { attempts: DEFAULT_RETRY_ATTEMPTS, backoff: { ...DEFAULT_BACKOFF }, nonRetriable: [] };
  }
  if (value === true) return { attempts: DEFAULT_RETRY_ATTEMPTS, backoff: { ...DEFAULT_BACKOFF }, nonRetriable: [] };
  if (!isPlainObject(value)) return fail(path, value, 'false | { attempts, backoff, nonRetriable }');
  const base = fallback || { attempts: DEFAULT_RETRY_ATTEMPTS, backoff: DEFAULT_BACKOFF, nonRetriable: [] };
  const attempts = positiveInteger(`${path}.attempts`, value.attempts, base.attempts);
  const backoff = resolveBackoff(`${path}.backoff`, value.backoff, base.backoff);
  const nonRetriable = value.nonRetriable ?? base.nonRetriable;
  if (!Array.isArray(nonRetriable) || nonRetriable.some((c) => typeof c !== 'function')) {
    fail(`${path}.nonRetriable`, nonRetriable, 'an array of error classes');
  }
  return { attempts, backoff, nonRetriable: nonRetriable as ResolvedRetry['nonRetriable'] };
}

export function resolveDeadLetter(
  path: string,
  value: unknown,
  fallback: ResolvedDeadLetter | false | undefined,
): ResolvedDeadLetter | false {
  if (value === false) return false;
  if (value === undefined) return fallback ?? false;
  if (value === true) value = {};
  if (!isPlainObject(value)) return fail(path, value, 'false | { enabled, topic, includeStackTrace, createTopics }');
  if (!boolean(`${path}.enabled`, value.enabled, true)) return false;
  const base = fallback || { topic: (t: string) => `${t}-dlt`, includeStackTrace: false, createTopics: false };
  if (value.topic !== undefined && typeof value.topic !== 'function') {
    fail(`${path}.topic`, value.topic, 'a function (sourceTopic: string) => string');
  }
  return {
    topic: (value.topic as ResolvedDeadLetter['topic'] | undefined) ?? base.topic,
    includeStackTrace: boolean(`${path}.includeStackTrace`, value.includeStackTrace, base.includeStackTrace),
    createTopics: boolean(`${path}.createTopics`, value.createTopics, base.createTopics),
  };
}

export function resolveRetryTopics(path: string, value: unknown): ResolvedRetryTopics | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) return fail(path, value, '{ delaysMs: number[], createTopics?: boolean }');
  const delaysMs = value.delaysMs;
  if (
    !Array.isArray(delaysMs) ||
    delaysMs.length === 0 ||
    delaysMs.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0) ||
    new Set(delaysMs).size !== delaysMs.length
  ) {
    fail(`${path}.delaysMs`, delaysMs, 'a non-empty array of distinct integers >= 0 (ms), e.g. [1000, 5000, 30000]');
  }
  return {
    delaysMs: [...(delaysMs as number[])],
    createTopics: boolean(`${path}.createTopics`, value.createTopics, false),
  };
}

/** Validates module options and applies defaults; a wrong option throws `InvalidOptionsError` naming it. */
export function resolveModuleOptions(raw: unknown): ResolvedModuleOptions {
  if (!isPlainObject(raw)) return fail('(root)', raw, 'an object { client: { brokers }, ... }');
  const client = raw.client;
  if (client === undefined) throw new InvalidOptionsError(missingOption('client', '{ brokers: string[] }'));
  if (!isPlainObject(client)) return fail('client', client, 'a kafkajs KafkaConfig object');
  const brokers = client.brokers;
  if (brokers === undefined)
    throw new InvalidOptionsError(missingOption('client.brokers', "a non-empty array such as ['127.0.0.1:9092']"));
  if (typeof brokers !== 'function') {
    if (
      !Array.isArray(brokers) ||
      brokers.length === 0 ||
      brokers.some((b) => typeof b !== 'string' || !/^[^:\s]+:\d+$/.test(b))
    ) {
      fail('client.brokers', brokers, "a non-empty array of 'host:port' strings, or a function returning one");
    }
  }
  const consumer = raw.consumer ?? {};
  if (!isPlainObject(consumer)) return fail('consumer', consumer, 'a kafkajs ConsumerConfig object');
  if (consumer.groupId !== undefined && (typeof consumer.groupId !== 'string' || consumer.groupId.trim() === '')) {
    fail('consumer.groupId', consumer.groupId, 'a non-empty string');
  }
  for (const key of ['sessionTimeout', 'rebalanceTimeout', 'heartbeatInterval', 'maxWaitTimeInMs'] as const) {
    nonNegativeNumber(`consumer.${key}`, consumer[key], 0);
  }
  if (raw.offsetStore !== undefined && typeof raw.offsetStore !== 'function') {
    fail('offsetStore', raw.offsetStore, 'a class extending OffsetStore (e.g. KafkaOffsetStore)');
  }
  const retry = resolveRetry('retry', raw.retry, undefined);
  return {
    client: client as unknown as KafkaConfig,
    consumer: consumer as Partial<ConsumerConfig>,
    offsetStore: raw.offsetStore as Type<OffsetStore> | undefined,
    commit: oneOf('commit', raw.commit, COMMIT_MODES, 'auto'),
    fromBeginning: boolean('fromBeginning', raw.fromBeginning, false),
    deserializer: oneOf('deserializer', raw.deserializer, DESERIALIZERS, 'json'),
    retry,
    deadLetter: resolveDeadLetter('deadLetter', raw.deadLetter, undefined),
    redelivery: resolveBackoff('redelivery', raw.redelivery, DEFAULT_REDELIVERY),
    commitIntervalMs: nonNegativeNumber('commitIntervalMs', raw.commitIntervalMs, 1000),
    shutdownTimeoutMs: nonNegativeNumber('shutdownTimeoutMs', raw.shutdownTimeoutMs, 30_000),
    maxQueuedMessagesPerPartition: positiveInteger(
      'maxQueuedMessagesPerPartition',
      raw.maxQueuedMessagesPerPartition,
      1000,
    ),
  };
}

/** Validates one handler's options against the module defaults. `where` names the handler in errors. */
export function resolveHandlerOptions(
  where: string,
  raw: ConsumeTopicOptions | undefined,
  module: ResolvedModuleOptions,
): Omit<ResolvedHandlerOptions, 'groupId'> & { groupId: string | undefined } {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (!isPlainObject(options)) return fail(`${where} options`, options, 'an object');
  const groupId = options.groupId ?? module.consumer.groupId;
  if (groupId !== undefined && (typeof groupId !== 'string' || groupId.trim() === '')) {
    fail(`${where} groupId`, groupId, 'a non-empty string');
  }
  if (options.offsetStore !== undefined && typeof options.offsetStore !== 'function') {
    fail(`${where} offsetStore`, options.offsetStore, 'a class extending OffsetStore');
  }
  const retryTopics = resolveRetryTopics(`${where} retryTopics`, options.retryTopics);
  // Retry topics replace in-process retry unless the handler asks for both; the classification stays.
  const moduleRetry = retryTopics && module.retry ? { ...module.retry, attempts: 1 } : module.retry;
  return {
    groupId: groupId as string | undefined,
    fromBeginning: boolean(`${where} fromBeginning`, options.fromBeginning, module.fromBeginning),
    commit: oneOf(`${where} commit`, options.commit, COMMIT_MODES, module.commit),
    deserializer: oneOf(`${where} deserializer`, options.deserializer, DESERIALIZERS, module.deserializer),
    retry: resolveRetry(`${where} retry`, options.retry, moduleRetry),
    deadLetter: resolveDeadLetter(`${where} deadLetter`, options.deadLetter, module.deadLetter),
    offsetStore: (options.offsetStore as Type<OffsetStore> | undefined) ?? module.offsetStore,
    ...(retryTopics && { retryTopics }),
  };
}
