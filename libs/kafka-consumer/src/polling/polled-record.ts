import type { KafkaMessage } from 'kafkajs';
import {
  decodeHeaders,
  decodeKey,
  type DecodedHeaders,
  type ValueDeserializer,
} from '../serialization/deserializer.js';

/** One record returned by `PollingConsumer.poll()`. */
export interface PolledRecord<T = unknown> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T | null;
  headers: DecodedHeaders;
  timestamp: string;
  /** The raw kafkajs message. */
  message: KafkaMessage;
  /** Why `value` could not be decoded, if it could not. */
  error?: Error;
  /**
   * The assignment the record was polled under (this consumer's count of group joins when its
   * partition was assigned to it). `commit(records)` ignores records of an earlier assignment.
   */
  generation: number;
}

/** Decodes a fetched message; a value that cannot be deserialized is returned with `error` set and `value` null. */
export function toPolledRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
  generation: number,
  deserialize: ValueDeserializer,
): PolledRecord {
  let value: unknown = null;
  let error: Error | undefined;
  try {
    value = deserialize(message.value, topic, partition, message.offset);
  } catch (cause) {
    error = cause as Error;
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: decodeKey(message.key),
    value,
    headers: decodeHeaders(message.headers),
    timestamp: message.timestamp,
    message,
    error,
    generation,
  };
}
