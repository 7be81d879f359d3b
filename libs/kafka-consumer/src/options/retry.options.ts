import type { Type } from '@nestjs/common';
import { DEFAULT_BACKOFF, type BackoffOptions, type ResolvedBackoff } from '../util/backoff.js';
import {
  MAX_DELAY_MS,
  boolean,
  durationMs,
  fail,
  isPlainObject,
  nonNegativeNumber,
  oneOf,
  positiveInteger,
  readTracked,
} from './option-readers.js';

// Retry, dead-letter and retry-topic options: what happens to a record whose handler failed.

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
  /** Create a missing dead-letter topic (with the source's partitions, replication factor and max.message.bytes) at startup. Default false. */
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
  /** Create missing retry topics (with the source's partitions, replication factor and max.message.bytes) at startup. Default false. */
  createTopics?: boolean;
  /**
   * Keep per-key order: while a record of a key waits in a retry topic, later records of that key
   * follow it through the retry topics instead of overtaking it. Default false.
   */
  keyOrdered?: boolean;
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
  keyOrdered: boolean;
}

export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_REDELIVERY: ResolvedBackoff = {
  type: 'exponential',
  delayMs: 1000,
  multiplier: 2,
  maxDelayMs: 30_000,
  jitter: 0,
};
export function resolveBackoff(
  path: string,
  value: unknown,
  defaults: ResolvedBackoff = DEFAULT_BACKOFF,
): ResolvedBackoff {
  if (value === undefined) return { ...defaults };
  if (!isPlainObject(value)) return fail(path, value, 'an object { type, delayMs, multiplier, maxDelayMs, jitter }');
  const { options, rejectUnknown } = readTracked(path, value);
  const type = oneOf(`${path}.type`, options.type, ['fixed', 'exponential'] as const, defaults.type);
  const delayMs = durationMs(`${path}.delayMs`, options.delayMs, defaults.delayMs);
  const multiplier = nonNegativeNumber(`${path}.multiplier`, options.multiplier, defaults.multiplier);
  if (multiplier < 1) fail(`${path}.multiplier`, multiplier, 'a number >= 1');
  const maxDelayMs = durationMs(`${path}.maxDelayMs`, options.maxDelayMs, Math.max(defaults.maxDelayMs, delayMs));
  if (maxDelayMs < delayMs) fail(`${path}.maxDelayMs`, maxDelayMs, `a number >= delayMs (${delayMs})`);
  const jitter = nonNegativeNumber(`${path}.jitter`, options.jitter, defaults.jitter);
  if (jitter > 1) fail(`${path}.jitter`, jitter, 'a fraction between 0 and 1');
  rejectUnknown();
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
  const { options, rejectUnknown } = readTracked(path, value);
  const base = fallback || { attempts: DEFAULT_RETRY_ATTEMPTS, backoff: DEFAULT_BACKOFF, nonRetriable: [] };
  const attempts = positiveInteger(`${path}.attempts`, options.attempts, base.attempts);
  const backoff = resolveBackoff(`${path}.backoff`, options.backoff, base.backoff);
  const nonRetriable = options.nonRetriable ?? base.nonRetriable;
  if (!Array.isArray(nonRetriable) || nonRetriable.some((c) => typeof c !== 'function')) {
    fail(`${path}.nonRetriable`, nonRetriable, 'an array of error classes');
  }
  rejectUnknown();
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
  // Every field is checked, even when \`enabled: false\`: a typo fails whether or not it is on.
  const { options, rejectUnknown } = readTracked(path, value);
  const enabled = boolean(`${path}.enabled`, options.enabled, true);
  const base = fallback || { topic: (t: string) => `${t}-dlt`, includeStackTrace: false, createTopics: false };
  if (options.topic !== undefined && typeof options.topic !== 'function') {
    fail(`${path}.topic`, options.topic, 'a function (sourceTopic: string) => string');
  }
  const resolved: ResolvedDeadLetter = {
    topic: (options.topic as ResolvedDeadLetter['topic'] | undefined) ?? base.topic,
    includeStackTrace: boolean(`${path}.includeStackTrace`, options.includeStackTrace, base.includeStackTrace),
    createTopics: boolean(`${path}.createTopics`, options.createTopics, base.createTopics),
  };
  rejectUnknown();
  return enabled ? resolved : false;
}

export function resolveRetryTopics(path: string, value: unknown): ResolvedRetryTopics | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value))
    return fail(path, value, '{ delaysMs: number[], createTopics?: boolean, keyOrdered?: boolean }');
  const { options, rejectUnknown } = readTracked(path, value);
  const delaysMs = options.delaysMs;
  if (
    !Array.isArray(delaysMs) ||
    delaysMs.length === 0 ||
    delaysMs.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DELAY_MS) ||
    new Set(delaysMs).size !== delaysMs.length
  ) {
    fail(
      `${path}.delaysMs`,
      delaysMs,
      `a non-empty array of distinct integers from 0 to ${MAX_DELAY_MS} (ms), e.g. [1000, 5000, 30000]`,
    );
  }
  const resolved = {
    delaysMs: [...(delaysMs as number[])],
    createTopics: boolean(`${path}.createTopics`, options.createTopics, false),
    keyOrdered: boolean(`${path}.keyOrdered`, options.keyOrdered, false),
  };
  rejectUnknown();
  return resolved;
}
