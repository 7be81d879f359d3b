import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ATTEMPTS_HEADER, DEAD_LETTER_HEADERS as H, RETRY_TOPIC_HEADERS as R } from '../kafka-consumer.constants.js';
import {
  buildFailureHeaders,
  buildRetryTopicHeaders,
  headerValue,
  integerHeader,
  timestampTypeOf,
  type FailedRecord,
} from './dead-letter.headers.js';

const message = (headers: KafkaMessage['headers'] = {}, extra: object = {}): KafkaMessage =>
  ({
    key: Buffer.from('order-1'),
    value: Buffer.from('{"id":1}'),
    timestamp: '1700000000000',
    attributes: 0,
    offset: '42',
    size: 0,
    headers,
    ...extra,
  }) as unknown as KafkaMessage;

const record = (msg: KafkaMessage, topic = 'orders'): FailedRecord => ({
  topic,
  partition: 2,
  groupId: 'billing',
  message: msg,
});

const failure = (error: unknown, attempts = 3, includeStackTrace = false) => ({ error, attempts, includeStackTrace });

describe('buildFailureHeaders', () => {
  it('adds every Spring Kafka header and the attempt count, keeping the record headers', () => {
    const error = new RangeError('amount out of range', { cause: new TypeError('limit is undefined') });
    const headers = buildFailureHeaders(record(message({ trace: Buffer.from('t-1') })), failure(error));
    expect(headers).toEqual({
      trace: Buffer.from('t-1'),
      [H.originalTopic]: 'orders',
      [H.originalPartition]: '2',
      [H.originalOffset]: '42',
      [H.originalTimestamp]: '1700000000000',
      [H.originalTimestampType]: 'CreateTime',
      [H.originalConsumerGroup]: 'billing',
      [H.exceptionFqcn]: 'RangeError',
      [H.exceptionCauseFqcn]: 'TypeError',
      [H.exceptionMessage]: 'amount out of range',
      [ATTEMPTS_HEADER]: '3',
    });
  });

  it('adds the stack trace only when enabled', () => {
    const error = new Error('boom');
    expect(buildFailureHeaders(record(message()), failure(error))[H.exceptionStacktrace]).toBeUndefined();
    expect(buildFailureHeaders(record(message()), failure(error, 1, true))[H.exceptionStacktrace]).toBe(error.stack);
  });

  it('keeps the original-* headers of the first failure and replaces the exception headers', () => {
    const forwarded = message({
      [H.originalTopic]: Buffer.from('orders'),
      [H.originalPartition]: Buffer.from('0'),
      [H.originalOffset]: Buffer.from('7'),
      [H.originalTimestamp]: Buffer.from('1600000000000'),
      [H.originalTimestampType]: Buffer.from('CreateTime'),
      [H.originalConsumerGroup]: Buffer.from('billing'),
      [H.exceptionFqcn]: Buffer.from('TimeoutError'),
      [H.exceptionCauseFqcn]: Buffer.from('SocketError'),
      [H.exceptionStacktrace]: Buffer.from('old stack'),
    });
    const headers = buildFailureHeaders(record(forwarded, 'orders-retry-1000'), failure('plain string', 2));
    expect(headers[H.originalTopic]).toEqual(Buffer.from('orders'));
    expect(headers[H.originalOffset]).toEqual(Buffer.from('7'));
    expect(headers[H.exceptionFqcn]).toBe('string');
    expect(headers[H.exceptionMessage]).toBe('plain string');
    expect(headers[H.exceptionCauseFqcn]).toBeUndefined();
    expect(headers[H.exceptionStacktrace]).toBeUndefined();
    expect(headers[ATTEMPTS_HEADER]).toBe('2');
  });

  it('reads LogAppendTime from the batch context kafkajs keeps on each record', () => {
    const appended = message({}, { batchContext: { timestampType: 1 } });
    expect(timestampTypeOf(appended)).toBe('LogAppendTime');
    expect(buildFailureHeaders(record(appended), failure(new Error()))[H.originalTimestampType]).toBe('LogAppendTime');
    expect(timestampTypeOf(message({}, { batchContext: { timestampType: 0 } }))).toBe('CreateTime');
  });

  it('does not change the consumed record', () => {
    const consumed = message({ trace: Buffer.from('t') });
    buildFailureHeaders(record(consumed), failure(new Error()));
    expect(Object.keys(consumed.headers!)).toEqual(['trace']);
  });
});

describe('buildRetryTopicHeaders', () => {
  it('starts the stage attempt count at 2 and records the backoff and original timestamps', () => {
    const headers = buildRetryTopicHeaders(record(message()), failure(new Error('x'), 1), 1700000005000);
    expect(headers).toMatchObject({
      [R.attempts]: '2',
      [R.backoffTimestamp]: '1700000005000',
      [R.originalTimestamp]: '1700000000000',
      [H.originalTopic]: 'orders',
      [ATTEMPTS_HEADER]: '1',
    });
  });

  it('increments the stage attempt count and keeps the original timestamp of a forwarded record', () => {
    const forwarded = message(
      { [R.attempts]: Buffer.from('2'), [R.originalTimestamp]: Buffer.from('1600000000000') },
      { timestamp: '1700000009999' },
    );
    const headers = buildRetryTopicHeaders(record(forwarded, 'orders-retry-1000'), failure(new Error('x'), 2), 5);
    expect(headers[R.attempts]).toBe('3');
    expect(headers[R.originalTimestamp]).toBe('1600000000000');
    expect(headers[R.backoffTimestamp]).toBe('5');
  });
});

describe('header readers', () => {
  it('reads the first value of a header as a string', () => {
    expect(headerValue({ a: Buffer.from('x') }, 'a')).toBe('x');
    expect(headerValue({ a: [Buffer.from('y'), Buffer.from('z')] }, 'a')).toBe('y');
    expect(headerValue({ a: 'plain' }, 'a')).toBe('plain');
    expect(headerValue({}, 'a')).toBeUndefined();
    expect(headerValue(undefined, 'a')).toBeUndefined();
  });

  it('reads non-negative integers only', () => {
    expect(integerHeader({ n: Buffer.from('12') }, 'n')).toBe(12);
    expect(integerHeader({ n: Buffer.from(' 3 ') }, 'n')).toBe(3);
    expect(integerHeader({ n: Buffer.from('-1') }, 'n')).toBeUndefined();
    expect(integerHeader({ n: Buffer.from('1.5') }, 'n')).toBeUndefined();
    expect(integerHeader({ n: Buffer.from([0, 0, 0, 3]) }, 'n')).toBeUndefined();
    expect(integerHeader({}, 'n')).toBeUndefined();
  });
});
