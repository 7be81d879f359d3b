import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  ATTEMPTS_HEADER,
  DEAD_LETTER_HEADERS as H,
  FORWARDED_BY_HEADER,
  RETRY_TOPIC_HEADERS as R,
} from '../kafka-consumer.constants.js';
import {
  buildFailureHeaders,
  buildRetryTopicHeaders,
  headerValue,
  countHeader,
  integerHeader,
  EXCEPTION_MESSAGE_MAX_BYTES,
  timestampTypeOf,
  truncateUtf8,
  writableHeaders,
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

const record = (msg: KafkaMessage, topic = 'orders', stage = topic === 'orders' ? 0 : 1): FailedRecord => ({
  topic,
  partition: 2,
  groupId: 'billing',
  message: msg,
  stage,
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

  it('writes the redactError text instead of the message, also in the stack trace and on retry topics', () => {
    const error = new Error('charge failed for token=tok-81d3 of alice@example.com');
    const redacted = { ...failure(error, 2, true), redactedMessage: 'charge failed' };
    const headers = buildFailureHeaders(record(message()), redacted);
    expect(headers[H.exceptionMessage]).toBe('charge failed');
    const stack = String(headers[H.exceptionStacktrace]);
    expect(stack.startsWith('Error: charge failed\n    at ')).toBe(true);
    expect(stack).not.toContain('tok-81d3');
    expect(stack).not.toContain('alice@');
    const retry = buildRetryTopicHeaders(record(message()), redacted, 1);
    expect(retry[H.exceptionMessage]).toBe('charge failed');
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

  it('replaces the original-* headers a record carries into the main topic (a replay or a foreign record)', () => {
    const replayed = message({
      [H.originalTopic]: Buffer.from('payments'),
      [H.originalOffset]: Buffer.from('7'),
      [H.originalConsumerGroup]: Buffer.from('other'),
    });
    const headers = buildFailureHeaders(record(replayed), failure(new Error('x')));
    expect(headers).toMatchObject({
      [H.originalTopic]: 'orders',
      [H.originalOffset]: '42',
      [H.originalConsumerGroup]: 'billing',
    });
  });

  it('reads LogAppendTime from the batch context kafkajs keeps on each record', () => {
    const appended = message({}, { batchContext: { timestampType: 1 } });
    expect(timestampTypeOf(appended)).toBe('LogAppendTime');
    expect(buildFailureHeaders(record(appended), failure(new Error()))[H.originalTimestampType]).toBe('LogAppendTime');
    expect(timestampTypeOf(message({}, { batchContext: { timestampType: 0 } }))).toBe('CreateTime');
  });

  it('writes a null header value as an empty value, also inside a repeated header (kafkajs cannot encode null)', () => {
    const nulls = message({
      trace: null as unknown as Buffer,
      tag: [Buffer.from('a'), null as unknown as Buffer],
      kept: Buffer.from('yes'),
    });
    const headers = buildFailureHeaders(record(nulls), failure(new Error()));
    expect(headers.trace).toEqual(Buffer.alloc(0));
    expect(headers.tag).toEqual([Buffer.from('a'), Buffer.alloc(0)]);
    expect(headers.kept).toEqual(Buffer.from('yes'));
    expect(writableHeaders(undefined)).toEqual({});
  });

  it('bounds the exception message (4 KB) and stack (16 KB) headers, never splitting a character', () => {
    const error = new Error(`bad: ${'é'.repeat(20_000)}`);
    const headers = buildFailureHeaders(record(message()), failure(error, 1, true));
    const text = headers[H.exceptionMessage] as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(EXCEPTION_MESSAGE_MAX_BYTES);
    expect(text).toMatch(/^bad: é+ \[truncated\]$/);
    expect(Buffer.byteLength(headers[H.exceptionStacktrace] as string)).toBeLessThanOrEqual(16 * 1024);
    expect(truncateUtf8('short', 10)).toBe('short');
  });

  it('does not change the consumed record', () => {
    const consumed = message({ trace: Buffer.from('t') });
    buildFailureHeaders(record(consumed), failure(new Error()));
    expect(Object.keys(consumed.headers!)).toEqual(['trace']);
  });
});

describe('exception message of an HttpException', () => {
  class FakeHttpException extends Error {
    constructor(private readonly response: unknown) {
      super('Bad Request Exception');
    }
    getResponse() {
      return this.response;
    }
  }
  const messageOf = (error: unknown) => buildFailureHeaders(record(message()), failure(error))[H.exceptionMessage];

  it("takes ValidationPipe's message array, or a string message, from getResponse()", () => {
    const validation = new FakeHttpException({ message: ['id must be an integer', 'name is empty'], statusCode: 400 });
    expect(messageOf(validation)).toBe('id must be an integer; name is empty');
    expect(messageOf(new FakeHttpException({ message: 'customer is blocked' }))).toBe('customer is blocked');
  });

  it('falls back to error.message when the response has no message, is a string, or getResponse throws', () => {
    expect(messageOf(new FakeHttpException({ statusCode: 400 }))).toBe('Bad Request Exception');
    expect(messageOf(new FakeHttpException('plain'))).toBe('Bad Request Exception');
    expect(messageOf(new FakeHttpException({ message: [] }))).toBe('Bad Request Exception');
    const broken = Object.assign(new Error('broken'), {
      getResponse: () => {
        throw new Error('no');
      },
    });
    expect(messageOf(broken)).toBe('broken');
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
      [FORWARDED_BY_HEADER]: 'billing',
    });
  });

  it('restarts the stage count and overwrites the forwarding group of a replayed record on the main topic', () => {
    const replayed = message({
      [R.attempts]: Buffer.from('3'),
      [R.originalTimestamp]: Buffer.from('1600000000000'),
      [FORWARDED_BY_HEADER]: Buffer.from('other'),
    });
    const headers = buildRetryTopicHeaders(record(replayed), failure(new Error('x'), 1), 5);
    expect(headers).toMatchObject({
      [R.attempts]: '2',
      [R.originalTimestamp]: '1700000000000',
      [FORWARDED_BY_HEADER]: 'billing',
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
  it("reads the last value of a header as a string (as Spring Kafka's lastHeader)", () => {
    expect(headerValue({ a: Buffer.from('x') }, 'a')).toBe('x');
    expect(headerValue({ a: [Buffer.from('y'), Buffer.from('z')] }, 'a')).toBe('z');
    expect(headerValue({ a: null as unknown as Buffer }, 'a')).toBeUndefined();
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

  it('reads a count header only when it is an exact integer: a forged huge value counts as absent, not 1e+23', () => {
    expect(countHeader({ n: Buffer.from('41') }, 'n')).toBe(41);
    expect(countHeader({ n: Buffer.from('100000000000000000000000') }, 'n')).toBeUndefined();
    expect(countHeader({ n: Buffer.from(String(Number.MAX_SAFE_INTEGER)) }, 'n')).toBe(Number.MAX_SAFE_INTEGER);
    expect(countHeader({ n: Buffer.from('x') }, 'n')).toBeUndefined();
  });
});
