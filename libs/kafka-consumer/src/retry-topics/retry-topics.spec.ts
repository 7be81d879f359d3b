import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { ATTEMPTS_HEADER, DEAD_LETTER_HEADERS as H, RETRY_TOPIC_HEADERS as R } from '../kafka-consumer.constants.js';
import { resolveHandlerOptions, resolveModuleOptions, resolveRetryTopics } from '../kafka-consumer.options.js';
import {
  forwardedBy,
  priorAttempts,
  resolveRetryStage,
  retryDueAt,
  retryTopicName,
  retryTopicNames,
} from './retry-topics.js';

describe('retry topic names and stages', () => {
  it("uses Spring Kafka's default naming", () => {
    expect(retryTopicName('orders', 1000)).toBe('orders-retry-1000');
    expect(retryTopicNames('orders', [1000, 5000])).toEqual(['orders-retry-1000', 'orders-retry-5000']);
  });

  it('finds the stage from the topic and the original-topic header', () => {
    const headers = { [H.originalTopic]: Buffer.from('orders') };
    expect(resolveRetryStage('orders', {}, [1000, 5000])).toEqual({ sourceTopic: 'orders', stage: 0 });
    expect(resolveRetryStage('orders-retry-1000', headers, [1000, 5000])).toEqual({ sourceTopic: 'orders', stage: 1 });
    expect(resolveRetryStage('orders-retry-5000', headers, [1000, 5000])).toEqual({ sourceTopic: 'orders', stage: 2 });
    expect(resolveRetryStage('orders-retry-9', headers, [1000, 5000])).toEqual({
      sourceTopic: 'orders-retry-9',
      stage: 0,
    });
  });

  it('reads the due time, prior attempts and forwarding group from headers', () => {
    expect(retryDueAt({ [R.backoffTimestamp]: Buffer.from('1700000000000') })).toBe(1700000000000);
    expect(retryDueAt({})).toBe(0);
    expect(retryDueAt({ [R.backoffTimestamp]: Buffer.from('soon') })).toBe(0);
    expect(priorAttempts({ [ATTEMPTS_HEADER]: Buffer.from('4') })).toBe(4);
    expect(priorAttempts(undefined)).toBe(0);
    expect(forwardedBy({ [H.originalConsumerGroup]: Buffer.from('billing') }, 'billing')).toBe(true);
    expect(forwardedBy({ [H.originalConsumerGroup]: Buffer.from('analytics') }, 'billing')).toBe(false);
    expect(forwardedBy({}, 'billing')).toBe(true);
  });
});

describe('retryTopics option', () => {
  it('is off when not given and takes delays in order', () => {
    expect(resolveRetryTopics('retryTopics', undefined)).toBeUndefined();
    expect(resolveRetryTopics('retryTopics', { delaysMs: [1000, 0] })).toEqual({
      delaysMs: [1000, 0],
      createTopics: false,
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

  it('turns in-process retry off for the handler, keeping the module classification, unless the handler sets retry', () => {
    class Fatal extends Error {}
    const module = resolveModuleOptions({
      client: { brokers: ['127.0.0.1:9092'] },
      consumer: { groupId: 'billing' },
      retry: { attempts: 5, nonRetriable: [Fatal] },
    });
    const withTopics = resolveHandlerOptions('h', { retryTopics: { delaysMs: [100] } }, module);
    expect(withTopics.retry).toMatchObject({ attempts: 1, nonRetriable: [Fatal] });
    expect(withTopics.retryTopics).toEqual({ delaysMs: [100], createTopics: false });
    const both = resolveHandlerOptions('h', { retryTopics: { delaysMs: [100] }, retry: { attempts: 2 } }, module);
    expect(both.retry).toMatchObject({ attempts: 2 });
    expect(resolveHandlerOptions('h', {}, module).retry).toMatchObject({ attempts: 5 });
    expect(resolveHandlerOptions('h', {}, module).retryTopics).toBeUndefined();
  });
});
