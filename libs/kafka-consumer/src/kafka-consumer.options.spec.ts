import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors/invalid-options.error.js';
import {
  DEFAULT_REDELIVERY,
  DEFAULT_RETRY_ATTEMPTS,
  resolveBackoff,
  resolveDeadLetter,
  resolveHandlerOptions,
  resolveModuleOptions,
  resolveRetry,
  type ResolvedDeadLetter,
  type ResolvedRetry,
} from './kafka-consumer.options.js';
import { DEFAULT_BACKOFF } from './util/backoff.js';

const client = { clientId: 'orders-service', brokers: ['127.0.0.1:9092'] };
const minimal = { client };

class CustomOffsetStore {
  readonly kind = 'custom';
}
class OtherOffsetStore {
  readonly kind = 'other';
}
const brokerList = async (): Promise<string[]> => ['kafka:9092'];
class ValidationFailed extends Error {}

/** Runs `fn` and returns the InvalidOptionsError it throws; fails the test if it throws anything else. */
function invalidOptionsFrom(fn: () => unknown): InvalidOptionsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('KAFKA_CONSUMER_INVALID_OPTIONS');
    return error as InvalidOptionsError;
  }
  throw new Error('expected InvalidOptionsError, nothing was thrown');
}

/** Asserts the error names the option path, shows the value and says what is allowed. */
function expectRejected(fn: () => unknown, path: string, shownValue: string, allowed: string | RegExp): void {
  const { message } = invalidOptionsFrom(fn);
  expect(message).toContain(`"${path}"`);
  expect(message).toContain(shownValue);
  if (typeof allowed === 'string') expect(message).toContain(allowed);
  else expect(message).toMatch(allowed);
}

describe('resolveModuleOptions', () => {
  it('applies every default to minimal options', () => {
    expect(resolveModuleOptions(minimal)).toEqual({
      client,
      consumer: {},
      offsetStore: undefined,
      commit: 'auto',
      fromBeginning: false,
      deserializer: 'json',
      retry: { attempts: 3, backoff: DEFAULT_BACKOFF, nonRetriable: [] },
      deadLetter: false,
      redelivery: { type: 'exponential', delayMs: 1000, multiplier: 2, maxDelayMs: 30_000, jitter: 0 },
      commitIntervalMs: 1000,
      shutdownTimeoutMs: 30_000,
      maxQueuedMessagesPerPartition: 1000,
    });
  });

  it('keeps every valid option it is given', () => {
    const resolved = resolveModuleOptions({
      client: { brokers: brokerList },
      consumer: { groupId: 'orders', sessionTimeout: 30_000 },
      offsetStore: CustomOffsetStore,
      commit: 'manual',
      fromBeginning: true,
      deserializer: 'string',
      retry: { attempts: 5 },
      deadLetter: { enabled: true },
      redelivery: { type: 'fixed', delayMs: 50 },
      commitIntervalMs: 0,
      shutdownTimeoutMs: 5,
      maxQueuedMessagesPerPartition: 1,
    });
    expect(resolved.client.brokers).toBe(brokerList);
    expect(resolved.consumer).toEqual({ groupId: 'orders', sessionTimeout: 30_000 });
    expect(resolved.offsetStore).toBe(CustomOffsetStore);
    expect(resolved.commit).toBe('manual');
    expect(resolved.fromBeginning).toBe(true);
    expect(resolved.deserializer).toBe('string');
    expect(resolved.retry).toMatchObject({ attempts: 5, backoff: DEFAULT_BACKOFF });
    expect(resolved.deadLetter).not.toBe(false);
    expect(resolved.redelivery).toEqual({ ...DEFAULT_REDELIVERY, type: 'fixed', delayMs: 50 });
    expect(resolved.commitIntervalMs).toBe(0);
    expect(resolved.shutdownTimeoutMs).toBe(5);
    expect(resolved.maxQueuedMessagesPerPartition).toBe(1);
  });

  it('does not share the default backoff object between resolutions', () => {
    const a = resolveModuleOptions(minimal);
    const b = resolveModuleOptions(minimal);
    expect(a.retry && a.retry.backoff).not.toBe(DEFAULT_BACKOFF);
    expect(a.redelivery).not.toBe(b.redelivery);
    expect(a.redelivery).not.toBe(DEFAULT_REDELIVERY);
  });

  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    ['options', '"options"'],
    [[], '[]'],
  ])('rejects %j as the options object', (raw, shown) => {
    expectRejected(() => resolveModuleOptions(raw), '(root)', `is ${shown};`, 'an object { client');
  });

  it('rejects missing client, saying it is required and what to give', () => {
    const { message } = invalidOptionsFrom(() => resolveModuleOptions({}));
    expect(message).toContain('"client" is required');
    expect(message).toContain('brokers');
  });

  it('rejects a client that is not an object', () => {
    expectRejected(
      () => resolveModuleOptions({ client: 'localhost:9092' }),
      'client',
      '"localhost:9092"',
      'KafkaConfig',
    );
  });

  it('rejects missing client.brokers, saying it is required with an example', () => {
    const { message } = invalidOptionsFrom(() => resolveModuleOptions({ client: { clientId: 'x' } }));
    expect(message).toContain('"client.brokers" is required');
    expect(message).toContain("['127.0.0.1:9092']");
  });

  it.each([
    ['an empty array', [], '[]'],
    ['a plain string', '127.0.0.1:9092', '"127.0.0.1:9092"'],
    ['a broker without a port', ['127.0.0.1'], '["127.0.0.1"]'],
    ['a broker with a non-numeric port', ['kafka:abc'], '["kafka:abc"]'],
    ['a broker with a scheme', ['kafka://broker:9092'], '["kafka://broker:9092"]'],
    ['a broker with whitespace', ['broker :9092'], '["broker :9092"]'],
    ['a non-string broker', [9092], '[9092]'],
    ['one bad broker among good ones', ['a:1', 'b'], '["a:1","b"]'],
  ])('rejects client.brokers given as %s', (_label, brokers, shown) => {
    expectRejected(() => resolveModuleOptions({ client: { brokers } }), 'client.brokers', shown, "'host:port' strings");
  });

  it('accepts several host:port brokers and a broker function', () => {
    expect(() => resolveModuleOptions({ client: { brokers: ['a:1', 'b.example.com:9093'] } })).not.toThrow();
    expect(() => resolveModuleOptions({ client: { brokers: () => ['a:1'] } })).not.toThrow();
  });

  it('rejects a consumer that is not an object', () => {
    expectRejected(
      () => resolveModuleOptions({ client, consumer: 'orders' }),
      'consumer',
      '"orders"',
      'ConsumerConfig',
    );
  });

  it.each([
    ['empty', '', '""'],
    ['blank', '   ', '"   "'],
    ['a number', 42, '42'],
  ])('rejects a %s consumer.groupId', (_label, groupId, shown) => {
    expectRejected(
      () => resolveModuleOptions({ client, consumer: { groupId } }),
      'consumer.groupId',
      shown,
      'a non-empty string',
    );
  });

  it.each(['sessionTimeout', 'rebalanceTimeout', 'heartbeatInterval', 'maxWaitTimeInMs'])(
    'rejects a negative consumer.%s',
    (key) => {
      expectRejected(
        () => resolveModuleOptions({ client, consumer: { [key]: -1 } }),
        `consumer.${key}`,
        '-1',
        'a number >= 0',
      );
    },
  );

  it.each([
    ['commitIntervalMs', -5, '-5', 'a number >= 0'],
    ['commitIntervalMs', Number.POSITIVE_INFINITY, 'null', 'a number >= 0'],
    ['shutdownTimeoutMs', -1, '-1', 'a number >= 0'],
    ['shutdownTimeoutMs', '30s', '"30s"', 'a number >= 0'],
    ['maxQueuedMessagesPerPartition', 0, '0', 'an integer >= 1'],
    ['maxQueuedMessagesPerPartition', 2.5, '2.5', 'an integer >= 1'],
  ])('rejects %s = %s', (path, value, shown, allowed) => {
    expectRejected(() => resolveModuleOptions({ client, [path]: value }), path, shown, allowed);
  });

  it('rejects an unknown commit mode, listing the allowed ones', () => {
    expectRejected(() => resolveModuleOptions({ client, commit: 'batch' }), 'commit', '"batch"', "'auto' | 'manual'");
  });

  it('rejects an unknown deserializer, listing the allowed ones', () => {
    expectRejected(
      () => resolveModuleOptions({ client, deserializer: 'avro' }),
      'deserializer',
      '"avro"',
      "'json' | 'string' | 'buffer'",
    );
  });

  it('rejects a non-boolean fromBeginning', () => {
    expectRejected(
      () => resolveModuleOptions({ client, fromBeginning: 'yes' }),
      'fromBeginning',
      '"yes"',
      'true | false',
    );
  });

  it.each([
    ['an instance', new CustomOffsetStore(), '{"kind":"custom"}'],
    ['a string', 'KafkaOffsetStore', '"KafkaOffsetStore"'],
  ])('rejects an offsetStore given as %s instead of a class', (_label, offsetStore, shown) => {
    expectRejected(
      () => resolveModuleOptions({ client, offsetStore }),
      'offsetStore',
      shown,
      'a class extending OffsetStore',
    );
  });

  it('turns retry off with retry: false', () => {
    expect(resolveModuleOptions({ client, retry: false }).retry).toBe(false);
  });

  it('rejects an invalid redelivery backoff under the redelivery path', () => {
    expectRejected(
      () => resolveModuleOptions({ client, redelivery: { delayMs: -1 } }),
      'redelivery.delayMs',
      '-1',
      'a number >= 0',
    );
  });
});

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
    expectRejected(
      () => resolveBackoff('retry.backoff', { delayMs: -10 }),
      'retry.backoff.delayMs',
      '-10',
      'a number >= 0',
    );
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

describe('resolveHandlerOptions', () => {
  const where = "@ConsumeTopic('orders') on OrdersController.bill:";
  const module = resolveModuleOptions({
    client,
    consumer: { groupId: 'orders' },
    offsetStore: CustomOffsetStore,
    commit: 'manual',
    fromBeginning: true,
    deserializer: 'string',
    retry: { attempts: 5 },
    deadLetter: { enabled: true },
  });

  it('inherits every module default when the handler sets nothing', () => {
    expect(resolveHandlerOptions(where, undefined, module)).toEqual({
      groupId: 'orders',
      fromBeginning: true,
      commit: 'manual',
      deserializer: 'string',
      retry: module.retry,
      deadLetter: module.deadLetter,
      offsetStore: CustomOffsetStore,
    });
  });

  it('lets every per-handler option win over the module default', () => {
    const resolved = resolveHandlerOptions(
      where,
      {
        groupId: 'billing',
        fromBeginning: false,
        commit: 'auto',
        deserializer: 'buffer',
        retry: false,
        deadLetter: false,
        offsetStore: OtherOffsetStore as never,
      },
      module,
    );
    expect(resolved).toEqual({
      groupId: 'billing',
      fromBeginning: false,
      commit: 'auto',
      deserializer: 'buffer',
      retry: false,
      deadLetter: false,
      offsetStore: OtherOffsetStore,
    });
  });

  it('merges a partial per-handler retry over the module retry', () => {
    const resolved = resolveHandlerOptions(where, { retry: { backoff: { type: 'fixed' } } }, module);
    expect(resolved.retry).toMatchObject({ attempts: 5, backoff: { type: 'fixed', delayMs: 200 } });
  });

  it('turns dead-lettering on per handler when the module has it off', () => {
    const withoutDlt = resolveModuleOptions(minimal);
    expect(resolveHandlerOptions(where, { deadLetter: { enabled: true } }, withoutDlt).deadLetter).not.toBe(false);
    expect(resolveHandlerOptions(where, {}, withoutDlt).deadLetter).toBe(false);
  });

  it('leaves groupId undefined when neither handler nor module sets one', () => {
    expect(resolveHandlerOptions(where, {}, resolveModuleOptions(minimal)).groupId).toBeUndefined();
  });

  it('names the handler in errors', () => {
    expectRejected(
      () => resolveHandlerOptions(where, { commit: 'never' as never }, module),
      `${where} commit`,
      '"never"',
      "'auto' | 'manual'",
    );
    expectRejected(
      () => resolveHandlerOptions(where, { groupId: ' ' }, module),
      `${where} groupId`,
      '" "',
      'a non-empty string',
    );
    expectRejected(
      () => resolveHandlerOptions(where, { deserializer: 'xml' as never }, module),
      `${where} deserializer`,
      '"xml"',
      "'json' | 'string' | 'buffer'",
    );
    expectRejected(
      () => resolveHandlerOptions(where, { offsetStore: 'redis' as never }, module),
      `${where} offsetStore`,
      '"redis"',
      'a class extending OffsetStore',
    );
    expectRejected(
      () => resolveHandlerOptions(where, { retry: { attempts: 0 } }, module),
      `${where} retry.attempts`,
      '0',
      'an integer >= 1',
    );
  });

  it('rejects handler options that are not an object', () => {
    expectRejected(
      () => resolveHandlerOptions(where, 'billing' as never, module),
      `${where} options`,
      '"billing"',
      'an object',
    );
  });
});
