import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDELIVERY,
  DEFAULT_RETRY_ATTEMPTS,
  resolveBackoff,
  resolveDeadLetter,
  resolveRetry,
  type ResolvedDeadLetter,
  type ResolvedRetry,
} from './kafka-consumer.options.js';
import { DEFAULT_BACKOFF } from './util/backoff.js';
import { DURATION, expectRejected, ValidationFailed } from './kafka-consumer.options.spec-helpers.js';

describe('resolveBackoff', () => {
  it('returns a copy of the defaults when nothing is given', () => {
    const resolved = resolveBackoff('retry.backoff', undefined);
    expect(resolved).toEqual(DEFAULT_BACKOFF);
    expect(resolved).not.toBe(DEFAULT_BACKOFF);
  });

  it('fills unset fields from the given defaults', () => {
    expect(resolveBackoff('redelivery', { jitter: 0.2 }, DEFAULT_REDELIVERY)).toEqual({
      ...DEFAULT_REDELIVERY,
      jitter: 0.2,
    });
  });

  it('raises the default cap to delayMs when only a large delayMs is given', () => {
    expect(resolveBackoff('b', { delayMs: 60_000 })).toMatchObject({ delayMs: 60_000, maxDelayMs: 60_000 });
  });

  it('accepts maxDelayMs equal to delayMs and jitter of exactly 0 and 1', () => {
    expect(resolveBackoff('b', { delayMs: 100, maxDelayMs: 100, jitter: 1 })).toMatchObject({
      maxDelayMs: 100,
      jitter: 1,
    });
    expect(resolveBackoff('b', { jitter: 0 }).jitter).toBe(0);
  });

  it('rejects a backoff that is not an object', () => {
    expectRejected(() => resolveBackoff('retry.backoff', 500), 'retry.backoff', '500', 'an object { type, delayMs');
  });

  it('rejects an unknown type', () => {
    expectRejected(
      () => resolveBackoff('retry.backoff', { type: 'linear' }),
      'retry.backoff.type',
      '"linear"',
      "'fixed' | 'exponential'",
    );
  });

  it('rejects a negative delayMs', () => {
    expectRejected(() => resolveBackoff('retry.backoff', { delayMs: -10 }), 'retry.backoff.delayMs', '-10', DURATION);
  });

  it('rejects maxDelayMs below delayMs, quoting delayMs', () => {
    expectRejected(
      () => resolveBackoff('retry.backoff', { delayMs: 500, maxDelayMs: 100 }),
      'retry.backoff.maxDelayMs',
      '100',
      'a number >= delayMs (500)',
    );
  });

  it('rejects a multiplier below 1', () => {
    expectRejected(
      () => resolveBackoff('retry.backoff', { multiplier: 0.5 }),
      'retry.backoff.multiplier',
      '0.5',
      'a number >= 1',
    );
  });

  it.each([
    [1.5, '1.5', 'a fraction between 0 and 1'],
    [-0.1, '-0.1', 'a number >= 0'],
  ])('rejects jitter %s', (jitter, shown, allowed) => {
    expectRejected(() => resolveBackoff('retry.backoff', { jitter }), 'retry.backoff.jitter', shown, allowed);
  });
});

describe('resolveRetry', () => {
  const defaultRetry: ResolvedRetry = { attempts: DEFAULT_RETRY_ATTEMPTS, backoff: DEFAULT_BACKOFF, nonRetriable: [] };
  const moduleRetry: ResolvedRetry = {
    attempts: 7,
    backoff: { ...DEFAULT_BACKOFF, type: 'fixed', delayMs: 5 },
    nonRetriable: [ValidationFailed],
  };

  it('turns retry off with false, whatever the fallback', () => {
    expect(resolveRetry('retry', false, moduleRetry)).toBe(false);
  });

  it('uses the fallback when unset, and the defaults when there is no fallback', () => {
    expect(resolveRetry('retry', undefined, moduleRetry)).toBe(moduleRetry);
    expect(resolveRetry('retry', undefined, false)).toBe(false);
    expect(resolveRetry('retry', undefined, undefined)).toEqual(defaultRetry);
  });

  it('turns the default retry on with true, even when the module turned it off', () => {
    expect(resolveRetry('retry', true, false)).toEqual(defaultRetry);
  });

  it('fills unset fields from the fallback', () => {
    expect(resolveRetry('retry', { attempts: 2 }, moduleRetry)).toEqual({ ...moduleRetry, attempts: 2 });
    expect(resolveRetry('retry', { backoff: { delayMs: 9 } }, moduleRetry)).toEqual({
      ...moduleRetry,
      backoff: { ...moduleRetry.backoff, delayMs: 9 },
    });
  });

  it('fills unset fields from the defaults when the fallback is false', () => {
    expect(resolveRetry('retry', { attempts: 4 }, false)).toEqual({ ...defaultRetry, attempts: 4 });
  });

  it.each([
    [0, '0'],
    [-1, '-1'],
    [1.5, '1.5'],
    ['3', '"3"'],
  ])('rejects attempts %j', (attempts, shown) => {
    expectRejected(() => resolveRetry('retry', { attempts }, undefined), 'retry.attempts', shown, 'an integer >= 1');
  });

  it('accepts a single attempt', () => {
    expect(resolveRetry('retry', { attempts: 1 }, undefined)).toMatchObject({ attempts: 1 });
  });

  it('rejects a retry that is neither false nor an object', () => {
    expectRejected(() => resolveRetry('retry', 3, undefined), 'retry', '3', 'false | { attempts');
  });

  it('rejects nonRetriable that is not an array of classes', () => {
    expectRejected(
      () => resolveRetry('retry', { nonRetriable: ['TimeoutError'] }, undefined),
      'retry.nonRetriable',
      '["TimeoutError"]',
      'an array of error classes',
    );
    expectRejected(
      () => resolveRetry('retry', { nonRetriable: ValidationFailed }, undefined),
      'retry.nonRetriable',
      'ValidationFailed',
      'an array of error classes',
    );
  });

  it('validates the backoff under the retry path', () => {
    expectRejected(
      () => resolveRetry('retry', { backoff: { delayMs: 100, maxDelayMs: 10 } }, undefined),
      'retry.backoff.maxDelayMs',
      '10',
      'delayMs (100)',
    );
  });
});

describe('resolveDeadLetter', () => {
  const moduleDeadLetter: ResolvedDeadLetter = {
    topic: (t) => `dlq.${t}`,
    includeStackTrace: true,
    createTopics: true,
  };

  it('is off when unset without a fallback, and with false', () => {
    expect(resolveDeadLetter('deadLetter', undefined, undefined)).toBe(false);
    expect(resolveDeadLetter('deadLetter', false, moduleDeadLetter)).toBe(false);
  });

  it('uses the fallback when unset', () => {
    expect(resolveDeadLetter('deadLetter', undefined, moduleDeadLetter)).toBe(moduleDeadLetter);
  });

  it('turns on with true, sending to `${topic}-dlt` without stack traces', () => {
    const resolved = resolveDeadLetter('deadLetter', true, undefined);
    expect(resolved).not.toBe(false);
    if (resolved === false) return;
    expect(resolved.topic('orders')).toBe('orders-dlt');
    expect(resolved.includeStackTrace).toBe(false);
    expect(resolved.createTopics).toBe(false);
  });

  it('turns on with an object, enabled by default', () => {
    const resolved = resolveDeadLetter('deadLetter', { includeStackTrace: true }, undefined);
    expect(resolved).toMatchObject({ includeStackTrace: true, createTopics: false });
    expect(resolved && resolved.topic('payments')).toBe('payments-dlt');
  });

  it('is off with { enabled: false }', () => {
    expect(resolveDeadLetter('deadLetter', { enabled: false }, moduleDeadLetter)).toBe(false);
  });

  it('uses a custom topic function', () => {
    const resolved = resolveDeadLetter('deadLetter', { topic: (t: string) => `${t}.DLT` }, undefined);
    expect(resolved && resolved.topic('orders')).toBe('orders.DLT');
  });

  it('fills unset fields from the fallback', () => {
    const resolved = resolveDeadLetter('deadLetter', { createTopics: false }, moduleDeadLetter);
    expect(resolved).toMatchObject({ includeStackTrace: true, createTopics: false });
    expect(resolved && resolved.topic('orders')).toBe('dlq.orders');
  });

  it('rejects a dead-letter option that is neither a boolean nor an object', () => {
    expectRejected(
      () => resolveDeadLetter('deadLetter', 'orders-dlt', undefined),
      'deadLetter',
      '"orders-dlt"',
      'false | {',
    );
  });

  it('rejects a topic that is not a function', () => {
    expectRejected(
      () => resolveDeadLetter('deadLetter', { topic: 'orders-dlt' }, undefined),
      'deadLetter.topic',
      '"orders-dlt"',
      'a function (sourceTopic: string) => string',
    );
  });

  it.each(['enabled', 'includeStackTrace', 'createTopics'])('rejects a non-boolean %s', (key) => {
    expectRejected(
      () => resolveDeadLetter('deadLetter', { [key]: 'yes' }, undefined),
      `deadLetter.${key}`,
      '"yes"',
      'true | false',
    );
  });
});
