import type { Type } from '@nestjs/common';
import type { ConsumerConfig } from 'kafkajs';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { invalidOption } from '../kafka-consumer.messages.js';
import type { DeserializerKind } from '../kafka-consumer.options.js';
import type { OffsetStore } from '../offset-stores/offset-store.js';

/** Options of `KafkaConsumerRegistry.createPollingConsumer()`. */
export interface PollingConsumerOptions {
  /** Consumer group; required. */
  groupId: string;
  /** Topics to consume, subscribed by `connect()`. Optional: or call `subscribe(topics)` after `connect()`. */
  topics?: string[];
  /** Start from the earliest offset when the group has no stored offset. Default false. */
  fromBeginning?: boolean;
  /** Value decoding. Default `'json'` (a value that is not JSON is returned with `error` set and `value` null). */
  deserializer?: DeserializerKind;
  /**
   * Records buffered before fetching pauses (the buffer may pass it by the records of one fetch);
   * fetching resumes when half are polled. Default 1000.
   */
  maxBufferedMessages?: number;
  /**
   * Where offsets are stored: an `OffsetStore` class resolved through Nest DI, as for handlers.
   * Default: the module's `offsetStore` (`KafkaOffsetStore` unless configured).
   */
  offsetStore?: Type<OffsetStore>;
  /** kafkajs consumer settings (groupId is taken from above). `maxWaitTimeInMs` defaults to 500. */
  consumer?: Partial<ConsumerConfig>;
}

/** Options of one `poll()`. */
export interface PollOptions {
  /** How long to wait for the first record, in ms. Default 1000. */
  timeoutMs?: number;
  /** Most records returned. Default 500. */
  maxMessages?: number;
}

export const DEFAULT_MAX_BUFFERED_MESSAGES = 1000;
export const DEFAULT_POLL_TIMEOUT_MS = 1000;
export const DEFAULT_POLL_MAX_MESSAGES = 500;
/** Default fetch wait: kafkajs' 5 s would delay resumes and close by as much. */
export const DEFAULT_MAX_WAIT_TIME_MS = 500;

/** Fails with `InvalidOptionsError` naming the first bad option. */
export function validatePollingOptions(options: PollingConsumerOptions): void {
  if (typeof options?.groupId !== 'string' || options.groupId.trim() === '') {
    throw new InvalidOptionsError(invalidOption('groupId', options?.groupId, 'a non-empty string'));
  }
  if (options.topics !== undefined) validateTopics(options.topics);
  const max = options.maxBufferedMessages;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new InvalidOptionsError(invalidOption('maxBufferedMessages', max, 'an integer >= 1'));
  }
  if (options.offsetStore !== undefined && typeof options.offsetStore !== 'function') {
    throw new InvalidOptionsError(
      invalidOption('offsetStore', options.offsetStore, 'a class extending OffsetStore (e.g. PostgresOffsetStore)'),
    );
  }
}

export function validateTopics(topics: unknown): asserts topics is string[] {
  if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || !t)) {
    throw new InvalidOptionsError(invalidOption('topics', topics, 'a non-empty array of topic names'));
  }
}

/** Validates and defaults one `poll()`'s options. */
export function resolvePollOptions(options: PollOptions = {}): Required<PollOptions> {
  const { timeoutMs = DEFAULT_POLL_TIMEOUT_MS, maxMessages = DEFAULT_POLL_MAX_MESSAGES } = options;
  if (!(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new InvalidOptionsError(invalidOption('timeoutMs', timeoutMs, 'a number >= 0'));
  }
  if (!(Number.isInteger(maxMessages) && maxMessages >= 1)) {
    throw new InvalidOptionsError(invalidOption('maxMessages', maxMessages, 'an integer >= 1'));
  }
  return { timeoutMs, maxMessages };
}
