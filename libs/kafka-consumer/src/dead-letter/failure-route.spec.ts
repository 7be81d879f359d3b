import { describe, expect, it } from 'vitest';
import type { ResolvedDeadLetter } from '../kafka-consumer.options.js';
import { isDeadLetterTopic, routeFailure } from './failure-route.js';

const deadLetter: ResolvedDeadLetter = { topic: (t) => `${t}-dlt`, includeStackTrace: false, createTopics: false };
const customDeadLetter: ResolvedDeadLetter = { ...deadLetter, topic: (t) => `dead.${t}` };
const retryTopics = { delaysMs: [1000, 5000], createTopics: false, keyOrdered: false };
const stage1 = { sourceTopic: 'orders', stage: 1, delayMs: 1000 };
const stage2 = { sourceTopic: 'orders', stage: 2, delayMs: 5000 };

describe('routeFailure', () => {
  it('dead-letters to the topic named by the option', () => {
    expect(routeFailure({ topic: 'orders', retriable: true, deadLetter })).toEqual({
      kind: 'dead-letter',
      topic: 'orders-dlt',
      sourceTopic: 'orders',
    });
    expect(routeFailure({ topic: 'orders', retriable: true, deadLetter: customDeadLetter })).toMatchObject({
      kind: 'dead-letter',
      topic: 'dead.orders',
    });
  });

  it('has nowhere to go when dead-lettering and retry topics are off', () => {
    expect(routeFailure({ topic: 'orders', retriable: true, deadLetter: false })).toEqual({
      kind: 'none',
      reason: 'disabled',
    });
  });

  it("walks the retry topics in order by the handler's stage, then the dead-letter topic of the main topic", () => {
    const base = { retriable: true, deadLetter, retryTopics };
    expect(routeFailure({ ...base, topic: 'orders' })).toEqual({
      kind: 'retry-topic',
      topic: 'orders-retry-1000',
      sourceTopic: 'orders',
      delayMs: 1000,
    });
    expect(routeFailure({ ...base, topic: 'orders-retry-1000', stage: stage1 })).toMatchObject({
      kind: 'retry-topic',
      topic: 'orders-retry-5000',
      delayMs: 5000,
    });
    expect(routeFailure({ ...base, topic: 'orders-retry-5000', stage: stage2 })).toEqual({
      kind: 'dead-letter',
      topic: 'orders-dlt',
      sourceTopic: 'orders',
    });
  });

  it('ends the chain without dead-lettering when dead-lettering is off', () => {
    const input = { retriable: true, deadLetter: false as const, retryTopics };
    expect(routeFailure({ ...input, topic: 'orders' })).toMatchObject({ kind: 'retry-topic' });
    expect(routeFailure({ ...input, topic: 'orders-retry-5000', stage: stage2 })).toMatchObject({
      kind: 'none',
      reason: 'disabled',
    });
  });

  it('sends non-retriable failures straight to the dead-letter topic, skipping retry topics', () => {
    const input = { retriable: false, deadLetter, retryTopics };
    expect(routeFailure({ ...input, topic: 'orders' })).toMatchObject({ topic: 'orders-dlt' });
    expect(routeFailure({ ...input, topic: 'orders-retry-1000', stage: stage1 })).toMatchObject({
      topic: 'orders-dlt',
    });
  });

  it("calls the user's topic function with the handler's main topic only, never a header value", () => {
    const seen: string[] = [];
    const strict: ResolvedDeadLetter = {
      ...deadLetter,
      topic: (t) => {
        seen.push(t);
        if (t !== 'orders') throw new Error(`unknown topic ${t}`);
        return 'orders.DLQ';
      },
    };
    const input = { retriable: true, deadLetter: strict, retryTopics };
    expect(routeFailure({ ...input, topic: 'orders-retry-5000', stage: stage2 })).toMatchObject({
      topic: 'orders.DLQ',
    });
    expect(seen).toEqual(['orders']);
  });

  it('treats a main topic that merely looks like a retry topic as a main topic', () => {
    expect(routeFailure({ topic: 'orders-retry-1000', retriable: true, deadLetter, retryTopics })).toMatchObject({
      kind: 'retry-topic',
      topic: 'orders-retry-1000-retry-1000',
    });
  });

  it('never dead-letters a record read from a dead-letter topic', () => {
    const none = { kind: 'none', reason: 'dead-letter-record' };
    expect(routeFailure({ topic: 'orders-dlt', retriable: true, deadLetter })).toEqual(none);
    expect(
      routeFailure({
        topic: 'dead.orders',
        retriable: true,
        deadLetter: customDeadLetter,
        knownDeadLetterTopics: new Set(['dead.orders']),
      }),
    ).toEqual(none);
  });
});

describe('isDeadLetterTopic', () => {
  it('recognises the default suffix, known topics and self-naming, never headers', () => {
    expect(isDeadLetterTopic('payments-dlt', false)).toBe(true);
    expect(isDeadLetterTopic('payments', false)).toBe(false);
    expect(isDeadLetterTopic('x', false, new Set(['x']))).toBe(true);
    expect(isDeadLetterTopic('same', { ...deadLetter, topic: () => 'same' })).toBe(true);
    expect(isDeadLetterTopic('dead.orders', customDeadLetter)).toBe(false);
  });
});
