import type { IHeaders, KafkaMessage } from 'kafkajs';
import { ATTEMPTS_HEADER, DEAD_LETTER_HEADERS, RETRY_TOPIC_HEADERS } from '../kafka-consumer.constants.js';
import { errorClassName } from '../retry/error-classification.js';

/** A consumed record that failed, with where it was read from. */
export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly groupId: string;
  readonly message: KafkaMessage;
}

export interface FailureDescription {
  readonly error: unknown;
  /** Handler attempts made so far, over every stage. */
  readonly attempts: number;
  readonly includeStackTrace: boolean;
}

/** kafkajs keeps the batch's timestamp type on each record's (untyped) `batchContext`. */
const LOG_APPEND_TIME = 1;

export function timestampTypeOf(message: KafkaMessage): 'CreateTime' | 'LogAppendTime' {
  const batchContext = (message as { batchContext?: { timestampType?: number } }).batchContext;
  return batchContext?.timestampType === LOG_APPEND_TIME ? 'LogAppendTime' : 'CreateTime';
}

/** First value of a header as a UTF-8 string; undefined when absent. */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined || first === null) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/** A header holding a non-negative integer; undefined when absent or not a number. */
export function integerHeader(headers: IHeaders | undefined, name: string): number | undefined {
  const value = headerValue(headers, name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function causeOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { cause?: unknown }).cause : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error !== null && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

/**
 * Headers of a record written to a dead-letter or retry topic: the record's own headers, the
 * `kafka_dlt-original-*` headers (kept from the first failure when already present), the exception
 * headers of this failure, and the attempt count.
 */
export function buildFailureHeaders(record: FailedRecord, failure: FailureDescription): IHeaders {
  const { message } = record;
  const headers: IHeaders = { ...message.headers };
  const H = DEAD_LETTER_HEADERS;
  if (headerValue(message.headers, H.originalTopic) === undefined) {
    headers[H.originalTopic] = record.topic;
    headers[H.originalPartition] = String(record.partition);
    headers[H.originalOffset] = message.offset;
    headers[H.originalTimestamp] = message.timestamp;
    headers[H.originalTimestampType] = timestampTypeOf(message);
    headers[H.originalConsumerGroup] = record.groupId;
  }
  const { error } = failure;
  headers[H.exceptionFqcn] = errorClassName(error);
  const cause = causeOf(error);
  if (cause !== undefined) headers[H.exceptionCauseFqcn] = errorClassName(cause);
  else delete headers[H.exceptionCauseFqcn];
  headers[H.exceptionMessage] = messageOf(error);
  const stack = error instanceof Error ? error.stack : undefined;
  if (failure.includeStackTrace && stack) headers[H.exceptionStacktrace] = stack;
  else delete headers[H.exceptionStacktrace];
  headers[ATTEMPTS_HEADER] = String(failure.attempts);
  return headers;
}

/** `buildFailureHeaders` plus the retry-topic headers, for a record due at `backoffTimestamp`. */
export function buildRetryTopicHeaders(
  record: FailedRecord,
  failure: FailureDescription,
  backoffTimestamp: number,
): IHeaders {
  const headers = buildFailureHeaders(record, failure);
  const { message } = record;
  const R = RETRY_TOPIC_HEADERS;
  headers[R.attempts] = String((integerHeader(message.headers, R.attempts) ?? 1) + 1);
  headers[R.backoffTimestamp] = String(backoffTimestamp);
  headers[R.originalTimestamp] = headerValue(message.headers, R.originalTimestamp) ?? message.timestamp;
  return headers;
}
