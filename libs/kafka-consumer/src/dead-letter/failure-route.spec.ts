import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS as H } from '../kafka-consumer.constants.js';
import type { ResolvedDeadLetter } from '../kafka-consumer.options.js';
import { isDeadLetterTopic, routeFailure } from './failure-route.js';

const deadLetter: ResolvedDeadLetter = { topic: (t) => `${t}-dlt`, includeStackTrace: false, createTopics: false };
const customDeadLetter: ResolvedDeadLetter = { ...deadLetter, topic: (t) => `dead.${t}` };
const retryTopics = { delaysMs: [1000, 5000], createTopics: false };
const fromOrders = { [H.originalTopic]: Buffer.from('orders') };

describe('routeFailure', () => {
  it('dead-letters to the topic named by the option', () => {
    expect(routeFailure({ topic: 'orders', headers: {}, retriable: true, deadLetter })).toEqual({
      kind: 'dead-letter',
      topic: 'orders-dlt',
      sourceTopic: 'orders',
    });
    expect(routeFailure({ topic: 'orders', headers: {}, retriable: true, deadLetter: customDeadLetter })).toMatchObject(
      { kind: 'dead-letter', topic: 'dead.orders' },
    );
  });

  it('has nowhere to go when dead-lettering and retry topics are off', () => {
    expect(routeFailure({ topic: 'orders', headers: {}, retriable: true, deadLetter: false })).toEqual({
      kind: 'none',
      reason: 'disabled',
    });
  });

  it('walks the retry topics in order, then the dead-letter topic of the original topic', () => {
    const base = { retriable: true, deadLetter, retryTopics };
    expect(routeFailure({ ...base, topic: 'orders', headers: {} })).toEqual({
      kind: 'retry-topic',
      topic: 'orders-retry-1000',
      sourceTopic: 'orders',
      delayMs: 1000,
    });
    expect(routeFailure({ ...base, topic: 'orders-retry-1000', headers: fromOrders })).toMatchObject({
      kind: 'retry-topic',
      topic: 'orders-retry-5000',
      delayMs: 5000,
    });
    expect(routeFailure({ ...base, topic: 'orders-retry-5000', headers: fromOrders })).toEqual({
      kind: 'dead-letter',
      topic: 'orders-dlt',
      sourceTopic: 'orders',
    });
  });

  it('ends the chain without dead-lettering when dead-lettering is off', () => {
    const input = { retriable: true, deadLetter: false as const, retryTopics };
    expect(routeFailure({ ...input, topic: 'orders', headers: {} })).toMatchObject({ kind: 'retry-topic' });
    expect(routeFailure({ ...input, topic: 'orders-retry-5000', headers: fromOrders })).toMatchObject({
      kind: 'none',
      reason: 'disabled',
    });
  });

  it('sends non-retriable failures straight to the dead-letter topic, skipping retry topics', () => {
    const input = { retriable: false, deadLetter, retryTopics };
    expect(routeFailure({ ...input, topic: 'orders', headers: {} })).toMatchObject({ topic: 'orders-dlt' });
    expect(routeFailure({ ...input, topic: 'orders-retry-1000', headers: fromOrders })).toMatchObject({
      topic: 'orders-dlt',
    });
  });

  it('treats a topic that merely looks like a retry topic as a main topic', () => {
    // No original-topic header: this is someone's own topic, not our retry topic.
    expect(
      routeFailure({ topic: 'orders-retry-1000', headers: {}, retriable: true, deadLetter, retryTopics }),
    ).toMatchObject({ kind: 'retry-topic', topic: 'orders-retry-1000-retry-1000' });
  });

  it('never dead-letters a record read from a dead-letter topic', () => {
    const none = { kind: 'none', reason: 'dead-letter-record' };
    expect(routeFailure({ topic: 'orders-dlt', headers: {}, retriable: true, deadLetter })).toEqual(none);
    expect(
      routeFailure({ topic: 'dead.orders', headers: fromOrders, retriable: true, deadLetter: customDeadLetter }),
    ).toEqual(none);
    expect(
      routeFailure({
        topic: 'dead.orders',
        headers: {},
        retriable: true,
        deadLetter: customDeadLetter,
        knownDeadLetterTopics: new Set(['dead.orders']),
      }),
    ).toEqual(none);
  });
});

describe('isDeadLetterTopic', () => {
  it('recognises the default suffix, known topics, self-naming and the original topic header', () => {
    expect(isDeadLetterTopic('payments-dlt', undefined, false)).toBe(true);
    expect(isDeadLetterTopic('payments', undefined, false)).toBe(false);
    expect(isDeadLetterTopic('x', undefined, false, new Set(['x']))).toBe(true);
    expect(isDeadLetterTopic('same', undefined, { ...deadLetter, topic: () => 'same' })).toBe(true);
    expect(isDeadLetterTopic('dead.orders', fromOrders, customDeadLetter)).toBe(true);
    expect(isDeadLetterTopic('orders-retry-1000', fromOrders, deadLetter)).toBe(false);
  });
});
