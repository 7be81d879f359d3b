import type { IHeaders, KafkaMessage } from 'kafkajs';
import {
  ATTEMPTS_HEADER,
  DEAD_LETTER_HEADERS,
  FORWARDED_BY_HEADER,
  RETRY_TOPIC_HEADERS,
} from '../kafka-consumer.constants.js';
import { stackWithMessage } from '../messages/redacted-error-text.js';
import { errorClassName } from '../retry/error-classification.js';

/** A consumed record that failed, with where it was read from. */
export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly groupId: string;
  readonly message: KafkaMessage;
  /** Stage of the handler that failed it: 0 on the main topic, where the record's chain starts. */
  readonly stage: number;
}

export interface FailureDescription {
  readonly error: unknown;
  /** Handler attempts made so far, over every stage. */
  readonly attempts: number;
  readonly includeStackTrace: boolean;
  /** The `redactError` text of the error, written instead of its message (also in the stack trace). */
  readonly redactedMessage?: string;
}

/** kafkajs keeps the batch's timestamp type on each record's (untyped) `batchContext`. */
const LOG_APPEND_TIME = 1;

export function timestampTypeOf(message: KafkaMessage): 'CreateTime' | 'LogAppendTime' {
  const batchContext = (message as { batchContext?: { timestampType?: number } }).batchContext;
  return batchContext?.timestampType === LOG_APPEND_TIME ? 'LogAppendTime' : 'CreateTime';
}

/** Last value of a header as a UTF-8 string (Spring's `lastHeader`); undefined when absent or null. */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (last === undefined || last === null) return undefined;
  return Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
}

const EMPTY = Buffer.alloc(0);

/**
 * A record's headers, ready to be written again: a null value (legal in Kafka, written by the Java
 * client) becomes an empty value, also inside repeated headers, because kafkajs cannot encode null.
 */
export function writableHeaders(headers: IHeaders | undefined): IHeaders {
  const copy: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    copy[name] = Array.isArray(value) ? value.map((v) => v ?? EMPTY) : (value ?? EMPTY);
  }
  return copy;
}

/** A header holding a non-negative integer; undefined when absent or not a number. */
export function integerHeader(headers: IHeaders | undefined, name: string): number | undefined {
  const value = headerValue(headers, name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * A count or position header (attempts, partition, offset): a non-negative integer small enough to
 * be exact; a forged huge value (shown as `1e+23`) counts as absent.
 */
export function countHeader(headers: IHeaders | undefined, name: string): number | undefined {
  const value = integerHeader(headers, name);
  return value !== undefined && Number.isSafeInteger(value) ? value : undefined;
}

/** Bounds of the exception headers, so the dead-letter write cannot fail because of what we add. */
export const EXCEPTION_MESSAGE_MAX_BYTES = 4 * 1024;
export const EXCEPTION_STACKTRACE_MAX_BYTES = 16 * 1024;
const EXCEPTION_CLASS_MAX_BYTES = 1024;
const TRUNCATED = ' [truncated]';

/** `text` cut to at most `maxBytes` UTF-8 bytes (on a character boundary), marked when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATED));
  // Never split a multi-byte character: back off over continuation bytes.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + TRUNCATED;
}

function causeOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { cause?: unknown }).cause : undefined;
}

/**
 * The details of a Nest `HttpException` (duck-typed: no Nest import here): `ValidationPipe` puts
 * its messages in `getResponse().message`, while `error.message` only says "Bad Request Exception".
 */
function httpExceptionDetails(error: unknown): string | undefined {
  const getResponse = (error as { getResponse?: unknown } | null)?.getResponse;
  if (typeof getResponse !== 'function') return undefined;
  try {
    const message = (getResponse.call(error) as { message?: unknown } | null)?.message;
    if (Array.isArray(message) && message.length > 0) return message.map(String).join('; ');
    return typeof message === 'string' && message !== '' ? message : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  const details = httpExceptionDetails(error);
  if (details !== undefined) return details;
  if (error instanceof Error) return error.message;
  if (error !== null && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

/**
 * Headers of a record written to a dead-letter or retry topic: the record's own headers, the
 * `kafka_dlt-original-*` headers, the exception headers of this failure, and the attempt count.
 * The original-* headers describe the main-topic record: written on a failure there (replacing
 * any a replayed or foreign record carried), kept on the retry topics.
 */
export function buildFailureHeaders(record: FailedRecord, failure: FailureDescription): IHeaders {
  const { message } = record;
  const headers = writableHeaders(message.headers);
  const H = DEAD_LETTER_HEADERS;
  if (record.stage === 0 || headerValue(message.headers, H.originalTopic) === undefined) {
    headers[H.originalTopic] = record.topic;
    headers[H.originalPartition] = String(record.partition);
    headers[H.originalOffset] = message.offset;
    headers[H.originalTimestamp] = message.timestamp;
    headers[H.originalTimestampType] = timestampTypeOf(message);
    headers[H.originalConsumerGroup] = record.groupId;
  }
  const { error } = failure;
  headers[H.exceptionFqcn] = truncateUtf8(errorClassName(error), EXCEPTION_CLASS_MAX_BYTES);
  const cause = causeOf(error);
  if (cause !== undefined)
    headers[H.exceptionCauseFqcn] = truncateUtf8(errorClassName(cause), EXCEPTION_CLASS_MAX_BYTES);
  else delete headers[H.exceptionCauseFqcn];
  const { redactedMessage } = failure;
  headers[H.exceptionMessage] = truncateUtf8(redactedMessage ?? messageOf(error), EXCEPTION_MESSAGE_MAX_BYTES);
  const stack = error instanceof Error ? error.stack : undefined;
  if (failure.includeStackTrace && stack) {
    const name = (error as Error).name;
    const written = redactedMessage === undefined ? stack : stackWithMessage(name, stack, redactedMessage);
    headers[H.exceptionStacktrace] = truncateUtf8(written, EXCEPTION_STACKTRACE_MAX_BYTES);
  } else delete headers[H.exceptionStacktrace];
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
  const fromMainTopic = record.stage === 0;
  const stageAttempt = fromMainTopic ? 1 : (countHeader(message.headers, R.attempts) ?? 1);
  headers[R.attempts] = String(stageAttempt + 1);
  headers[R.backoffTimestamp] = String(backoffTimestamp);
  headers[R.originalTimestamp] =
    (fromMainTopic ? undefined : headerValue(message.headers, R.originalTimestamp)) ?? message.timestamp;
  headers[FORWARDED_BY_HEADER] = record.groupId;
  return headers;
}
