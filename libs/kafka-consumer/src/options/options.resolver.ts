import type { Type } from '@nestjs/common';
import type { ConsumerConfig, KafkaConfig } from 'kafkajs';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { missingOption } from '../kafka-consumer.messages.js';
import type {
  CommitMode,
  ConsumeTopicOptions,
  DeserializerKind,
  DeserializerOption,
  MissingTopicsMode,
  ResolvedHandlerOptions,
  ResolvedModuleOptions,
} from '../kafka-consumer.options.js';
import type { OffsetStore } from '../offset-stores/offset-store.js';
import type { Deserializer } from '../serialization/deserializer-class.js';
import { resolveBatch } from './batch.options.js';
import { resolveConcurrency } from './concurrency.options.js';
import { resolveControl } from './control.options.js';
import { resolveErrorRedaction } from './error-redaction.options.js';
import { resolveFailurePolicies } from './failure-policy.options.js';
import { resolveObservability } from './observability.options.js';
import {
  boolean,
  durationMs,
  fail,
  isPlainObject,
  nonNegativeNumber,
  oneOf,
  positiveInteger,
  readTracked,
} from './option-readers.js';
import { resolvePartitionLifecycle } from './partition-lifecycle.options.js';
import { resolveResourceLimits } from './resource-limits.options.js';
import {
  DEFAULT_REDELIVERY,
  resolveBackoff,
  resolveDeadLetter,
  resolveRetry,
  resolveRetryTopics,
} from './retry.options.js';
import { resolveRouting } from './routing.options.js';

// Validation of a whole options object, module or handler: each field through its concern's
// resolver, the handler's falling back to the module's; a key no resolver read is rejected.

const COMMIT_MODES: readonly CommitMode[] = ['auto', 'manual'];
const DESERIALIZERS: readonly DeserializerKind[] = ['json', 'string', 'buffer'];
const MISSING_TOPICS_MODES: readonly MissingTopicsMode[] = ['fail', 'wait', 'create'];

const DESERIALIZER_ALLOWED = "'json' | 'string' | 'buffer' | a class with deserialize(value, context)";

function deserializerOption(path: string, value: unknown, fallback: DeserializerOption): DeserializerOption {
  if (value === undefined) return fallback;
  if (typeof value === 'function') {
    if (typeof (value.prototype as { deserialize?: unknown } | undefined)?.deserialize !== 'function') {
      fail(path, value, DESERIALIZER_ALLOWED);
    }
    return value as Type<Deserializer>;
  }
  if (!DESERIALIZERS.includes(value as DeserializerKind)) fail(path, value, DESERIALIZER_ALLOWED);
  return value as DeserializerKind;
}

/** Validates module options and applies defaults; a wrong option throws `InvalidOptionsError` naming it. */
export function resolveModuleOptions(input: unknown): ResolvedModuleOptions {
  if (!isPlainObject(input)) return fail('(root)', input, 'an object { client: { brokers }, ... }');
  const { options: raw, rejectUnknown } = readTracked('', input);
  const resolved = resolveModuleFields(raw);
  rejectUnknown();
  return resolved;
}

function resolveModuleFields(raw: Record<string, unknown>): ResolvedModuleOptions {
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
    durationMs(`consumer.${key}`, consumer[key], 0);
  }
  if (raw.offsetStore !== undefined && typeof raw.offsetStore !== 'function') {
    fail('offsetStore', raw.offsetStore, 'a class extending OffsetStore (e.g. PostgresOffsetStore), not an instance');
  }
  const retry = resolveRetry('retry', raw.retry, undefined);
  return {
    client: client as unknown as KafkaConfig,
    consumer: consumer as Partial<ConsumerConfig>,
    offsetStore: raw.offsetStore as Type<OffsetStore> | undefined,
    commit: oneOf('commit', raw.commit, COMMIT_MODES, 'auto'),
    fromBeginning: boolean('fromBeginning', raw.fromBeginning, false),
    deserializer: deserializerOption('deserializer', raw.deserializer, 'json'),
    retry,
    deadLetter: resolveDeadLetter('deadLetter', raw.deadLetter, undefined),
    redelivery: resolveBackoff('redelivery', raw.redelivery, DEFAULT_REDELIVERY),
    commitIntervalMs: durationMs('commitIntervalMs', raw.commitIntervalMs, 1000),
    shutdownTimeoutMs: durationMs('shutdownTimeoutMs', raw.shutdownTimeoutMs, 30_000),
    maxQueuedMessagesPerPartition: positiveInteger(
      'maxQueuedMessagesPerPartition',
      raw.maxQueuedMessagesPerPartition,
      1000,
    ),
    ...resolveResourceLimits(raw),
    missingTopics: oneOf('missingTopics', raw.missingTopics, MISSING_TOPICS_MODES, 'fail'),
    brokerStartupTimeoutMs: nonNegativeNumber('brokerStartupTimeoutMs', raw.brokerStartupTimeoutMs, 30_000),
    ...resolveFailurePolicies('', raw),
    ...resolvePartitionLifecycle(raw),
    concurrency: resolveConcurrency('concurrency', raw.concurrency),
    ...resolveObservability(raw),
    ...resolveErrorRedaction('redactError', raw.redactError),
  };
}

/** Validates one handler's options against the module defaults. `where` names the handler in errors. */
export function resolveHandlerOptions(
  where: string,
  raw: ConsumeTopicOptions | undefined,
  module: ResolvedModuleOptions,
): Omit<ResolvedHandlerOptions, 'groupId'> & { groupId: string | undefined } {
  const input = (raw ?? {}) as Record<string, unknown>;
  if (!isPlainObject(input)) return fail(`${where} options`, input, 'an object');
  const { options, rejectUnknown } = readTracked(where, input);
  const resolved = resolveHandlerFields(where, options, module);
  rejectUnknown();
  return resolved;
}

function resolveHandlerFields(
  where: string,
  options: Record<string, unknown>,
  module: ResolvedModuleOptions,
): Omit<ResolvedHandlerOptions, 'groupId'> & { groupId: string | undefined } {
  const groupId = options.groupId ?? module.consumer.groupId;
  if (groupId !== undefined && (typeof groupId !== 'string' || groupId.trim() === '')) {
    fail(`${where} groupId`, groupId, 'a non-empty string');
  }
  if (options.offsetStore !== undefined && typeof options.offsetStore !== 'function') {
    fail(`${where} offsetStore`, options.offsetStore, 'a class extending OffsetStore, not an instance');
  }
  const retryTopics = resolveRetryTopics(`${where} retryTopics`, options.retryTopics);
  // Retry topics replace in-process retry unless the handler asks for both; the classification stays.
  const moduleRetry = retryTopics && module.retry ? { ...module.retry, attempts: 1 } : module.retry;
  const resolved = {
    groupId: groupId as string | undefined,
    fromBeginning: boolean(`${where} fromBeginning`, options.fromBeginning, module.fromBeginning),
    commit: oneOf(`${where} commit`, options.commit, COMMIT_MODES, module.commit),
    deserializer: deserializerOption(`${where} deserializer`, options.deserializer, module.deserializer),
    retry: resolveRetry(`${where} retry`, options.retry, moduleRetry),
    deadLetter: resolveDeadLetter(`${where} deadLetter`, options.deadLetter, module.deadLetter),
    offsetStore: (options.offsetStore as Type<OffsetStore> | undefined) ?? module.offsetStore,
    ...(retryTopics && { retryTopics }),
    ...resolveFailurePolicies(`${where} `, options, module),
    ...resolveRouting(where, options),
    concurrency: resolveConcurrency(`${where} concurrency`, options.concurrency, module.concurrency),
    ...resolveControl(where, options),
    ...resolveErrorRedaction(`${where} redactError`, options.redactError, module.redactError),
  };
  const batch = resolveBatch(where, options.batch, {
    retryTopics: retryTopics !== undefined,
    route: resolved.route !== undefined,
    concurrencyMode: (resolved as { concurrency?: { mode?: string } }).concurrency?.mode,
  });
  return batch ? { ...resolved, batch } : resolved;
}
