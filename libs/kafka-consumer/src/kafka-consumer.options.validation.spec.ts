import { describe, expect, it } from 'vitest';
import {
  MAX_DELAY_MS,
  resolveHandlerOptions,
  resolveModuleOptions,
  resolveRetryTopics,
} from './kafka-consumer.options.js';
import {
  client,
  CustomOffsetStore,
  DURATION,
  expectRejected,
  invalidOptionsFrom,
} from './kafka-consumer.options.spec-helpers.js';

describe('delays and timeouts are capped at 2^31-1 ms (Node timers fire after 1 ms above it)', () => {
  const over = MAX_DELAY_MS + 1;

  it.each([
    ['commitIntervalMs', { commitIntervalMs: over }],
    ['shutdownTimeoutMs', { shutdownTimeoutMs: over }],
    ['redelivery.maxDelayMs', { redelivery: { maxDelayMs: 30 * 24 * 3600_000 } }],
    ['redelivery.delayMs', { redelivery: { delayMs: over } }],
    ['retry.backoff.maxDelayMs', { retry: { backoff: { maxDelayMs: over } } }],
    ['consumer.rebalanceTimeout', { consumer: { rebalanceTimeout: over } }],
    ['consumer.sessionTimeout', { consumer: { sessionTimeout: over } }],
  ])('rejects %s above the cap', (path, options) => {
    expectRejected(() => resolveModuleOptions({ client, ...options }), path, '', DURATION);
  });

  it('accepts exactly the cap', () => {
    const resolved = resolveModuleOptions({
      client,
      commitIntervalMs: MAX_DELAY_MS,
      redelivery: { maxDelayMs: MAX_DELAY_MS },
    });
    expect(resolved.commitIntervalMs).toBe(MAX_DELAY_MS);
    expect(resolved.redelivery.maxDelayMs).toBe(MAX_DELAY_MS);
  });

  it('rejects a retry topic delay above the cap', () => {
    expectRejected(
      () => resolveRetryTopics('retryTopics', { delaysMs: [1000, over] }),
      'retryTopics.delaysMs',
      String(over),
      '2147483647',
    );
  });
});

describe('unknown option keys fail at startup, suggesting the close match', () => {
  it.each([
    [{ commitIntervalMS: 500 }, '"commitIntervalMS" (did you mean "commitIntervalMs"?)'],
    [{ deadletter: { enabled: true } }, '"deadletter" (did you mean "deadLetter"?)'],
    [{ retry: { attemps: 5 } }, '"retry.attemps" (did you mean "retry.attempts"?)'],
    [{ retry: { backoff: { maxDelay: 10 } } }, '"retry.backoff.maxDelay" (did you mean "retry.backoff.maxDelayMs"?)'],
    [
      { deadLetter: { enabled: false, createTopic: true } },
      '"deadLetter.createTopic" (did you mean "deadLetter.createTopics"?)',
    ],
    [{ redelivery: { dealyMs: 10 } }, '"redelivery.dealyMs" (did you mean "redelivery.delayMs"?)'],
  ])('rejects %j', (options, hint) => {
    const { message } = invalidOptionsFrom(() => resolveModuleOptions({ client, ...options }));
    expect(message).toContain(`unknown option ${hint}`);
  });

  it('names an unknown key without a close match and lists the known ones', () => {
    const { message } = invalidOptionsFrom(() => resolveModuleOptions({ client, color: 'blue' }));
    expect(message).toContain('unknown option "color";');
    expect(message).toContain('known: ');
    expect(message).toContain('commitIntervalMs');
    expect(message).not.toContain('blue');
  });

  it('rejects an unknown handler option, naming the handler', () => {
    const module = resolveModuleOptions({ client, consumer: { groupId: 'g' } });
    const { message } = invalidOptionsFrom(() =>
      resolveHandlerOptions("@ConsumeTopic('orders') on A.b:", { groupID: 'x' } as never, module),
    );
    expect(message).toContain(
      `unknown option "@ConsumeTopic('orders') on A.b: groupID" (did you mean "@ConsumeTopic('orders') on A.b: groupId"?)`,
    );
  });

  it('rejects an unknown retryTopics key', () => {
    const { message } = invalidOptionsFrom(() =>
      resolveRetryTopics('retryTopics', { delaysMs: [1], createTopic: true }),
    );
    expect(message).toContain('"retryTopics.createTopic" (did you mean "retryTopics.createTopics"?)');
  });

  it('accepts every documented key', () => {
    expect(() =>
      resolveModuleOptions({
        client,
        consumer: { groupId: 'g' },
        offsetStore: CustomOffsetStore,
        commit: 'manual',
        fromBeginning: true,
        deserializer: 'string',
        retry: {
          attempts: 2,
          backoff: { type: 'fixed', delayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 },
          nonRetriable: [],
        },
        deadLetter: { enabled: true, topic: (t: string) => t, includeStackTrace: false, createTopics: false },
        redelivery: { delayMs: 1 },
        commitIntervalMs: 1,
        shutdownTimeoutMs: 1,
        maxQueuedMessagesPerPartition: 1,
      }),
    ).not.toThrow();
  });
});
