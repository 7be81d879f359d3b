import { describe, expect, it } from 'vitest';
import { DEFAULT_REDELIVERY, resolveModuleOptions } from './kafka-consumer.options.js';
import { DEFAULT_BACKOFF } from './util/backoff.js';
import {
  brokerList,
  client,
  CustomOffsetStore,
  DURATION,
  expectRejected,
  invalidOptionsFrom,
  minimal,
} from './kafka-consumer.options.spec-helpers.js';

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
      maxBufferedBytes: 32 * 1024 * 1024,
      maxUncommittedRecordsPerPartition: 10_000,
      offsetStoreSaveTimeoutMs: 10_000,
      missingTopics: 'fail',
      brokerStartupTimeoutMs: 30_000,
      refused: 'skip',
      exhausted: 'redeliver',
      revokeGraceMs: 30_000,
      offsetStoreLoadTimeoutMs: 10_000,
      concurrency: { mode: 'partition', maxInFlight: 1 },
      health: { maxUnavailableMs: 30_000, maxBlockedMs: 60_000 },
      metrics: false,
      tracing: false,
      onCrash: {
        action: 'restart',
        backoff: { type: 'exponential', delayMs: 1000, multiplier: 2, maxDelayMs: 30_000, jitter: 0 },
        maxRestarts: Number.POSITIVE_INFINITY,
      },
    });
  });

  it('takes a Deserializer class as deserializer, and rejects a class without deserialize()', () => {
    class AvroDeserializer {
      deserialize(value: Buffer) {
        return value;
      }
    }
    class NotADeserializer {}
    expect(resolveModuleOptions({ client: { brokers: brokerList }, deserializer: AvroDeserializer }).deserializer).toBe(
      AvroDeserializer,
    );
    expect(() => resolveModuleOptions({ client: { brokers: brokerList }, deserializer: NotADeserializer })).toThrow(
      /option "deserializer" is .*allowed: 'json' \| 'string' \| 'buffer' \| a class with deserialize\(value, context\)/,
    );
    expect(() => resolveModuleOptions({ client: { brokers: brokerList }, deserializer: 'avro' })).toThrow(
      /option "deserializer" is "avro"/,
    );
  });

  it('rejects an unknown missingTopics mode and a negative brokerStartupTimeoutMs, naming the option', () => {
    expect(() => resolveModuleOptions({ client: { brokers: brokerList }, missingTopics: 'ignore' })).toThrow(
      /option "missingTopics" is .*allowed: 'fail' \| 'wait' \| 'create'/,
    );
    expect(() => resolveModuleOptions({ client: { brokers: brokerList }, brokerStartupTimeoutMs: -1 })).toThrow(
      /option "brokerStartupTimeoutMs" is -1; allowed: a number >= 0/,
    );
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
        DURATION,
      );
    },
  );

  it.each([
    ['commitIntervalMs', -5, '-5', DURATION],
    ['commitIntervalMs', Number.POSITIVE_INFINITY, 'Infinity', DURATION],
    ['shutdownTimeoutMs', -1, '-1', DURATION],
    ['shutdownTimeoutMs', '30s', '"30s"', DURATION],
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
    ['an instance', new CustomOffsetStore(), '<CustomOffsetStore instance>'],
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
      DURATION,
    );
  });
});
