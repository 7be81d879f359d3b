import { Logger } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEAD_LETTER_HEADERS as H,
  FORWARDED_BY_HEADER,
  RETRY_TOPIC_HEADERS as R,
} from '../kafka-consumer.constants.js';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import type { GroupHandler } from '../server/record-dispatcher.js';
import { PROCESSED } from '../retry/record-outcome.js';
import { retryTopicHandlers } from './retry-topic.handlers.js';

const main = (invoke = vi.fn(async () => PROCESSED)): GroupHandler => ({
  topic: 'orders',
  name: 'Orders.bill',
  options: { retryTopics: { delaysMs: [1000, 5000], createTopics: false } } as unknown as ResolvedHandlerOptions,
  invoke,
});

const record = (headers: Record<string, string>, timestamp = Date.now()): KafkaMessage =>
  ({
    offset: '3',
    timestamp: String(timestamp),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  }) as unknown as KafkaMessage;

const ctx = (message: KafkaMessage) => ({ message, markSettled: vi.fn() }) as never;

describe('retryTopicHandlers', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives each retry topic its stage and main topic by construction', () => {
    const handlers = retryTopicHandlers(main(), 'billing');
    expect(handlers.map((h) => [h.topic, h.retryStage])).toEqual([
      ['orders-retry-1000', { sourceTopic: 'orders', stage: 1, delayMs: 1000 }],
      ['orders-retry-5000', { sourceTopic: 'orders', stage: 2, delayMs: 5000 }],
    ]);
    expect(handlers.every((h) => h.options.fromBeginning)).toBe(true);
  });

  it('processes only the records this group forwarded, whatever original group they carry', async () => {
    const invoke = vi.fn(async () => PROCESSED);
    const [stage1] = retryTopicHandlers(main(invoke), 'billing');
    await stage1.invoke({}, ctx(record({ [FORWARDED_BY_HEADER]: 'billing', [H.originalConsumerGroup]: 'other' })));
    await stage1.invoke({}, ctx(record({ [FORWARDED_BY_HEADER]: 'analytics' })));
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('caps a far-future due time at the stage delay and warns once per record', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const [stage1] = retryTopicHandlers(main(), 'billing');
    const now = Date.now();
    const bogus = record({ [FORWARDED_BY_HEADER]: 'billing', [R.backoffTimestamp]: '9'.repeat(400) }, now);
    const first = stage1.dueAt!(bogus);
    expect(first).toBeGreaterThanOrEqual(now + 1000);
    expect(first).toBeLessThanOrEqual(Date.now() + 1000);
    expect(stage1.dueAt!(bogus)).toBe(first);
    expect(warn).toHaveBeenCalledTimes(1);
    const normal = record({ [FORWARDED_BY_HEADER]: 'billing', [R.backoffTimestamp]: String(now + 500) }, now);
    expect(stage1.dueAt!(normal)).toBe(now + 500);
    // Not this group's: due at once (it is passed over, not waited for).
    expect(stage1.dueAt!(record({ [FORWARDED_BY_HEADER]: 'other', [R.backoffTimestamp]: String(now + 500) }))).toBe(0);
  });
});
