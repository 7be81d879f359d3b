import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { KafkaMessage } from 'kafkajs';
import {
  ATTEMPTS_HEADER,
  DEAD_LETTER_HEADERS as H,
  FORWARDED_BY_HEADER,
  RETRY_TOPIC_HEADERS as R,
} from '../kafka-consumer.constants.js';
import { resolveHandlerOptions, resolveModuleOptions, resolveRetryTopics } from '../kafka-consumer.options.js';
import { forwardedBy, priorAttempts, retryDueAt, retryTopicName, retryTopicNames } from './retry-topics.js';

describe('retry topic names and stages', () => {
  it("uses Spring Kafka's default naming", () => {
    expect(retryTopicName('orders', 1000)).toBe('orders-retry-1000');
    expect(retryTopicNames('orders', [1000, 5000])).toEqual(['orders-retry-1000', 'orders-retry-5000']);
  });

  it('reads prior attempts from headers', () => {
    expect(priorAttempts({ [ATTEMPTS_HEADER]: Buffer.from('4') })).toBe(4);
    expect(priorAttempts(undefined)).toBe(0);
  });

  it('decides ownership by the forwarded-by header, falling back to the original consumer group', () => {
    expect(forwardedBy({ [FORWARDED_BY_HEADER]: Buffer.from('billing') }, 'billing')).toBe(true);
    expect(forwardedBy({ [FORWARDED_BY_HEADER]: Buffer.from('analytics') }, 'billing')).toBe(false);
    // An inherited original-consumer-group never overrides the forwarding group.
    const replayed = { [FORWARDED_BY_HEADER]: Buffer.from('billing'), [H.originalConsumerGroup]: Buffer.from('other') };
    expect(forwardedBy(replayed, 'billing')).toBe(true);
    expect(forwardedBy({ [H.originalConsumerGroup]: Buffer.from('billing') }, 'billing')).toBe(true);
    expect(forwardedBy({ [H.originalConsumerGroup]: Buffer.from('analytics') }, 'billing')).toBe(false);
    expect(forwardedBy({}, 'billing')).toBe(true);
  });
});

const forwarded = (backoff: string | undefined, timestamp = '1700000000000') =>
  ({
    offset: '0',
    timestamp,
    headers: backoff === undefined ? {} : { [R.backoffTimestamp]: Buffer.from(backoff) },
  }) as unknown as KafkaMessage;

describe('retryDueAt', () => {
  it('is the backoff header when within the stage delay after the record timestamp', () => {
    expect(retryDueAt(forwarded('1700000001000'), 1000, 1700000000500)).toEqual({
      dueAt: 1700000001000,
      capped: false,
    });
    expect(retryDueAt(forwarded(undefined), 1000, 1)).toEqual({ dueAt: 0, capped: false });
    expect(retryDueAt(forwarded('soon'), 1000, 1)).toEqual({ dueAt: 0, capped: false });
  });

  it('caps a bogus or far-future header at the record timestamp + the stage delay', () => {
    expect(retryDueAt(forwarded('9'.repeat(400)), 1000, 1700000000500)).toEqual({
      dueAt: 1700000001000,
      capped: true,
    });
    expect(retryDueAt(forwarded(String(1700000000000 + 3_600_000)), 1000, 1700000000500).dueAt).toBe(1700000001000);
  });

  it('caps at first sight + the stage delay when the record timestamp is ahead too (clock skew)', () => {
    const skewed = forwarded(String(1700003601000), String(1700003600000));
    expect(retryDueAt(skewed, 1000, 1700000000000)).toEqual({ dueAt: 1700000001000, capped: true });
  });
});

describe('retryTopics option', () => {
  it('is off when not given and takes delays in order', () => {
    expect(resolveRetryTopics('retryTopics', undefined)).toBeUndefined();
    expect(resolveRetryTopics('retryTopics', { delaysMs: [1000, 0] })).toEqual({
      delaysMs: [1000, 0],
      createTopics: false,
      keyOrdered: false,
    });
    expect(resolveRetryTopics('retryTopics', { delaysMs: [5], createTopics: true })?.createTopics).toBe(true);
  });

  it.each([
    [[], 'empty'],
    [[1000, 1000], 'duplicate'],
    [[-1], 'negative'],
    [[1.5], 'fractional'],
    ['1000', 'not an array'],
  ] as Array<[unknown, string]>)('rejects delaysMs %j (%s), naming the option', (delaysMs) => {
    expect(() => resolveRetryTopics('retryTopics', { delaysMs })).toThrow(InvalidOptionsError);
    expect(() => resolveRetryTopics('retryTopics', { delaysMs })).toThrow(/"retryTopics.delaysMs"/);
  });

  it('rejects a non-object and a non-boolean createTopics', () => {
    expect(() => resolveRetryTopics('retryTopics', [1000])).toThrow(/"retryTopics"/);
    expect(() => resolveRetryTopics('retryTopics', { delaysMs: [1], createTopics: 'yes' })).toThrow(
      /"retryTopics.createTopics"/,
    );
  });

  it('takes keyOrdered, off by default, and rejects a non-boolean', () => {
    expect(resolveRetryTopics('retryTopics', { delaysMs: [5], keyOrdered: true })?.keyOrdered).toBe(true);
    expect(() => resolveRetryTopics('retryTopics', { delaysMs: [5], keyOrdered: 'yes' })).toThrow(
      /"retryTopics.keyOrdered"/,
    );
  });

  it('turns in-process retry off for the handler, keeping the module classification, unless the handler sets retry', () => {
    class Fatal extends Error {}
    const module = resolveModuleOptions({
      client: { brokers: ['127.0.0.1:9092'] },
      consumer: { groupId: 'billing' },
      retry: { attempts: 5, nonRetriable: [Fatal] },
    });
    const withTopics = resolveHandlerOptions('h', { retryTopics: { delaysMs: [100] } }, module);
    expect(withTopics.retry).toMatchObject({ attempts: 1, nonRetriable: [Fatal] });
    expect(withTopics.retryTopics).toEqual({ delaysMs: [100], createTopics: false, keyOrdered: false });
    const both = resolveHandlerOptions('h', { retryTopics: { delaysMs: [100] }, retry: { attempts: 2 } }, module);
    expect(both.retry).toMatchObject({ attempts: 2 });
    expect(resolveHandlerOptions('h', {}, module).retry).toMatchObject({ attempts: 5 });
    expect(resolveHandlerOptions('h', {}, module).retryTopics).toBeUndefined();
  });
});
